"""The index on disk: manifest, checksums, atomic swap, build lock, loading.

Layout of an index directory:

    index/current -> builds/<build id>     symlink, swapped atomically when a build completes
    index/builds/<build id>/manifest.json  encoder, chunker version, documents folder,
                                           documents, file checksums
                           documents.jsonl metadata and verbatim text of each document
                           chunks.jsonl    one chunk per line (UTF-8, ensure_ascii=False)
                           faiss.index     inner product over normalised chunk vectors: exact
                                           (flat) up to APPROXIMATE_ABOVE passages, an
                                           HNSW graph above (benchmarks/SCALE.md)
                           sentence_vectors.npy  one row per sentence, in chunk order
                           bm25/           bm25s arrays (numpy, loaded with allow_pickle=False)
                           terms.json      the jieba user dictionary the BM25 tokens used
                           jieba-<key>/    jieba's prefix dictionary with those terms, written
                                           by the first process that loads the build
                                           (tokenize.py; not in the manifest, rebuilt if absent)

Vectors and BM25 arrays are memory-mapped when loaded, so a large index costs page cache
that processes share, not private memory. No pickle anywhere. A build is written to builds/tmp-*, then renamed and `current` is
moved in one rename, so a crash or Ctrl-C leaves the previous index serving.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .chunking import Chunk
from .documents import Document, DocumentMeta
from .errors import AssistantError, IndexCorruptError, IndexMismatchError, IndexMissingError

FORMAT_VERSION = 1
# Exact search reads every vector for every question: 12 ms at 100k passages, 115 ms at 1M on
# one core here, against 0.3–1 ms for the HNSW graph (recall@10 .995 at 100k, .97 at 1M with
# efSearch 512). Above this many passages the dense side is the graph; below it exact search
# is cheap and an incremental re-index needs no graph rebuild (9 s per 100k passages).
# Measured in benchmarks/SCALE.md (python -m benchmarks.scale).
APPROXIMATE_ABOVE = 100_000
HNSW_NEIGHBOURS = 32  # graph degree M: 4·2·M bytes a passage on top of its 1,536-byte vector
HNSW_EF_CONSTRUCTION = 80
# Candidates explored per question. At 1M passages recall@10 against exact is .83 / .91 / .955 /
# .973 with 64 / 128 / 256 / 512 for 0.25 / 0.3 / 0.5 / 1.0 ms (SCALE.md): 512 is nearly free.
HNSW_EF_SEARCH = 512
MANIFEST = "manifest.json"
CURRENT = "current"
BUILDS = "builds"


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

    def chunks_of(self, doc_id: str) -> list[tuple[int, Chunk]]:
        """(row, chunk) of one document's chunks, in order."""
        return [(i, c) for i, c in enumerate(self.chunks) if c.doc_id == doc_id]


@dataclass(frozen=True)
class BuildContents:
    """What one build writes."""

    documents: list[Document]
    chunks: list[Chunk]
    chunk_matrix: np.ndarray
    sentence_matrix: np.ndarray | None
    corpus_tokens: list[list[str]]  # BM25 tokens of each chunk's indexed text
    user_terms: list[str]
    encoder_id: str
    dim: int
    chunker: str
    docs_dir: str  # the folder the documents were read from (absolute)
    skipped: list[tuple[str, str]]
    staff_terms: dict = field(default_factory=dict)  # tokenize.StaffTerms.to_dict(): added by staff
    approximate_above: int | None = None  # passages above which the dense index is HNSW (None: APPROXIMATE_ABOVE)


def recorded_docs_dir(manifest: dict | None) -> Path | None:
    """The documents folder an index was built from (None for indexes built before it was recorded)."""
    value = (manifest or {}).get("docs_dir")
    return Path(value) if value else None


def same_setup(manifest: dict | None, encoder_id: str, chunker: str, sentence_vectors: bool | None = None) -> bool:
    """Was this index built the way we would build it now (format, encoder, chunker and,
    when given, sentence vectors)?"""
    if manifest is None:
        return False
    return (manifest.get("format_version") == FORMAT_VERSION
            and manifest["encoder"]["id"] == encoder_id
            and manifest["chunker"] == chunker
            and (sentence_vectors is None or manifest.get("sentence_vectors") == sentence_vectors))


def file_sha256(path: Path) -> str:
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
def build_lock(index_dir: Path, wait: float = 0.0):
    """One build at a time per index directory. Another process waits up to `wait` seconds,
    then gets a clear error."""
    import fcntl

    index_dir.mkdir(parents=True, exist_ok=True)
    handle = open(index_dir / ".lock", "w")
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise AssistantError(f"另一个进程正在构建索引 {index_dir}，请稍后再试") from None
                time.sleep(0.2)
        yield
    finally:
        handle.close()


# ---------------------------------------------------------------- write

def record_docs_dir(index_dir: Path, docs_dir: str) -> None:
    """Note in the current build's manifest that its documents now come from `docs_dir`
    (same content, another folder); the manifest is replaced in one rename."""
    build = current_build(index_dir)
    manifest = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
    manifest["docs_dir"] = docs_dir
    tmp = build / f".{MANIFEST}-{uuid.uuid4().hex[:6]}"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    _fsync_file(tmp)
    os.replace(tmp, build / MANIFEST)

def write_build(index_dir: Path, contents: BuildContents) -> Path:
    """Write a complete build beside the current one, then make it current atomically."""
    builds = index_dir / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    for path in builds.glob("tmp-*"):  # left by a killed build
        shutil.rmtree(path, ignore_errors=True)
    build_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
    tmp = builds / f"tmp-{build_id}"
    tmp.mkdir()
    try:
        _write_files(tmp, contents)
        final = builds / build_id
        os.rename(tmp, final)
        _fsync_dir(builds)
        _swap_current(index_dir, final)
    except BaseException:  # Ctrl-C included: the old index stays current
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for path in builds.iterdir():
        if path.resolve() != final.resolve():
            shutil.rmtree(path, ignore_errors=True)
    return final


def _write_files(out: Path, contents: BuildContents) -> None:
    import logging

    import bm25s
    import faiss

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG

    with open(out / "documents.jsonl", "w", encoding="utf-8") as handle:
        for doc in contents.documents:
            record = {"doc_id": doc.doc_id, "hash": doc.content_hash, "meta": doc.meta.to_dict(), "text": doc.text}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    with open(out / "chunks.jsonl", "w", encoding="utf-8") as handle:
        for chunk in contents.chunks:
            handle.write(json.dumps(chunk.to_record(), ensure_ascii=False) + "\n")
    index = dense_index(contents.dim, len(contents.chunk_matrix), contents.approximate_above)
    if len(contents.chunk_matrix):
        index.add(contents.chunk_matrix)
    faiss.write_index(index, str(out / "faiss.index"))
    if contents.sentence_matrix is not None:
        np.save(out / "sentence_vectors.npy", contents.sentence_matrix, allow_pickle=False)
    retriever = bm25s.BM25()
    retriever.index(contents.corpus_tokens, show_progress=False)
    retriever.save(str(out / "bm25"))
    (out / "terms.json").write_text(json.dumps(contents.user_terms, ensure_ascii=False), encoding="utf-8")

    files = {}
    for path in sorted(out.rglob("*")):
        if path.is_file():
            _fsync_file(path)
            files[path.relative_to(out).as_posix()] = file_sha256(path)
    chunks = contents.chunks
    chunks_per_document = Counter(c.doc_id for c in chunks)
    manifest = {
        "format_version": FORMAT_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "encoder": {"id": contents.encoder_id, "dim": contents.dim},
        "chunker": contents.chunker,
        "docs_dir": contents.docs_dir,
        "sentence_vectors": contents.sentence_matrix is not None,
        "dense_index": type(index).__name__,
        "counts": {"documents": len(contents.documents), "chunks": len(chunks),
                   "sentences": sum(len(c.sentences) for c in chunks)},
        "documents": {d.doc_id: {"hash": d.content_hash,
                                 "chunks": chunks_per_document[d.doc_id]}
                      for d in contents.documents},
        "skipped": [list(s) for s in contents.skipped],
        "staff_terms": contents.staff_terms,
        "files": files,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    _fsync_file(out / MANIFEST)


def dense_index(dim: int, rows: int, approximate_above: int | None = None):
    """An empty FAISS index for `rows` normalised vectors: exact inner product, or an HNSW
    graph (approximate, inner product) when there are more than `approximate_above`
    (default APPROXIMATE_ABOVE)."""
    import faiss

    if approximate_above is None:
        approximate_above = APPROXIMATE_ABOVE
    if rows <= approximate_above:
        return faiss.IndexFlatIP(dim)
    index = faiss.IndexHNSWFlat(dim, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    index.hnsw.efSearch = HNSW_EF_SEARCH
    return index


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


# ---------------------------------------------------------------- load

def check_files(build: Path, manifest: dict) -> None:
    for name, expected in manifest.get("files", {}).items():
        path = build / name
        if not path.exists():
            raise IndexCorruptError(f"索引文件缺失：{name}。请运行 python -m assistant index --rebuild 重建索引")
        if file_sha256(path) != expected:
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
    check_files(build, manifest)

    documents = {}
    with open(build / "documents.jsonl", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            documents[record["doc_id"]] = IndexedDocument(
                record["doc_id"], DocumentMeta.from_dict(record["meta"]), record["hash"], record["text"])
    with open(build / "chunks.jsonl", encoding="utf-8") as handle:
        chunks = [Chunk.from_record(json.loads(line)) for line in handle]
    # Memory-mapped: the vectors stay in the page cache, shared by every process serving
    # this build, and a large index is not read into private memory at start.
    faiss_index = faiss.read_index(str(build / "faiss.index"), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
    if isinstance(faiss_index, faiss.IndexHNSW):
        faiss_index.hnsw.efSearch = HNSW_EF_SEARCH
    if faiss_index.ntotal != len(chunks) or faiss_index.d != manifest["encoder"]["dim"]:
        raise IndexCorruptError("FAISS 索引与片段记录数量或维度不一致，请重建索引")
    sentence_vectors = None
    if manifest.get("sentence_vectors"):
        sentence_vectors = np.load(build / "sentence_vectors.npy", allow_pickle=False, mmap_mode="r")
    offsets = np.zeros(len(chunks) + 1, dtype=np.int64)
    np.cumsum([len(c.sentences) for c in chunks], out=offsets[1:])
    if sentence_vectors is not None and len(sentence_vectors) != offsets[-1]:
        raise IndexCorruptError("句向量数量与片段记录不一致，请重建索引")
    bm25 = bm25s.BM25.load(str(build / "bm25"), mmap=True)
    user_terms = json.loads((build / "terms.json").read_text(encoding="utf-8"))
    from .tokenize import cache_dictionary_in

    cache_dictionary_in(user_terms, build)  # the tokenizer keeps jieba's dictionary in the build
    return LoadedIndex(build, manifest, documents, chunks, faiss_index, bm25,
                       sentence_vectors, offsets, user_terms)
