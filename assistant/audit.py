"""The staff console's audit log: every action, who did it from where, never a token."""

from __future__ import annotations

from .sqlite_store import SqliteStore, now_text

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    action TEXT NOT NULL,
    document TEXT NOT NULL DEFAULT '',
    client TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
"""


class AuditLog(SqliteStore):
    SCHEMA = SCHEMA

    def record(self, action: str, document: str = "", client: str = "", detail: str = "") -> None:
        self._connect().execute("INSERT INTO audit (created, action, document, client, detail) VALUES (?, ?, ?, ?, ?)",
                                (now_text(), action, document[:300], client[:100], detail[:1000]))

    def recent(self, limit: int = 50) -> list[tuple]:
        """(time, action, document, client, detail), newest first."""
        return self._connect().execute(
            "SELECT created, action, document, client, detail FROM audit ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
