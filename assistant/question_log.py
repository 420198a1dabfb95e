"""Questions the assistant did not answer, for staff: every "not found" (with or without
related passages) and every 👎, grouped by normalised question, exported to CSV or Excel.

Stored only when ASSISTANT_LOG_QUESTIONS is on (the default); the privacy setting that keeps
questions out of the server log keeps them out of this list too.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from .sqlite_store import SqliteStore, now_text
from .tokenize import normalize

SCHEMA = """
CREATE TABLE IF NOT EXISTS unanswered (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    question TEXT NOT NULL,
    grouped TEXT NOT NULL,
    mode TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS unanswered_grouped ON unanswered (grouped);
"""
UNANSWERED_MODES = ("not_found", "related")
EXPORT_HEADER = ["问题", "次数", "最近一次", "首次", "未找到", "仅相关条文", "点踩"]
_PUNCTUATION = re.compile(r"[\s\W_]+")
_FINAL_PARTICLES = re.compile(r"[吗呢啊吧呀哦嘛]+$")


def group_key(question: str) -> str:
    """Questions that differ only in width, script, spacing, punctuation or a final particle
    are one entry."""
    return _FINAL_PARTICLES.sub("", _PUNCTUATION.sub("", normalize(question)))[:200]


@dataclass
class QuestionGroup:
    question: str  # the most recent wording
    key: str
    count: int = 0
    last: str = ""
    first: str = ""
    kinds: dict = field(default_factory=lambda: {"not_found": 0, "related": 0, "disliked": 0})

    def add(self, created: str, question: str, kind: str) -> None:
        self.count += 1
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        if created >= self.last:
            self.last, self.question = created, question
        if not self.first or created < self.first:
            self.first = created

    def row(self) -> list:
        return [self.question, self.count, self.last, self.first, self.kinds["not_found"], self.kinds["related"],
                self.kinds["disliked"]]


class QuestionLog(SqliteStore):
    SCHEMA = SCHEMA

    def record(self, question: str, mode: str, source: str) -> None:
        if mode not in UNANSWERED_MODES or not question.strip():
            return
        self._connect().execute(
            "INSERT INTO unanswered (created, question, grouped, mode, source) VALUES (?, ?, ?, ?, ?)",
            (now_text(), question[:500], group_key(question), mode, source))

    def groups(self, disliked: list[tuple[str, str]] = (), date_from: str = "", date_to: str = "",
               order: str = "newest") -> list[QuestionGroup]:
        """Grouped entries, newest (or, with order="count", most frequent) first. Dates are
        YYYY-MM-DD and inclusive; `disliked` are (time, question) pairs of 👎 answers."""
        rows = self._connect().execute("SELECT created, question, mode FROM unanswered").fetchall()
        rows += [(created, question, "disliked") for created, question in disliked]
        groups: dict[str, QuestionGroup] = {}
        for created, question, kind in rows:
            day = created[:10]
            if (date_from and day < date_from) or (date_to and day > date_to):
                continue
            key = group_key(question)
            groups.setdefault(key, QuestionGroup(question, key)).add(created, question, kind)
        ordered = sorted(groups.values(), key=lambda g: g.last, reverse=True)
        if order == "count":
            ordered.sort(key=lambda g: g.count, reverse=True)
        return ordered


def export_csv(groups: list[QuestionGroup], out: Path) -> None:
    with open(out, "w", encoding="utf-8-sig", newline="") as handle:  # BOM: Excel opens it as UTF-8
        writer = csv.writer(handle)
        writer.writerow(EXPORT_HEADER)
        writer.writerows(g.row() for g in groups)


def export_xlsx(groups: list[QuestionGroup], out: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "未解答问题"
    sheet.append(EXPORT_HEADER)
    for group in groups:
        # A cell starting with = + - @ would be read as a formula: keep questions as text.
        row = group.row()
        if str(row[0]).startswith(("=", "+", "-", "@")):
            row[0] = "'" + row[0]
        sheet.append(row)
    sheet.column_dimensions["A"].width = 60
    for column in "BCDEFG":
        sheet.column_dimensions[column].width = 14
    book.save(out)
