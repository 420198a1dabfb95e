"""Lexical coverage: how much of a question's (IDF-weighted) words a text contains.

Built once per index over the indexed texts (title, section path and passage, normalised).
Search uses it for the relevance evidence of the top passages; answering uses it to check
that a sentence stating the asked-for kind of fact is about what was asked.
"""

from __future__ import annotations

import math
import threading
from typing import Callable

DF_CACHE_LIMIT = 50_000
# Counting a word's passages scans every text (~10 ms per word at 100k passages). Above this
# many texts a word the BM25 vocabulary holds is counted from its postings (passages holding
# it as a token), any other word from an evenly spaced sample of this size (benchmarks/SCALE.md).
EXACT_COUNT_LIMIT = 20_000
COMPOUND_PART_CREDIT = 0.5  # a compound whose parts appear (银行贷款 → 银行) earns at most half
COMPOUND_MIN_CHARS = 3


class Coverage:
    def __init__(self, normalized_texts: list[str], synonyms: dict[str, list[str]],
                 token_counts: Callable[[str], int | None] | None = None):
        """`token_counts(word)`: passages holding word as a BM25 token (None for a word that is
        no token), used only above EXACT_COUNT_LIMIT texts."""
        self.texts = normalized_texts
        self.synonyms = synonyms
        step = max(1, -(-len(normalized_texts) // EXACT_COUNT_LIMIT))
        self._counted = normalized_texts if step == 1 else normalized_texts[::step]  # a sample only of very many
        self._scale = len(normalized_texts) / len(self._counted) if self._counted else 1.0
        self._token_counts = token_counts if step > 1 else None
        self._df_cache: dict[str, int] = {}
        self._df_lock = threading.Lock()

    def document_frequency(self, word: str) -> int:
        with self._df_lock:
            if word not in self._df_cache:
                if len(self._df_cache) >= DF_CACHE_LIMIT:
                    self._df_cache.clear()  # public questions bring endless new words: stay bounded
                count = self._token_counts(word) if self._token_counts else None
                if count is None:
                    count = round(sum(1 for text in self._counted if word in text) * self._scale)
                self._df_cache[word] = count
            return self._df_cache[word]

    def idf(self, word: str) -> float:
        n = len(self.texts)
        return math.log((n + 1) / (self.document_frequency(word) + 0.5))

    def alternatives(self, word: str, extra: dict | None = None) -> list[str]:
        """The word and what counts as it: its synonyms, and `extra` ones for one question."""
        return [word, *self.synonyms.get(word, []), *((extra or {}).get(word, ()))]

    def named(self, word: str, extra: dict | None = None) -> bool:
        """Does some indexed text contain the word or one of its synonyms?"""
        return any(self.document_frequency(alt) for alt in self.alternatives(word, extra))

    def parts(self, word: str, extra: dict | None = None) -> list[str]:
        """A four-character word that no indexed text holds whole but whose two halves both are
        ("国家验收" for "通过国家知识产权局验收", "通过考核" for "通过…考核验收") stands for those
        two words; any other word for itself."""
        if len(word) == 4 and not self.named(word, extra) and all(self.named(half, extra)
                                                                  for half in (word[:2], word[2:])):
            return [word[:2], word[2:]]
        return [word]

    def unknown_share(self, words, extra: dict | None = None) -> float:
        """Share of the words (by part-of-speech weight) that no indexed text contains, nor any
        of their synonyms: 北京 or 软件著作权 over documents that never mention them. `extra`:
        more synonyms per word, for this question only (Query.alternatives)."""
        total = sum(weight for _, weight in words)
        if not total:
            return 0.0
        unknown = sum(weight for word, weight in words if not self.named(word, extra))
        return unknown / total

    def of_rows(self, words, rows: list[int], extra: dict | None = None) -> float:
        """Coverage of the words by the indexed texts in `rows` (synonyms count)."""
        return self.of_text(words, "\n".join(self.texts[i] for i in rows), extra)

    def of_text(self, words, joined: str, extra: dict | None = None) -> float:
        """IDF-weighted share of `words` ((word, part-of-speech weight) pairs, see
        `PolicyTokenizer.content_words`) present in `joined` (normalised text)."""
        if not words:
            return 0.0
        total = covered = 0.0
        for word, pos_weight in words:
            weight = pos_weight * self.idf(word)
            total += weight
            alternatives = self.alternatives(word, extra)
            if any(alt in joined for alt in alternatives):
                covered += weight
            elif len(word) >= COMPOUND_MIN_CHARS:
                grams = [word[i:i + 2] for i in range(len(word) - 1)]
                covered += COMPOUND_PART_CREDIT * weight * sum(g in joined for g in grams) / len(grams)
        return covered / total if total else 0.0
