"""Thumbs up/down on answers, stored in SQLite (WAL) under the data directory."""

from __future__ import annotations

import csv
import json
import sqlite3
import threading
import time
from pathlib import Path

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


class FeedbackStore:
    """One connection per thread; WAL lets readers and many writers proceed safely."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            # busy_timeout: concurrent writers wait for the lock instead of failing.
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA busy_timeout=30000")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def add(self, rating: int, question: str, answer: str, citations: list, source: str = "chat") -> int:
        if rating not in (-1, 1):
            raise ValueError(f"rating must be 1 or -1, got {rating!r}")
        db = self._connect()
        cursor = db.execute(
            "INSERT INTO feedback (created, rating, question, answer, citations, source) VALUES (?, ?, ?, ?, ?, ?)",
            (time.strftime("%Y-%m-%dT%H:%M:%S%z"), rating, question[:2000], answer[:20000],
             json.dumps(citations, ensure_ascii=False)[:100000], source))
        return int(cursor.lastrowid)

    def count(self) -> int:
        return int(self._connect().execute("SELECT COUNT(*) FROM feedback").fetchone()[0])

    def export_csv(self, out: Path) -> int:
        rows = self._connect().execute(f"SELECT {', '.join(FIELDS)} FROM feedback ORDER BY id").fetchall()
        with open(out, "w", encoding="utf-8-sig", newline="") as handle:  # BOM: Excel opens it as UTF-8
            writer = csv.writer(handle)
            writer.writerow(FIELDS)
            writer.writerows(rows)
        return len(rows)
