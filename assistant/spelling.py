"""Typing slips of a pinyin keyboard: a word typed with a same-sounding character
("专例" for 专利, "申清" for 申请, "减交" for 减缴) is read as the documents' word.

Only a word jieba had to coin (not in its dictionary), that no indexed text contains, and
that differs from a common word of the documents by one character of the same pinyin is
respelt: "还能", "我是" or "提实" are left alone. Measured on the development sets: 9 of 11
such words respelt were slips (the two others, 提实 → 事实 and 重不 → 重复, are kept out by
requiring the documents' word in at least MIN_SHARE of the passages).
"""

from __future__ import annotations

import re
import threading

from .coverage import Coverage

MIN_SHARE = 0.02  # the documents' word must be in this share of the passages (and in two at least)
_HAN = re.compile(r"^[\u4e00-\u9fff]{2}$")


class HomophoneSpeller:
    def __init__(self, coverage: Coverage, tokenizer):
        self.coverage = coverage
        self.tokenizer = tokenizer
        self.min_passages = max(2, round(MIN_SHARE * len(coverage.texts)))
        self._by_sound: dict[str, frozenset[str]] | None = None  # pinyin → the corpus's characters
        self._lock = threading.Lock()

    def respell(self, normalized: str) -> str:
        """The question with its slips replaced (unchanged when there are none)."""
        for word in self._coined_words(normalized):
            better = self._documents_word(word)
            if better:
                normalized = normalized.replace(word, better)
        return normalized

    def warm_up(self) -> None:
        """Load pypinyin and the documents' sound table now (about 0.4 s), not on the first
        question with a slip."""
        self._sounds()

    def _coined_words(self, normalized: str) -> list[str]:
        return [w for w in self.tokenizer.cut(normalized) if _HAN.match(w) and not self.tokenizer.knows(w)
                and not self.coverage.document_frequency(w)]

    def _documents_word(self, word: str) -> str | None:
        from pypinyin import Style, pinyin  # imported on the first slip only

        by_sound = self._sounds()
        best, best_count = None, 0
        for at, char in enumerate(word):
            for sound in pinyin(char, style=Style.NORMAL, heteronym=True)[0]:
                for other in by_sound.get(sound, ()):
                    candidate = word[:at] + other + word[at + 1:]
                    if other == char or not self.tokenizer.knows(candidate):
                        continue
                    count = self.coverage.document_frequency(candidate)
                    if count >= self.min_passages and count > best_count:
                        best, best_count = candidate, count
        return best

    def _sounds(self) -> dict[str, frozenset[str]]:
        with self._lock:
            if self._by_sound is None:
                from pypinyin import Style, pinyin

                table: dict[str, set[str]] = {}
                chars = {c for text in self.coverage.texts for c in text if "\u4e00" <= c <= "\u9fff"}
                for char in chars:
                    for sound in pinyin(char, style=Style.NORMAL, heteronym=True)[0]:
                        table.setdefault(sound, set()).add(char)
                self._by_sound = {sound: frozenset(found) for sound, found in table.items()}
            return self._by_sound
