"""Which documents a question may be answered from.

Two rules meet here. Repealed documents are left out unless the question names one (its
title, short title or number), so an old rule never answers as if it were in force. And a
question may carry `filters` (from the API's "filters" or the chat's 限定范围 control):
document ids, an issuer, a date range. A filter that matches no document is reported, not
silently ignored.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from .tokenize import normalize

FILTER_KEYS = ("doc_ids", "issuer", "date_from", "date_to")


class FilterError(ValueError):
    """Malformed filters; the message names the problem (Chinese, shown to the caller)."""


@dataclass(frozen=True)
class Filters:
    doc_ids: tuple[str, ...] = ()
    issuer: str = ""
    date_from: str = ""
    date_to: str = ""

    @classmethod
    def parse(cls, raw) -> "Filters | None":
        """Filters from a JSON object (None or {} means none). Raises FilterError."""
        if raw is None or raw == {}:
            return None
        if not isinstance(raw, dict):
            raise FilterError("filters 应为对象，例如 {\"issuer\": \"国家知识产权局\"}")
        unknown = sorted(set(raw) - set(FILTER_KEYS))
        if unknown:
            raise FilterError(f"filters 中有不认识的字段：{', '.join(unknown)}（可用 {', '.join(FILTER_KEYS)}）")
        doc_ids = raw.get("doc_ids") or []
        if isinstance(doc_ids, str):
            doc_ids = [doc_ids]
        if not isinstance(doc_ids, list) or not all(isinstance(d, str) for d in doc_ids):
            raise FilterError("filters.doc_ids 应为文件名列表")
        issuer = raw.get("issuer") or ""
        if not isinstance(issuer, str):
            raise FilterError("filters.issuer 应为文字")
        dates = {}
        for key in ("date_from", "date_to"):
            value = raw.get(key) or ""
            if not isinstance(value, str):
                raise FilterError(f"filters.{key} 应为 YYYY-MM-DD 格式的日期")
            if value:
                try:
                    _dt.date.fromisoformat(value)
                except ValueError:
                    raise FilterError(f"filters.{key} 应为 YYYY-MM-DD 格式的日期，收到 {value!r}") from None
            dates[key] = value
        if dates["date_from"] and dates["date_to"] and dates["date_from"] > dates["date_to"]:
            raise FilterError("filters.date_from 晚于 date_to")
        filters = cls(tuple(doc_ids), issuer.strip(), dates["date_from"], dates["date_to"])
        return None if filters == cls() else filters

    def admits(self, doc_id: str, meta) -> bool:
        if self.doc_ids and doc_id not in self.doc_ids:
            return False
        if self.issuer and self.issuer not in meta.issuer:
            return False
        if self.date_from and not (meta.date and meta.date >= self.date_from):
            return False
        if self.date_to and not (meta.date and meta.date <= self.date_to):
            return False
        return True

    def describe(self) -> str:
        parts = []
        if self.doc_ids:
            parts.append("文件 " + "、".join(self.doc_ids))
        if self.issuer:
            parts.append(f"发文机关含“{self.issuer}”")
        if self.date_from or self.date_to:
            parts.append(f"日期 {self.date_from or '不限'} 至 {self.date_to or '不限'}")
        return "；".join(parts)


def names_document(question_normalized: str, meta) -> bool:
    """Does the question name this document (title, short title or number)?"""
    return any(name and normalize(name) in question_normalized
               for name in (meta.title, meta.short_title, meta.doc_number))


def allowed_documents(question_normalized: str, documents: dict, filters: Filters | None,
                      repealed: frozenset[str] | None = None) -> frozenset[str] | None:
    """The document ids a question may be answered from; None when every document may.
    A question naming a repealed document asks about that text: it is answered from it.
    `repealed` (the repealed documents' ids, found once per index by `repealed_ids`) spares
    a pass over every document on every question."""
    if repealed is None:
        repealed = repealed_ids(documents)
    named_repealed = {doc_id for doc_id in repealed if names_document(question_normalized, documents[doc_id].meta)}
    if named_repealed:
        return frozenset(d for d in named_repealed if filters is None or filters.admits(d, documents[d].meta))
    chosen = set(filters.doc_ids) if filters else set()
    # (No repealed document is named here: that returned above.)
    repealed_left_out = {doc_id for doc_id in repealed if doc_id not in chosen}
    if filters is None and not repealed_left_out:
        return None
    return frozenset(doc_id for doc_id, d in documents.items()
                     if doc_id not in repealed_left_out and (filters is None or filters.admits(doc_id, d.meta)))


def repealed_ids(documents: dict) -> frozenset[str]:
    """Ids of the repealed documents."""
    return frozenset(doc_id for doc_id, d in documents.items() if d.meta.repealed)
