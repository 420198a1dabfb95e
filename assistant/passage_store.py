"""Where passages are searched: the index's own files (FAISS + bm25s, the default) or a
server such as Milvus (milvus_store.py), behind one small protocol.

The searcher asks a store for two score vectors over every passage row of the loaded index
(row i is `LoadedIndex.chunks[i]`): dense cosines for the nearest passages and BM25
scores. Fusion, the "not found" evidence and answering stay in the app, so every store
answers the same way; only where the vectors and postings live changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

NO_CANDIDATE = -1.0  # dense score of a passage outside the nearest candidates


@dataclass(frozen=True)
class RowFilter:
    """The passages a filtered question may be answered from (scope.allowed_documents)."""

    docs: frozenset[str]  # document ids (what a server-side filter expression names)
    mask: np.ndarray  # bool per passage row (what a local search masks with)


class PassageStore(Protocol):
    name: str

    def dense_scores(self, query_vector: np.ndarray, candidates: int,
                     allowed: RowFilter | None = None) -> np.ndarray:
        """Cosine of the `candidates` nearest passages (among the allowed ones when a filter is
        given), NO_CANDIDATE for every other row; one float32 per passage row."""

    def bm25_scores(self, tokens: list[str], allowed: RowFilter | None = None) -> np.ndarray:
        """BM25 score of every passage row for the query tokens (0 where nothing matches or
        the row is not allowed); float32."""


class LocalStore:
    """The index's FAISS and bm25s files, in this process (the default)."""

    name = "local"

    def __init__(self, index):
        self.index = index
        self.rows = len(index.chunks)

    def dense_scores(self, query_vector: np.ndarray, candidates: int,
                     allowed: RowFilter | None = None) -> np.ndarray:
        scores = np.full(self.rows, NO_CANDIDATE, dtype=np.float32)
        if self.rows == 0:
            return scores
        query = query_vector[None, :].astype(np.float32)
        faiss_index = self.index.faiss_index
        if allowed is None:
            sims, ids = faiss_index.search(query, min(self.rows, candidates))
        elif is_exact(faiss_index):
            # Exact search scores every passage anyway: score them all and let the mask keep
            # the allowed ones (the allowed passages may all lie beyond the nearest).
            sims, ids = faiss_index.search(query, self.rows)
        else:
            sims, ids = _search_selected(faiss_index, query, candidates, allowed.mask)
        valid = ids[0] >= 0
        scores[ids[0][valid]] = sims[0][valid]
        if allowed is not None:
            scores = np.where(allowed.mask, scores, NO_CANDIDATE).astype(np.float32)
        return scores

    def bm25_scores(self, tokens: list[str], allowed: RowFilter | None = None) -> np.ndarray:
        if not tokens or self.rows == 0:
            return np.zeros(self.rows, dtype=np.float32)
        scores = np.asarray(self.index.bm25.get_scores(list(tokens)), dtype=np.float32)
        if allowed is not None:
            scores = np.where(allowed.mask, scores, 0.0).astype(np.float32)
        return scores


def is_exact(faiss_index) -> bool:
    """Is this FAISS index exact (flat) search, scoring every vector?"""
    import faiss

    return isinstance(faiss_index, faiss.IndexFlat)


def _search_selected(faiss_index, query: np.ndarray, k: int, mask: np.ndarray):
    """Approximate search restricted to the rows in mask (FAISS ID selector)."""
    import faiss

    allowed_ids = np.flatnonzero(mask).astype(np.int64)
    if not len(allowed_ids):
        return np.zeros((1, 0), np.float32), np.zeros((1, 0), np.int64)
    selector = faiss.IDSelectorBatch(allowed_ids)
    params = faiss.SearchParametersHNSW(sel=selector) if isinstance(faiss_index, faiss.IndexHNSW) \
        else faiss.SearchParameters(sel=selector)
    return faiss_index.search(query, min(k, len(allowed_ids)), params=params)


def open_store(kind: str, index, uri: str = "") -> PassageStore:
    """The store named by ASSISTANT_STORE ("local" or "milvus") for a loaded index."""
    if kind in ("", "local"):
        return LocalStore(index)
    if kind == "milvus":
        from .milvus_store import MilvusStore

        return MilvusStore.for_index(index, uri)
    raise ValueError(f"ASSISTANT_STORE must be local or milvus, got {kind!r}")
