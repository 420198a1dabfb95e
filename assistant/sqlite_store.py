"""A small SQLite file shared safely by threads: one connection per thread, WAL, waits on locks."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path


def now_text() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


class SqliteStore:
    """Subclasses set SCHEMA (one or more statements)."""

    SCHEMA = ""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        db = self._connect()
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(self.SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            # busy_timeout: concurrent writers wait for the lock instead of failing.
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA busy_timeout=30000")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db
