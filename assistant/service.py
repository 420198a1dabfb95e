"""The Python API: load the index once, then `ask(question) -> Answer`.

Used by the CLI and the web app. `Assistant.open(settings)` builds the index when it is
missing, stale or was built with another encoder, then loads it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

from .answer import EMPTY_TEXT, Answer, answer, fact_answer
from .chunking import DEFAULT_MAX_CHARS, chunker_version
from .config import Settings
from .document_facts import find_document_fact
from .encoders import load_encoder
from .errors import IndexCorruptError
from .index import BuildReport, ProgressFn, build_index
from .query import clean_question, has_meaningful_text
from .search import Searcher
from .store import load_index, read_manifest, recorded_docs_dir
from .tokenize import normalize
from .tuning import Tuning

@dataclass
class PhraseMatch:
    doc_id: str
    title: str
    section: str
    text: str  # the verbatim sentence (or passage) containing the match
    start: int  # offsets of `text` in the document
    end: int
    match_start: int  # the matched phrase inside `text`
    match_end: int
    exact: bool


INDEX_LOCK_WAIT = 600.0  # seconds to wait for another process building the same index


def documents_folder(settings: Settings, manifest: dict | None) -> tuple[Path | None, str]:
    """The folder to keep the index in step with, and a notice for the user (or "").

    An index is kept in step with the folder it was built from: `ask`, `lookup` and the
    app never rebuild it from another folder unless one is named explicitly (`--docs`,
    ASSISTANT_DOCS_DIR) or a rebuild is asked for. When the recorded folder is gone, the
    index answers as it is (None)."""
    recorded = recorded_docs_dir(manifest)
    if manifest is None or settings.docs_dir_explicit or recorded is None:
        return settings.docs_dir, ""
    if recorded.is_dir():
        return recorded, ""
    return None, f"索引记录的文档目录 {recorded} 已不存在：按现有索引回答，不检查文档更新。"


class Assistant:
    def __init__(self, index, encoder, tuning: Tuning = Tuning(), notice: str = ""):
        self.index = index
        self.encoder = encoder
        self.tuning = tuning
        self.searcher = Searcher(index, encoder, tuning)
        self.notice = notice  # said once to the user when opening (e.g. the documents folder is gone)

    @classmethod
    def open(cls, settings: Settings | None = None, progress: ProgressFn | None = None,
             max_chars: int = DEFAULT_MAX_CHARS, build_if_needed: bool = True,
             tuning: Tuning = Tuning(), rebuild: bool = False) -> "Assistant":
        """Load the index, first building or refreshing it from its documents folder
        (`documents_folder`); `rebuild` re-embeds everything from the configured folder."""
        settings = settings or Settings.from_env()
        encoder = load_encoder(settings.encoder)
        if rebuild:
            settings = replace(settings, docs_dir_explicit=True)
        docs_dir, notice = documents_folder(settings, read_manifest(settings.index_dir))
        if build_if_needed and docs_dir is not None:
            # Loads the documents once; does nothing when the index is up to date (the
            # load below verifies the files).
            build_index(docs_dir, settings.index_dir, encoder, max_chars, progress=progress, force=rebuild,
                        verify=False, lock_wait=INDEX_LOCK_WAIT)
        expected = {"expected_encoder_id": encoder.encoder_id, "expected_chunker": chunker_version(max_chars)}
        try:
            index = load_index(settings.index_dir, **expected)
        except IndexCorruptError:
            if not build_if_needed or docs_dir is None:
                raise
            build_index(docs_dir, settings.index_dir, encoder, max_chars, progress=progress, force=True)
            index = load_index(settings.index_dir, **expected)
        return cls(index, encoder, tuning, notice)

    # ------------------------------------------------------------ questions
    def ask(self, question, top_k: int = 5) -> Answer:
        """Question → `Query` → (a document's own fact | search → answer), cited."""
        started = time.perf_counter()
        cleaned = clean_question(question)
        if not has_meaningful_text(cleaned):
            reply = Answer.refusal(cleaned, EMPTY_TEXT, "empty")
        else:
            query = self.searcher.parse(cleaned)
            fact = find_document_fact(query, self.index.documents)
            if fact is not None:
                reply = fact_answer(query, fact, self.index.documents[fact.doc_id], self.index.chunks_of(fact.doc_id))
            else:
                searched = self.searcher.search(query, top_k=max(top_k, self.tuning.chunks_considered))
                reply = answer(query, searched, self.index.documents, self.tuning)
            reply = replace(reply, citations=reply.citations[:max(1, top_k)])
        return replace(reply, latency_ms=(time.perf_counter() - started) * 1000)

    # ------------------------------------------------------------ wording lookup
    def lookup(self, phrase, limit: int = 20) -> list[PhraseMatch]:
        """Every exact occurrence of phrase (after width/simplified normalisation) in the
        documents, then near matches from search, each as its verbatim sentence."""
        phrase = clean_question(phrase)
        if not has_meaningful_text(phrase):
            return []
        target = normalize(phrase).strip()
        matches: list[PhraseMatch] = []
        seen_sentences: set[tuple[str, int]] = set()
        for chunk in self.index.chunks:
            document = self.index.documents[chunk.doc_id]
            normalized = normalize(chunk.text)
            pos = normalized.find(target)
            while pos >= 0 and len(matches) < limit:
                absolute = chunk.start + pos
                s, e = next(((s, e) for s, e in chunk.sentences if s <= absolute < e), (chunk.start, chunk.end))
                if (chunk.doc_id, s) not in seen_sentences:
                    seen_sentences.add((chunk.doc_id, s))
                    matches.append(PhraseMatch(chunk.doc_id, document.meta.title, chunk.section_path,
                                               document.text[s:e], s, e, absolute - s,
                                               min(e, absolute + len(target)) - s, True))
                pos = normalized.find(target, pos + 1)
        if len(matches) < limit:
            result = self.searcher.search(self.searcher.parse(phrase), top_k=5)
            for hit in result.hits:
                chunk = hit.chunk
                if any(m.doc_id == chunk.doc_id and chunk.start <= m.start < chunk.end for m in matches):
                    continue
                document = self.index.documents[chunk.doc_id]
                matches.append(PhraseMatch(chunk.doc_id, document.meta.title, chunk.section_path,
                                           chunk.text, chunk.start, chunk.end, 0, 0, False))
                if len(matches) >= limit:
                    break
        return matches

    # ------------------------------------------------------------ documents
    def document_sections(self, doc_id: str) -> list[tuple[str, str]]:
        """(section path, verbatim text) of each chunk of a document, in order."""
        return [(c.section_path, c.text) for c in self.index.chunks if c.doc_id == doc_id]


def ensure_index(docs_dir: Path, index_dir: Path, encoder, max_chars: int = DEFAULT_MAX_CHARS,
                 progress: ProgressFn | None = None) -> BuildReport:
    """Build or refresh the index when it is missing, stale or from another encoder.

    A fresh index is not verified or loaded here: `Assistant.open` loads it once, verifying
    its checksums, and rebuilds it if a file turns out corrupt."""
    return build_index(docs_dir, index_dir, encoder, max_chars, progress=progress, verify=False)
