"""Build, save and load the hybrid index (FAISS + BM25 + chunk records).

Layout of an index directory:

    index/current -> builds/<build id>     symlink, swapped atomically when a build completes
    index/builds/<build id>/manifest.json  encoder, chunker version, documents, file checksums
                           documents.jsonl metadata and verbatim text of each document
                           chunks.jsonl    one chunk per line (UTF-8, ensure_ascii=False)
                           faiss.index     inner product over normalised chunk vectors
                           sentence_vectors.npy  one row per sentence, in chunk order
                           bm25/           bm25s arrays (numpy, loaded with allow_pickle=False)
                           terms.json      the jieba user dictionary the BM25 tokens used

A build writes a new directory and only then moves `current`, so a crash or Ctrl-C
leaves the previous index serving. Unchanged texts are never re-embedded: vectors are
reused by a hash of the exact text that was embedded.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .chunking import DEFAULT_MAX_CHARS, Chunk, chunk_document, chunker_version
from .documents import Document, DocumentMeta, load_folder
from .errors import AssistantError, IndexCorruptError, IndexMismatchError, IndexMissingError

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CURRENT = "current"
BUILDS = "builds"
EMBED_BATCH = 16

ProgressFn = Callable[[int, int, str], None]  # (done, total, what)


@dataclass
class IndexedDocument:
    doc_id: str
    meta: DocumentMeta
    content_hash: str
    text: str


@dataclass
class LoadedIndex:
    """Everything search and answering need, in memory."""

    path: Path
    manifest: dict
    documents: dict[str, IndexedDocument]
    chunks: list[Chunk]
    faiss_index: object
    bm25: object
    sentence_vectors: np.ndarray | None  # rows follow chunks' sentences in order
    sentence_offsets: np.ndarray  # chunk i's sentences are rows offsets[i]:offsets[i+1]
    user_terms: list[str]

    @property
    def encoder_id(self) -> str:
        return self.manifest["encoder"]["id"]


@dataclass
class BuildReport:
    documents: int = 0
    chunks: int = 0
    sentences: int = 0
    embedded_chunks: int = 0
    reused_chunks: int = 0
    embedded_sentences: int = 0
    seconds: float = 0.0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: bool = False

    def summary(self) -> str:
        if self.unchanged:
            return f"索引已是最新：{self.documents} 个文档，{self.chunks} 个片段，用时 {self.seconds:.1f} 秒"
        return (f"索引完成：{self.documents} 个文档，{self.chunks} 个片段"
                f"（新编码 {self.embedded_chunks}，复用 {self.reused_chunks}），"
                f"{self.sentences} 个句子，跳过 {len(self.skipped)} 个文件，用时 {self.seconds:.1f} 秒")


# ---------------------------------------------------------------- what gets embedded

def embedding_text(document_meta: DocumentMeta, chunk: Chunk) -> str:
    """The chunk as the encoder and BM25 see it: a short title and the section path give
    context a bare paragraph lacks (e.g. which sub-document a 一是… item belongs to)."""
    title = document_meta.short_title or document_meta.title
    return f"{title} {chunk.section_path}\n{chunk.text}"


def _text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------- locations

def current_build(index_dir: Path) -> Path | None:
    link = index_dir / CURRENT
    if not link.exists():
        return None
    return link.resolve()


def read_manifest(index_dir: Path) -> dict | None:
    build = current_build(index_dir)
    if build is None or not (build / MANIFEST).exists():
        return None
    try:
        return json.loads((build / MANIFEST).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


@contextlib.contextmanager
def build_lock(index_dir: Path):
    """One build at a time per index directory (other processes get a clear error)."""
    import fcntl

    index_dir.mkdir(parents=True, exist_ok=True)
    handle = open(index_dir / ".lock", "w")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AssistantError(f"另一个进程正在构建索引 {index_dir}，请稍后再试") from None
        yield
    finally:
        handle.close()


# ---------------------------------------------------------------- staleness

def folder_state(docs_dir: Path, max_chars: int = DEFAULT_MAX_CHARS):
    """Load the folder and chunk it: (documents, skipped, chunks per document)."""
    report = load_folder(docs_dir)
    chunks = {doc.doc_id: chunk_document(doc, max_chars) for doc in report.documents}
    return report, chunks


def index_status(docs_dir: Path, index_dir: Path, encoder_id: str,
                 max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """'missing', 'mismatch', 'stale' or 'fresh'."""
    manifest = read_manifest(index_dir)
    if manifest is None:
        return "missing"
    if (manifest.get("format_version") != FORMAT_VERSION
            or manifest["encoder"]["id"] != encoder_id
            or manifest["chunker"] != chunker_version(max_chars)):
        return "mismatch"
    report = load_folder(docs_dir)
    current = {doc.doc_id: doc.content_hash for doc in report.documents}
    recorded = {doc_id: info["hash"] for doc_id, info in manifest["documents"].items()}
    return "fresh" if current == recorded else "stale"


# ---------------------------------------------------------------- build

def _previous_vectors(index_dir: Path, encoder_id: str) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Vectors of the current build keyed by text hash, if it used the same encoder."""
    try:
        old = load_index(index_dir, expected_encoder_id=encoder_id)
    except AssistantError:
        return {}, {}
    chunk_vectors = old.faiss_index.reconstruct_n(0, old.faiss_index.ntotal)
    by_chunk = {}
    by_sentence = {}
    for i, chunk in enumerate(old.chunks):
        meta = old.documents[chunk.doc_id].meta
        by_chunk[_text_key(embedding_text(meta, chunk))] = chunk_vectors[i]
        if old.sentence_vectors is not None:
            rows = old.sentence_vectors[old.sentence_offsets[i]:old.sentence_offsets[i + 1]]
            for sentence, row in zip(chunk.sentence_texts(), rows):
                by_sentence[_text_key(sentence)] = row
    return by_chunk, by_sentence


def _progress_bar(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="段", file=sys.stderr,
                disable=not sys.stderr.isatty(), leave=False)


def _embed_missing(texts: list[str], cache: dict[str, np.ndarray], encoder, desc: str,
                   progress: ProgressFn | None) -> tuple[np.ndarray, int]:
    """Vectors for all texts, encoding only those not in cache. Returns (matrix, encoded)."""
    keys = [_text_key(t) for t in texts]
    todo = sorted({k: t for k, t in zip(keys, texts) if k not in cache}.items())
    with _progress_bar(len(todo), desc) as bar:
        for start in range(0, len(todo), EMBED_BATCH):
            batch = todo[start:start + EMBED_BATCH]
            vectors = encoder.encode_passages([t for _, t in batch])
            for (key, _), vector in zip(batch, vectors):
                cache[key] = vector
            bar.update(len(batch))
            if progress:
                progress(min(start + EMBED_BATCH, len(todo)), len(todo), desc)
    matrix = np.stack([cache[k] for k in keys]) if keys else np.zeros((0, encoder.dim), np.float32)
    return np.ascontiguousarray(matrix, dtype=np.float32), len(todo)


def build_index(docs_dir: Path, index_dir: Path, encoder, max_chars: int = DEFAULT_MAX_CHARS,
                sentence_vectors: bool = True, progress: ProgressFn | None = None,
                force: bool = False) -> BuildReport:
    """Build or refresh the index of docs_dir in index_dir; see the module docstring."""
    import faiss

    from .tokenize import PolicyTokenizer, collect_user_terms

    started = time.perf_counter()
    report = BuildReport()
    with build_lock(index_dir):
        load_report, chunks_by_doc = folder_state(docs_dir, max_chars)
        documents = load_report.documents
        report.skipped = load_report.skipped
        previous = read_manifest(index_dir)
        previous_docs = (previous or {}).get("documents", {})
        current_hashes = {d.doc_id: d.content_hash for d in documents}
        report.removed = sorted(set(previous_docs) - set(current_hashes))
        report.changed = sorted(d for d, h in current_hashes.items()
                                if previous_docs.get(d, {}).get("hash") != h)
        same_setup = (previous is not None and previous.get("format_version") == FORMAT_VERSION
                      and previous["encoder"]["id"] == encoder.encoder_id
                      and previous["chunker"] == chunker_version(max_chars)
                      and previous.get("sentence_vectors") == sentence_vectors)
        all_chunks = [c for d in documents for c in chunks_by_doc[d.doc_id]]
        report.documents, report.chunks = len(documents), len(all_chunks)
        report.sentences = sum(len(c.sentences) for c in all_chunks)
        if same_setup and not force and not report.changed and not report.removed:
            _check_files(current_build(index_dir), previous)  # a corrupt index is rebuilt
            report.unchanged = True
            report.seconds = time.perf_counter() - started
            return report

        chunk_cache, sentence_cache = _previous_vectors(index_dir, encoder.encoder_id) if not force else ({}, {})
        meta_by_doc = {d.doc_id: d.meta for d in documents}
        chunk_texts = [embedding_text(meta_by_doc[c.doc_id], c) for c in all_chunks]
        chunk_matrix, report.embedded_chunks = _embed_missing(
            chunk_texts, chunk_cache, encoder, "编码片段", progress)
        report.reused_chunks = len(all_chunks) - report.embedded_chunks
        sentence_matrix = None
        if sentence_vectors:
            sentences = [s for c in all_chunks for s in c.sentence_texts()]
            sentence_matrix, report.embedded_sentences = _embed_missing(
                sentences, sentence_cache, encoder, "编码句子", progress)

        user_terms = collect_user_terms(d.text for d in documents)
        tokenizer = PolicyTokenizer(user_terms)
        corpus_tokens = [tokenizer.tokens(t) or ["\u2205"] for t in chunk_texts]

        builds = index_dir / BUILDS
        builds.mkdir(parents=True, exist_ok=True)
        _remove_unfinished(builds)
        build_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
        tmp = builds / f"tmp-{build_id}"
        tmp.mkdir()
        try:
            _write_build(tmp, documents, all_chunks, chunk_matrix, sentence_matrix,
                         corpus_tokens, user_terms, encoder, max_chars, load_report.skipped, faiss)
            final = builds / build_id
            os.rename(tmp, final)
            _fsync_dir(builds)
            _swap_current(index_dir, final)
        except BaseException:  # Ctrl-C included: the old index stays current
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _remove_old_builds(builds, keep=final)
    report.seconds = time.perf_counter() - started
    return report


def _write_build(out: Path, documents: list[Document], chunks: list[Chunk], chunk_matrix,
                 sentence_matrix, corpus_tokens, user_terms, encoder, max_chars, skipped, faiss) -> None:
    import logging

    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG

    with open(out / "documents.jsonl", "w", encoding="utf-8") as handle:
        for doc in documents:
            record = {"doc_id": doc.doc_id, "hash": doc.content_hash, "meta": doc.meta.to_dict(), "text": doc.text}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    with open(out / "chunks.jsonl", "w", encoding="utf-8") as handle:
        for chunk in chunks:
            handle.write(json.dumps(chunk.to_record(), ensure_ascii=False) + "\n")
    index = faiss.IndexFlatIP(encoder.dim)
    if len(chunk_matrix):
        index.add(chunk_matrix)
    faiss.write_index(index, str(out / "faiss.index"))
    if sentence_matrix is not None:
        np.save(out / "sentence_vectors.npy", sentence_matrix, allow_pickle=False)
    retriever = bm25s.BM25()
    retriever.index(corpus_tokens, show_progress=False)
    retriever.save(str(out / "bm25"))
    (out / "terms.json").write_text(json.dumps(user_terms, ensure_ascii=False), encoding="utf-8")

    files = {}
    for path in sorted(out.rglob("*")):
        if path.is_file():
            _fsync_file(path)
            files[path.relative_to(out).as_posix()] = _file_sha256(path)
    manifest = {
        "format_version": FORMAT_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "encoder": {"id": encoder.encoder_id, "dim": encoder.dim},
        "chunker": chunker_version(max_chars),
        "sentence_vectors": sentence_matrix is not None,
        "counts": {"documents": len(documents), "chunks": len(chunks),
                   "sentences": sum(len(c.sentences) for c in chunks)},
        "documents": {d.doc_id: {"hash": d.content_hash,
                                 "chunks": sum(1 for c in chunks if c.doc_id == d.doc_id)}
                      for d in documents},
        "skipped": [list(s) for s in skipped],
        "files": files,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    _fsync_file(out / MANIFEST)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        _fsync_file(path)


def _swap_current(index_dir: Path, build: Path) -> None:
    """Point index/current at build in one atomic rename."""
    tmp_link = index_dir / f".{CURRENT}-{uuid.uuid4().hex[:6]}"
    os.symlink(os.path.relpath(build, index_dir), tmp_link)
    os.replace(tmp_link, index_dir / CURRENT)
    _fsync_dir(index_dir)


def _remove_unfinished(builds: Path) -> None:
    for path in builds.glob("tmp-*"):
        shutil.rmtree(path, ignore_errors=True)


def _remove_old_builds(builds: Path, keep: Path) -> None:
    for path in builds.iterdir():
        if path.resolve() != keep.resolve():
            shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------- load

def _check_files(build: Path, manifest: dict) -> None:
    for name, expected in manifest.get("files", {}).items():
        path = build / name
        if not path.exists():
            raise IndexCorruptError(f"索引文件缺失：{name}。请运行 python -m assistant index --rebuild 重建索引")
        if _file_sha256(path) != expected:
            raise IndexCorruptError(f"索引文件校验失败（损坏或被截断）：{name}。"
                                    "请运行 python -m assistant index --rebuild 重建索引")


def load_index(index_dir: Path, expected_encoder_id: str | None = None,
               expected_chunker: str | None = None) -> LoadedIndex:
    """Load the current build, verifying checksums and the encoder it was built with."""
    import bm25s
    import faiss

    build = current_build(index_dir)
    if build is None or not (build / MANIFEST).exists():
        raise IndexMissingError(f"{index_dir} 中还没有索引，请先运行 python -m assistant index")
    try:
        manifest = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(f"索引清单 manifest.json 已损坏：{exc}") from exc
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError("索引格式版本不同，请运行 python -m assistant index --rebuild")
    if expected_encoder_id and manifest["encoder"]["id"] != expected_encoder_id:
        raise IndexMismatchError(
            f"索引由编码器 {manifest['encoder']['id']} 构建，当前配置为 {expected_encoder_id}；"
            "请运行 python -m assistant index 按当前编码器重建")
    if expected_chunker and manifest["chunker"] != expected_chunker:
        raise IndexMismatchError(f"索引的分块版本为 {manifest['chunker']}，当前为 {expected_chunker}；请重建索引")
    _check_files(build, manifest)

    documents = {}
    with open(build / "documents.jsonl", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            documents[record["doc_id"]] = IndexedDocument(
                record["doc_id"], DocumentMeta.from_dict(record["meta"]), record["hash"], record["text"])
    with open(build / "chunks.jsonl", encoding="utf-8") as handle:
        chunks = [Chunk.from_record(json.loads(line)) for line in handle]
    faiss_index = faiss.read_index(str(build / "faiss.index"))
    if faiss_index.ntotal != len(chunks) or faiss_index.d != manifest["encoder"]["dim"]:
        raise IndexCorruptError("FAISS 索引与片段记录数量或维度不一致，请重建索引")
    sentence_vectors = None
    if manifest.get("sentence_vectors"):
        sentence_vectors = np.load(build / "sentence_vectors.npy", allow_pickle=False)
    offsets = np.zeros(len(chunks) + 1, dtype=np.int64)
    np.cumsum([len(c.sentences) for c in chunks], out=offsets[1:])
    if sentence_vectors is not None and len(sentence_vectors) != offsets[-1]:
        raise IndexCorruptError("句向量数量与片段记录不一致，请重建索引")
    bm25 = bm25s.BM25.load(str(build / "bm25"), mmap=False)
    user_terms = json.loads((build / "terms.json").read_text(encoding="utf-8"))
    return LoadedIndex(build, manifest, documents, chunks, faiss_index, bm25,
                       sentence_vectors, offsets, user_terms)
