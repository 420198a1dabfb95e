"""Building the index: load and chunk the documents, embed what changed, write a build.

The files and their format are `store`'s business; this module decides what goes in.
Unchanged texts are never re-embedded: vectors are reused by a hash of the exact text
that was embedded. The manifest records the documents folder the index was built from.
"""

from __future__ import annotations

import hashlib
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .chunking import DEFAULT_MAX_CHARS, Chunk, chunk_document, chunker_version
from .documents import DocumentMeta, load_folder
from .errors import AssistantError
from .store import (BuildContents, build_lock, check_files, current_build, load_index, read_manifest,
                    record_docs_dir, recorded_docs_dir, same_setup, write_build)

EMBED_BATCH = 16

ProgressFn = Callable[[int, int, str], None]  # (done, total, what)
# Encodes many passages at once somewhere else (a Ray cluster: ray_build.RayEncoder):
# (texts, what, progress) -> one normalised float32 row per text, in order.
BulkEncodeFn = Callable[[list[str], str, "ProgressFn | None"], np.ndarray]


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


def index_status(docs_dir: Path, index_dir: Path, encoder_id: str,
                 max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """'missing', 'mismatch', 'stale' or 'fresh'."""
    manifest = read_manifest(index_dir)
    if manifest is None:
        return "missing"
    if not same_setup(manifest, encoder_id, chunker_version(max_chars)):
        return "mismatch"
    from .tokenize import StaffTerms

    current = {doc.doc_id: doc.content_hash for doc in load_folder(docs_dir).documents}
    recorded = {doc_id: info["hash"] for doc_id, info in manifest["documents"].items()}
    same_terms = StaffTerms.read(docs_dir) == StaffTerms.from_dict(manifest.get("staff_terms"))
    return "fresh" if current == recorded and same_terms else "stale"


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
                   progress: ProgressFn | None, bulk_encode: BulkEncodeFn | None = None) -> tuple[np.ndarray, int]:
    """Vectors for all texts, encoding only those not in cache. Returns (matrix, encoded)."""
    keys = [_text_key(t) for t in texts]
    todo = sorted({k: t for k, t in zip(keys, texts) if k not in cache}.items())
    if bulk_encode is not None and todo:
        vectors = bulk_encode([t for _, t in todo], desc, progress)
        for (key, _), vector in zip(todo, vectors):
            cache[key] = vector
        todo_count = len(todo)
        todo = []
    else:
        todo_count = len(todo)
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
    return np.ascontiguousarray(matrix, dtype=np.float32), todo_count


def build_index(docs_dir: Path, index_dir: Path, encoder, max_chars: int = DEFAULT_MAX_CHARS,
                sentence_vectors: bool | None = None, progress: ProgressFn | None = None,
                force: bool = False, verify: bool = True, lock_wait: float = 0.0,
                bulk_encode: BulkEncodeFn | None = None) -> BuildReport:
    """Build or refresh the index of docs_dir in index_dir (nothing is done when the index
    is up to date; `verify` then still checks its files, so a corrupt index is reported).
    The same content read from another folder is not rebuilt: the manifest records the new
    folder. Another build of the same index is waited for up to `lock_wait` seconds.
    `sentence_vectors`: embed every sentence too (True), not (False: half the encoding, lexical
    sentence choice, see benchmarks/SCALE.md), or None: as the current index was built (a
    new index has them).
    `bulk_encode` encodes the new texts elsewhere (a Ray cluster) instead of with `encoder`,
    which must be the same model: its id is what the manifest records."""
    from .tokenize import StaffTerms, collect_user_terms, tokenizer_for

    started = time.perf_counter()
    report = BuildReport()
    with build_lock(index_dir, wait=lock_wait):
        load_report = load_folder(docs_dir)  # the documents are read once per build
        documents = load_report.documents
        report.skipped = load_report.skipped
        previous = read_manifest(index_dir)
        previous_docs = (previous or {}).get("documents", {})
        if sentence_vectors is None:
            sentence_vectors = bool((previous or {}).get("sentence_vectors", True))
        current_hashes = {d.doc_id: d.content_hash for d in documents}
        report.removed = sorted(set(previous_docs) - set(current_hashes))
        report.changed = sorted(d for d, h in current_hashes.items()
                                if previous_docs.get(d, {}).get("hash") != h)
        report.documents = len(documents)
        chunker = chunker_version(max_chars)
        staff = StaffTerms.read(docs_dir)
        same_terms = staff == StaffTerms.from_dict((previous or {}).get("staff_terms"))
        if (same_setup(previous, encoder.encoder_id, chunker, sentence_vectors)
                and not force and not report.changed and not report.removed and same_terms):
            if verify:
                check_files(current_build(index_dir), previous)
            if recorded_docs_dir(previous) not in (None, docs_dir.resolve()):
                record_docs_dir(index_dir, str(docs_dir.resolve()))
            report.chunks = previous["counts"]["chunks"]
            report.sentences = previous["counts"]["sentences"]
            report.unchanged = True
            report.seconds = time.perf_counter() - started
            return report

        all_chunks = [c for d in documents for c in chunk_document(d, max_chars)]
        report.chunks = len(all_chunks)
        report.sentences = sum(len(c.sentences) for c in all_chunks)
        chunk_cache, sentence_cache = _previous_vectors(index_dir, encoder.encoder_id) if not force else ({}, {})
        meta_by_doc = {d.doc_id: d.meta for d in documents}
        chunk_texts = [embedding_text(meta_by_doc[c.doc_id], c) for c in all_chunks]
        chunk_matrix, report.embedded_chunks = _embed_missing(
            chunk_texts, chunk_cache, encoder, "编码片段", progress, bulk_encode)
        report.reused_chunks = len(all_chunks) - report.embedded_chunks
        sentence_matrix = None
        if sentence_vectors:
            sentences = [s for c in all_chunks for s in c.sentence_texts()]
            sentence_matrix, report.embedded_sentences = _embed_missing(
                sentences, sentence_cache, encoder, "编码句子", progress, bulk_encode)

        user_terms = sorted(set(collect_user_terms(d.text for d in documents)) | set(staff.words))
        tokenizer = tokenizer_for(user_terms, staff)
        write_build(index_dir, BuildContents(
            documents=documents, chunks=all_chunks, chunk_matrix=chunk_matrix, sentence_matrix=sentence_matrix,
            corpus_tokens=[tokenizer.tokens(t) or ["\u2205"] for t in chunk_texts], user_terms=user_terms,
            encoder_id=encoder.encoder_id, dim=encoder.dim, chunker=chunker,
            docs_dir=str(docs_dir.resolve()), skipped=load_report.skipped, staff_terms=staff.to_dict()))
    report.seconds = time.perf_counter() - started
    return report
