"""Hybrid retrieval: BM25 over jieba tokens and dense vectors in FAISS, fused.

Fusion is reciprocal rank fusion by default (`fusion="rrf"`); `"weighted"` mixes
cosine with max-normalised BM25. The benchmark compares both, and BM25 or dense
alone (`fusion="bm25"` / `"dense"`). `coverage` measures how much of a question's
rarer words a passage contains: with the cosine it decides "not found".
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from .chunking import Chunk
from .index import LoadedIndex
from .tokenize import PolicyTokenizer, normalize

RRF_K = 60
DENSE_CANDIDATES = 100


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    index: int  # row in the index
    score: float  # fused score, used for ranking
    cosine: float
    bm25: float


@dataclass
class SearchResult:
    question: str
    hits: list[Hit]
    query_vector: np.ndarray
    coverage: float  # share of the question's (IDF-weighted) words found in the top hits
    top_cosine: float


class Searcher:
    def __init__(self, index: LoadedIndex, encoder, fusion: str = "rrf", weight_dense: float = 0.5):
        if fusion not in ("rrf", "weighted", "bm25", "dense"):
            raise ValueError(f"fusion must be rrf, weighted, bm25 or dense, got {fusion!r}")
        if encoder.encoder_id != index.encoder_id:
            raise ValueError(f"encoder {encoder.encoder_id} does not match index encoder {index.encoder_id}")
        self.index = index
        self.encoder = encoder
        self.fusion = fusion
        self.weight_dense = weight_dense
        self.tokenizer = PolicyTokenizer(index.user_terms)
        self.normalized_chunks = [normalize(c.text) for c in index.chunks]
        self._df_cache: dict[str, int] = {}
        self._df_lock = threading.Lock()
        import faiss

        # Flat search over a few thousand vectors is fastest on one thread, and extra
        # OpenMP threads only fight the encoder for the two cores.
        faiss.omp_set_num_threads(1)

    # ------------------------------------------------------------ scores
    def bm25_scores(self, question: str) -> np.ndarray:
        tokens = self.tokenizer.query_tokens(question)
        if not tokens or not self.index.chunks:
            return np.zeros(len(self.index.chunks), dtype=np.float32)
        return np.asarray(self.index.bm25.get_scores(tokens), dtype=np.float32)

    def dense_scores(self, query_vector: np.ndarray) -> np.ndarray:
        n = len(self.index.chunks)
        scores = np.full(n, -1.0, dtype=np.float32)
        if n == 0:
            return scores
        k = min(n, DENSE_CANDIDATES)
        sims, ids = self.index.faiss_index.search(query_vector[None, :].astype(np.float32), k)
        valid = ids[0] >= 0
        scores[ids[0][valid]] = sims[0][valid]
        return scores

    def _fuse(self, dense: np.ndarray, bm25: np.ndarray) -> np.ndarray:
        if self.fusion == "bm25":
            return bm25 + 1e-6 * dense  # dense only breaks ties
        if self.fusion == "dense":
            return dense
        if self.fusion == "weighted":
            top = bm25.max()
            bm25_norm = bm25 / top if top > 0 else bm25
            return self.weight_dense * dense + (1 - self.weight_dense) * bm25_norm
        fused = np.zeros_like(dense)
        for scores, mask in ((dense, dense > -1), (bm25, bm25 > 0)):
            order = np.argsort(-scores, kind="stable")
            ranks = np.empty(len(scores), dtype=np.float32)
            ranks[order] = np.arange(1, len(scores) + 1)
            fused += np.where(mask, 1.0 / (RRF_K + ranks), 0.0)
        return fused

    # ------------------------------------------------------------ coverage
    def document_frequency(self, word: str) -> int:
        with self._df_lock:
            if word not in self._df_cache:
                self._df_cache[word] = sum(1 for text in self.normalized_chunks if word in text)
            return self._df_cache[word]

    def idf(self, word: str) -> float:
        n = len(self.normalized_chunks)
        return math.log((n + 1) / (self.document_frequency(word) + 0.5))

    def coverage(self, question: str, texts: list[str]) -> float:
        """IDF-weighted share of the question's words present in texts (synonyms count)."""
        words = self.tokenizer.content_words(question)
        if not words:
            return 0.0
        joined = "\n".join(normalize(t) for t in texts)
        synonyms = self.tokenizer._synonyms
        total = covered = 0.0
        for word in words:
            weight = self.idf(word)
            total += weight
            alternatives = [word] + synonyms.get(word, [])
            if any(alt in joined for alt in alternatives):
                covered += weight
            elif len(word) >= 3 and sum(1 for ch in word if ch in joined) >= len(word) - 1:
                covered += 0.5 * weight  # a long word with one character differing
        return covered / total if total else 0.0

    # ------------------------------------------------------------ search
    def search(self, question: str, top_k: int = 5) -> SearchResult:
        query_vector = self.encoder.encode_query(question)
        dense = self.dense_scores(query_vector)
        bm25 = self.bm25_scores(question)
        fused = self._fuse(dense, bm25)
        order = np.argsort(-fused, kind="stable")[:max(1, top_k)]
        hits = [Hit(self.index.chunks[i], int(i), float(fused[i]), float(dense[i]), float(bm25[i]))
                for i in order if i < len(self.index.chunks)]
        coverage = self.coverage(question, [h.chunk.text for h in hits[:2]]) if hits else 0.0
        top_cosine = float(dense.max()) if len(dense) else 0.0
        return SearchResult(question, hits, query_vector, coverage, top_cosine)
