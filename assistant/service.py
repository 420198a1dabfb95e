"""The Python API: load the index once, then `ask(question) -> Answer`.

Used by the CLI and the web app. `Assistant.open(settings)` builds the index when it is
missing, stale or was built with another encoder, then loads it.
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .answer import EMPTY_TEXT, Answer, AnswerBuilder
from .chunking import DEFAULT_MAX_CHARS, chunker_version
from .config import Settings
from .encoders import load_encoder
from .errors import IndexCorruptError
from .index import BuildReport, ProgressFn, build_index, index_status, load_index
from .search import Searcher
from .tokenize import normalize

MAX_QUESTION_CHARS = 500  # longer input is cut: no real question needs more
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")


def clean_question(text) -> str:
    """Strip control characters and surrounding space; cut to MAX_QUESTION_CHARS."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", text)).strip()
    return text[:MAX_QUESTION_CHARS]


def has_meaningful_text(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


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


class Assistant:
    def __init__(self, index, encoder, fusion: str = "weighted", **answer_options):
        self.index = index
        self.encoder = encoder
        self.searcher = Searcher(index, encoder, fusion=fusion)
        self.builder = AnswerBuilder(self.searcher, index.documents, **answer_options)

    @classmethod
    def open(cls, settings: Settings | None = None, progress: ProgressFn | None = None,
             max_chars: int = DEFAULT_MAX_CHARS, build_if_needed: bool = True, **options) -> "Assistant":
        settings = settings or Settings.from_env()
        encoder = load_encoder(settings.encoder)
        if build_if_needed:
            ensure_index(settings.docs_dir, settings.index_dir, encoder, max_chars, progress)
        expected = {"expected_encoder_id": encoder.encoder_id, "expected_chunker": chunker_version(max_chars)}
        try:
            index = load_index(settings.index_dir, **expected)
        except IndexCorruptError:
            if not build_if_needed:
                raise
            build_index(settings.docs_dir, settings.index_dir, encoder, max_chars, progress=progress, force=True)
            index = load_index(settings.index_dir, **expected)
        return cls(index, encoder, **options)

    # ------------------------------------------------------------ questions
    def ask(self, question, top_k: int = 5) -> Answer:
        started = time.perf_counter()
        question = clean_question(question)
        if not has_meaningful_text(question):
            answer = Answer(question, False, EMPTY_TEXT, [], mode="empty")
        else:
            result = self.searcher.search(question, top_k=max(top_k, self.builder.chunks_considered))
            answer = self.builder.answer(question, result)
            answer.citations = answer.citations[:max(1, top_k)]
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer

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
            result = self.searcher.search(phrase, top_k=5)
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
                 progress: ProgressFn | None = None) -> BuildReport | None:
    """Build or refresh the index when it is missing, stale or from another encoder.

    A fresh index is not loaded here: `Assistant.open` loads it once, verifying its
    checksums, and rebuilds it if a file turns out corrupt."""
    if index_status(docs_dir, index_dir, encoder.encoder_id, max_chars) == "fresh":
        return None
    return build_index(docs_dir, index_dir, encoder, max_chars, progress=progress)
