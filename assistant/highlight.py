"""The clause of a quoted sentence that answers: "由25个自然日压缩到5个工作日" inside a
110-character sentence about a year's reforms.

Found, never written: the quote is split into its clauses (at ，；：。 and line ends) and the
clause that states the kind of fact asked (an amount, a share, a duration, a date, a count)
and shares most of the question's words is marked. A question asking for no kind of fact gets
no mark (the clause most like the question usually restates its condition, not the answer),
nor does a list question: the whole quote is the answer.
"""

from __future__ import annotations

import re

from .chunking import ENUMERATOR  # an article or item label is not a count: "第七条　个人请求…"
from .query import Query
from .tokenize import bigrams

_CLAUSE_END = re.compile(r"[，,；;：:。！？!?\n]")
MIN_CLAUSE_CHARS = 4


def clauses(text: str) -> list[tuple[int, int]]:
    """(start, end) of each clause, without its closing punctuation and surrounding space."""
    spans, start = [], 0
    for match in _CLAUSE_END.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e - s >= MIN_CLAUSE_CHARS:
            out.append((s, e))
    return out


def find_highlight(query: Query, quote: str) -> tuple[int, int] | None:
    """Character range of `quote` that answers `query`, or None."""
    intent = query.intent
    if not quote or intent.wants_list or intent.wants_wording:
        return None
    spans = clauses(quote)
    if len(spans) < 2:
        return None  # one clause: the quote is already the fact
    shared = [len(query.bigrams & bigrams(quote[s:e])) for s, e in spans]
    if intent.kind is not None:
        stating = [i for i, (s, e) in enumerate(spans) if query.states_asked_kind(ENUMERATOR.sub("", quote[s:e]))]
        if not stating:
            return None
        best = max(stating, key=lambda i: (shared[i], -i))
        return spans[best]
    return None  # no kind of fact asked: the clause most like the question only restates it
