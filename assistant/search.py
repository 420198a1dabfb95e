"""Hybrid retrieval: BM25 over jieba tokens and dense vectors in FAISS, fused.

Fusion is a weighted sum by default (`fusion="weighted"`, 0.45 × range-normalised
cosine + 0.55 × max-normalised BM25); `"rrf"` is reciprocal rank fusion. The benchmark
compares both, and BM25 or dense alone (`fusion="bm25"` / `"dense"`). `coverage` measures how much of a question's
rarer words a passage contains: with the cosine it decides "not found".
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import numpy as np

from .chunking import Chunk
from .index import LoadedIndex, embedding_text
from .tokenize import PolicyTokenizer, normalize, quoted_phrases

RRF_K = 60
RELEVANCE_SENTENCE_WEIGHT = 3.0
RELEVANCE_CHUNK_WEIGHT = 2.0
DENSE_CANDIDATES = 100
DF_CACHE_LIMIT = 50_000


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
    top_cosine: float  # best chunk cosine
    top_sentence_cosine: float  # best sentence cosine anywhere (chunk cosine without sentence vectors)
    # (word, part-of-speech weight) of the question, tagged once here and reused by answering
    question_words: list[tuple[str, float]] = field(default_factory=list)

    @property
    def relevance(self) -> float:
        """Evidence that the documents answer the question: word coverage plus how far the
        best sentence and chunk cosines rise above 0.9 (e5 cosines of unrelated Chinese
        texts sit around 0.8–0.9). Weights fitted in benchmarks/calibrate.py."""
        return (self.coverage + RELEVANCE_SENTENCE_WEIGHT * (self.top_sentence_cosine - 0.9)
                + RELEVANCE_CHUNK_WEIGHT * (self.top_cosine - 0.9))


class Searcher:
    def __init__(self, index: LoadedIndex, encoder, fusion: str = "weighted", weight_dense: float = 0.45):
        if fusion not in ("rrf", "weighted", "bm25", "dense"):
            raise ValueError(f"fusion must be rrf, weighted, bm25 or dense, got {fusion!r}")
        if encoder.encoder_id != index.encoder_id:
            raise ValueError(f"encoder {encoder.encoder_id} does not match index encoder {index.encoder_id}")
        self.index = index
        self.encoder = encoder
        self.fusion = fusion
        self.weight_dense = weight_dense
        self.tokenizer = PolicyTokenizer(index.user_terms)
        # What coverage is measured on: the indexed text (title, section path and passage).
        self.normalized_chunks = [normalize(embedding_text(index.documents[c.doc_id].meta, c))
                                  for c in index.chunks]
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
            # e5 cosines crowd into 0.8–0.95: stretch the candidates' range to 0–1 so
            # the weight means what it says; BM25 is divided by its maximum.
            top = bm25.max()
            bm25_norm = bm25 / top if top > 0 else bm25
            candidates = dense > -1
            lo, hi = dense[candidates].min(), dense[candidates].max()
            dense_norm = np.where(candidates, (dense - lo) / (hi - lo) if hi > lo else 1.0, 0.0)
            return self.weight_dense * dense_norm + (1 - self.weight_dense) * bm25_norm
        fused = np.zeros_like(dense)
        for scores, mask, weight in ((dense, dense > -1, self.weight_dense),
                                     (bm25, bm25 > 0, 1.0 - self.weight_dense)):
            order = np.argsort(-scores, kind="stable")
            ranks = np.empty(len(scores), dtype=np.float32)
            ranks[order] = np.arange(1, len(scores) + 1)
            fused += np.where(mask, 2 * weight / (RRF_K + ranks), 0.0)
        return fused

    # ------------------------------------------------------------ coverage
    def document_frequency(self, word: str) -> int:
        with self._df_lock:
            if word not in self._df_cache:
                if len(self._df_cache) >= DF_CACHE_LIMIT:
                    self._df_cache.clear()  # public questions bring endless new words: stay bounded
                self._df_cache[word] = sum(1 for text in self.normalized_chunks if word in text)
            return self._df_cache[word]

    def idf(self, word: str) -> float:
        n = len(self.normalized_chunks)
        return math.log((n + 1) / (self.document_frequency(word) + 0.5))

    def coverage(self, words: list[tuple[str, float]], rows: list[int]) -> float:
        """IDF-weighted share of the question's words present in the given chunks (synonyms count)."""
        return self.text_coverage(words, "\n".join(self.normalized_chunks[i] for i in rows))

    def text_coverage(self, words: list[tuple[str, float]], joined: str) -> float:
        """IDF-weighted share of the question's words (`PolicyTokenizer.content_words`)
        present in `joined` (normalised text)."""
        if not words:
            return 0.0
        synonyms = self.tokenizer.synonyms
        total = covered = 0.0
        for word, pos_weight in words:
            weight = pos_weight * self.idf(word)
            total += weight
            alternatives = [word] + synonyms.get(word, [])
            if any(alt in joined for alt in alternatives):
                covered += weight
            elif len(word) >= 3:
                # Half credit at most for a compound whose parts appear (银行贷款 → 银行).
                grams = [word[i:i + 2] for i in range(len(word) - 1)]
                covered += 0.5 * weight * sum(g in joined for g in grams) / len(grams)
        return covered / total if total else 0.0

    # ------------------------------------------------------------ search
    def search(self, question: str, top_k: int = 5) -> SearchResult:
        # The documents are in simplified characters: encode the question the same way.
        query_vector = self.encoder.encode_query(normalize(question))
        dense = self.dense_scores(query_vector)
        bm25 = self.bm25_scores(question)
        fused = self._fuse(dense, bm25)
        quoted = quoted_phrases(question)
        if quoted:
            # A phrase the user quotes is a wording lookup: passages holding it come first.
            holds = np.array([any(p in text for p in quoted) for text in self.normalized_chunks])
            fused = fused + holds * (float(fused.max()) + 1.0 if len(fused) else 0.0)
        order = np.argsort(-fused, kind="stable")[:max(1, top_k)]
        hits = [Hit(self.index.chunks[i], int(i), float(fused[i]), float(dense[i]), float(bm25[i]))
                for i in order if i < len(self.index.chunks)]
        words = self.tokenizer.content_words(question)
        coverage = self.coverage(words, [h.index for h in hits[:2]]) if hits else 0.0
        if quoted and hits and any(p in self.normalized_chunks[hits[0].index] for p in quoted):
            coverage = max(coverage, 1.0)
        top_cosine = float(dense.max()) if len(dense) else 0.0
        sentences = self.index.sentence_vectors
        top_sentence = float((sentences @ query_vector).max()) if sentences is not None and len(sentences) else top_cosine
        return SearchResult(question, hits, query_vector, coverage, top_cosine, top_sentence, words)
