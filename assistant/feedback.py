"""Thumbs up/down on answers, stored in SQLite (WAL) under the data directory."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

from .sqlite_store import SqliteStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'chat'
)
"""
FIELDS = ["id", "created", "rating", "question", "answer", "citations", "source"]


class FeedbackStore(SqliteStore):
    """Ratings of answers; WAL lets readers and many writers proceed safely."""

    SCHEMA = SCHEMA

    def add(self, rating: int, question: str, answer: str, citations: list, source: str = "chat") -> int:
        if rating not in (-1, 1):
            raise ValueError(f"rating must be 1 or -1, got {rating!r}")
        db = self._connect()
        cursor = db.execute(
            "INSERT INTO feedback (created, rating, question, answer, citations, source) VALUES (?, ?, ?, ?, ?, ?)",
            (time.strftime("%Y-%m-%dT%H:%M:%S%z"), rating, question[:2000], answer[:20000],
             json.dumps(citations, ensure_ascii=False)[:100000], source))
        return int(cursor.lastrowid)

    def disliked(self) -> list[tuple[str, str]]:
        """(time, question) of every 👎."""
        return self._connect().execute("SELECT created, question FROM feedback WHERE rating = -1").fetchall()

    def count(self) -> int:
        return int(self._connect().execute("SELECT COUNT(*) FROM feedback").fetchone()[0])

    def export_csv(self, out: Path) -> int:
        rows = self._connect().execute(f"SELECT {', '.join(FIELDS)} FROM feedback ORDER BY id").fetchall()
        with open(out, "w", encoding="utf-8-sig", newline="") as handle:  # BOM: Excel opens it as UTF-8
            writer = csv.writer(handle)
            writer.writerow(FIELDS)
            writer.writerows(rows)
        return len(rows)
