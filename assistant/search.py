"""Hybrid retrieval: BM25 over jieba tokens and dense vectors in FAISS, fused.

Fusion is one of the pure functions in `FUSIONS`: a weighted sum by default
(0.45 × range-normalised cosine + 0.55 × max-normalised BM25), reciprocal rank fusion,
or BM25 / dense alone (the benchmark compares them). `Searcher.search(query)` returns the
hits with their sentence cosines, the relevance evidence and the `Coverage` measure, so
answering needs nothing else from the searcher or the index.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from .chunking import PURPOSE_CLAUSE, Chunk
from .coverage import Coverage
from .gate import Evidence
from .index import embedding_text
from .passage_store import NO_CANDIDATE, LocalStore, PassageStore, RowFilter
from .query import Query
from .spelling import HomophoneSpeller
from .store import LoadedIndex
from .tokenize import StaffTerms, normalize, tokenizer_for
from .tuning import Tuning

RRF_K = 60
RELEVANCE_SENTENCE_WEIGHT = 3.0
RELEVANCE_CHUNK_WEIGHT = 2.0
UNRELATED_COSINE = 0.9  # e5 cosines of unrelated Chinese texts sit around 0.8–0.9
DENSE_CANDIDATES = 100
COVERAGE_TOP_HITS = 2  # relevance coverage is measured on this many best passages
PASSAGE_COVERAGE_TOP = 3  # the best single-passage coverage is looked for among this many
# Above this many sentence vectors, sentence cosines are computed for the candidate passages
# only (nearest by dense, best by BM25), not for every sentence: 100k rows is 150 MB of
# vectors to read per question, ~15 ms here (benchmarks/SCALE.md).
SENTENCE_SCAN_LIMIT = 100_000
SENTENCE_CANDIDATES = 200  # best BM25 passages whose sentences are scored besides the dense ones
# Added to passages holding a policy's purpose clause when the question asks why or on what
# basis it was made (same size as the named-year preference).
PURPOSE_WEIGHT = 0.15
EXACT_SORT_LIMIT = 4096  # arrays up to this size are fully sorted; larger ones partitioned first
# A long question is encoded from its last clauses only, up to this many characters (see
# encoded_part); BM25 and every check still read all of it.
ENCODED_CHARS = 60
_CLAUSE_END = re.compile(r"(?<=[，。？！,?!;；])")


def encoded_part(normalized: str) -> str:
    """What of a question the encoder reads: a long consultation ("我们是一家做…的公司，
    去年…，请问…？") asks at its end, and the encoder's time grows with the length (about
    50 ms for 80 characters here, a third of that for 25). Its leading clauses are dropped
    until at most ENCODED_CHARS are left; a question with no clause break is kept whole.
    Measured on every question set: no figure lower, everyday2 containment +1; conversations
    and CMRC (no question over 60 characters) unchanged; p95 on the long consultation
    questions of everyday10 52-54 → 42-44 ms."""
    if len(normalized) <= ENCODED_CHARS:
        return normalized
    clauses = [c for c in _CLAUSE_END.split(normalized) if c]
    while len(clauses) > 1 and sum(map(len, clauses)) > ENCODED_CHARS:
        clauses.pop(0)
    return "".join(clauses)


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    index: int  # row in the index
    score: float  # fused score, used for ranking
    cosine: float
    bm25: float
    sentence_cosines: tuple[float, ...] = ()  # one per sentence of the chunk (zeros without sentence vectors)


@dataclass
class SearchResult:
    query: Query
    hits: list[Hit]
    query_vector: np.ndarray
    top_coverage: float  # share of the question's (IDF-weighted) words found in the top hits
    top_cosine: float  # best chunk cosine
    top_sentence_cosine: float  # best sentence cosine anywhere (chunk cosine without sentence vectors)
    coverage: Coverage  # measures coverage of the question's words by any text
    evidence: Evidence | None = None  # what the "not found" gate reads
    # The passage holding the closest sentence anywhere, when it is not among `hits`: a long
    # passage whose one sentence answers an everyday question may rank low as a whole, yet
    # belongs among the related passages offered when the question is not answered.
    closest: Hit | None = None

    @property
    def relevance(self) -> float:
        """Evidence that the documents answer the question: word coverage plus how far the
        best sentence and chunk cosines rise above unrelated text. Weights fitted in
        benchmarks/calibrate.py."""
        return (self.top_coverage + RELEVANCE_SENTENCE_WEIGHT * (self.top_sentence_cosine - UNRELATED_COSINE)
                + RELEVANCE_CHUNK_WEIGHT * (self.top_cosine - UNRELATED_COSINE))


# ---------------------------------------------------------------- fusion (pure)

def fuse_bm25(dense: np.ndarray, bm25: np.ndarray, weight_dense: float) -> np.ndarray:
    return bm25 + 1e-6 * dense  # dense only breaks ties


def fuse_dense(dense: np.ndarray, bm25: np.ndarray, weight_dense: float) -> np.ndarray:
    return dense


def fuse_weighted(dense: np.ndarray, bm25: np.ndarray, weight_dense: float) -> np.ndarray:
    """e5 cosines crowd into 0.8–0.95: the dense candidates' range is stretched to 0–1 so
    the weight means what it says; BM25 is divided by its maximum."""
    top = bm25.max()
    bm25_norm = bm25 / top if top > 0 else bm25
    candidates = dense > NO_CANDIDATE
    if not candidates.any():
        return (1 - weight_dense) * bm25_norm
    lo, hi = dense[candidates].min(), dense[candidates].max()
    dense_norm = np.where(candidates, (dense - lo) / (hi - lo) if hi > lo else 1.0, 0.0)
    return weight_dense * dense_norm + (1 - weight_dense) * bm25_norm


def fuse_rrf(dense: np.ndarray, bm25: np.ndarray, weight_dense: float) -> np.ndarray:
    """Reciprocal rank fusion; a chunk missing from one ranking gets nothing from it."""
    fused = np.zeros_like(dense)
    for scores, mask, weight in ((dense, dense > NO_CANDIDATE, weight_dense),
                                 (bm25, bm25 > 0, 1.0 - weight_dense)):
        order = np.argsort(-scores, kind="stable")
        ranks = np.empty(len(scores), dtype=np.float32)
        ranks[order] = np.arange(1, len(scores) + 1)
        fused += np.where(mask, 2 * weight / (RRF_K + ranks), 0.0)
    return fused


FUSIONS = {"weighted": fuse_weighted, "rrf": fuse_rrf, "bm25": fuse_bm25, "dense": fuse_dense}


def top_rows(scores: np.ndarray, k: int, support: np.ndarray | None = None) -> np.ndarray:
    """Rows of the k highest scores, best first, ties in row order: the same as
    `np.argsort(-scores, kind="stable")[:k]`, without sorting a million scores.
    `support`: the rows (ascending) scoring above every other row (the dense candidates, the
    passages BM25 matched); with at least k of them only they are ranked."""
    n = len(scores)
    k = min(k, n)
    if support is not None and len(support) >= k and n > EXACT_SORT_LIMIT:
        return support[top_rows(scores[support], k)]
    if n <= EXACT_SORT_LIMIT or k <= 0:
        return np.argsort(-scores, kind="stable")[:k]
    kth = np.partition(scores, n - k)[n - k]  # the k-th highest score
    above = np.flatnonzero(scores > kth)
    tied = np.flatnonzero(scores == kth)[:k - len(above)]
    rows = np.sort(np.concatenate([above, tied]))
    return rows[np.argsort(-scores[rows], kind="stable")]


# ---------------------------------------------------------------- searcher

class Searcher:
    def __init__(self, index: LoadedIndex, encoder, tuning: Tuning = Tuning(), store: PassageStore | None = None):
        if encoder.encoder_id != index.encoder_id:
            raise ValueError(f"encoder {encoder.encoder_id} does not match index encoder {index.encoder_id}")
        self.index = index
        self.encoder = encoder
        self.store = store or LocalStore(index)  # where the vectors and postings are searched
        self.fuse = FUSIONS[tuning.fusion]
        self.weight_dense = tuning.weight_dense
        self.sentence_signal = tuning.sentence_signal
        self.tokenizer = tokenizer_for(index.user_terms, StaffTerms.from_dict(index.manifest.get("staff_terms")))
        # What coverage is measured on: the indexed text (title, section path and passage).
        self.normalized_chunks = [normalize(embedding_text(index.documents[c.doc_id].meta, c))
                                  for c in index.chunks]
        self.coverage = Coverage(self.normalized_chunks, self.tokenizer.synonyms, bm25_document_counts(index.bm25))
        self.speller = HomophoneSpeller(self.coverage, self.tokenizer)  # "专例" → 专利
        self.period_weight = tuning.period_weight
        self._rows_with_purpose = None  # passages holding a policy's purpose clause (_prefer_purpose)
        # Per passage, as arrays, so a filter or a named year costs one vector operation per
        # question, not a Python loop over every passage.
        documents = sorted({c.doc_id for c in index.chunks})
        self._document_number = {doc_id: i for i, doc_id in enumerate(documents)}
        self._document_of_row = np.array([self._document_number[c.doc_id] for c in index.chunks], dtype=np.int32)
        years = [section_years(c.section) for c in index.chunks]
        self._rows_with_years = np.array([bool(y) for y in years], dtype=bool)
        self._rows_of_year = {year: np.array([year in y for y in years], dtype=bool)
                              for year in set().union(*years)} if years else {}
        import faiss

        # Flat search over a few thousand vectors is fastest on one thread, and extra
        # OpenMP threads only fight the encoder for the two cores.
        faiss.omp_set_num_threads(1)

    def parse(self, question) -> Query:
        """Read a question with this index's tokenizer."""
        return Query.parse(question, self.tokenizer, self.speller.respell)

    def bm25_scores(self, query: Query, allowed: RowFilter | None = None) -> np.ndarray:
        return self.store.bm25_scores(list(query.tokens), allowed)

    def dense_scores(self, query_vector: np.ndarray, allowed: RowFilter | None = None) -> np.ndarray:
        """Cosines of the DENSE_CANDIDATES nearest (allowed) passages, NO_CANDIDATE elsewhere."""
        return self.store.dense_scores(query_vector, DENSE_CANDIDATES, allowed)

    def sentence_cosines(self, row: int, all_cosines: np.ndarray | None) -> tuple[float, ...]:
        """The cosines of one passage's sentences, sliced from those of every sentence."""
        if all_cosines is None:
            return (0.0,) * len(self.index.chunks[row].sentences)
        lo, hi = self.index.sentence_offsets[row], self.index.sentence_offsets[row + 1]
        return tuple(float(c) for c in all_cosines[lo:hi])

    def _with_sentences(self, dense: np.ndarray, sentence_cosines: np.ndarray | None) -> np.ndarray:
        """Dense evidence per passage, optionally mixed with its best sentence's cosine: an
        everyday question often matches one sentence better than the whole passage."""
        if not self.sentence_signal or sentence_cosines is None or not len(dense):
            return dense
        offsets = self.index.sentence_offsets
        best = np.maximum.reduceat(sentence_cosines, offsets[:-1]) if len(sentence_cosines) else dense
        mixed = (1 - self.sentence_signal) * np.where(dense > NO_CANDIDATE, dense, best) + self.sentence_signal * best
        return mixed.astype(np.float32)

    def _prefer_named_period(self, query: Query, fused: np.ndarray) -> np.ndarray:
        """A question naming a year ("22年打算…") is about the part of a document headed by
        that year ("2022年工作要点"), not the part about another year ("2021年工作总结").
        Applied only when some section is headed by a named year, so a stray number read as
        a year ("20年") changes nothing."""
        if not query.years or not self.period_weight or not len(fused):
            return fused
        named = [self._rows_of_year[y] for y in query.years if y in self._rows_of_year]
        if not named:
            return fused
        under_named = np.logical_or.reduce(named)
        shift = np.where(under_named, 1.0, np.where(self._rows_with_years, -1.0, 0.0)).astype(np.float32)
        return fused + self.period_weight * shift

    def _prefer_purpose(self, query: Query, fused: np.ndarray) -> np.ndarray:
        """A question asking why or on what basis a policy was made ("依据哪部法", "目的") is
        answered by its opening clause, which shares few words with it: passages holding
        such a clause come forward."""
        if not query.intent.wants_purpose or not len(fused):
            return fused
        if self._rows_with_purpose is None:  # made on the first such question
            self._rows_with_purpose = np.array([any(PURPOSE_CLAUSE.search(t) for t in c.sentence_texts())
                                                for c in self.index.chunks], dtype=bool)
        return fused + PURPOSE_WEIGHT * self._rows_with_purpose

    def all_sentence_cosines(self, query_vector: np.ndarray, dense: np.ndarray, bm25: np.ndarray,
                             matched: np.ndarray) -> np.ndarray | None:
        """The cosine of every sentence with the question (None without sentence vectors).
        A very large index scores only the sentences of candidate passages (the dense
        candidates and the best BM25 passages, `matched` being the rows BM25 matched); the
        others get -1."""
        vectors = self.index.sentence_vectors
        if vectors is None:
            return None
        if len(vectors) <= SENTENCE_SCAN_LIMIT:
            return np.asarray(vectors @ query_vector, dtype=np.float32)
        offsets = self.index.sentence_offsets
        rows = np.union1d(np.flatnonzero(dense > NO_CANDIDATE), top_rows(bm25, SENTENCE_CANDIDATES, matched))
        sentence_rows = np.concatenate([np.arange(offsets[r], offsets[r + 1]) for r in rows]) if len(rows) else \
            np.zeros(0, dtype=np.int64)
        cosines = np.full(len(vectors), -1.0, dtype=np.float32)
        cosines[sentence_rows] = vectors[sentence_rows] @ query_vector
        return cosines

    def row_mask(self, allowed_docs: frozenset[str]) -> np.ndarray:
        """Which passages belong to the allowed documents."""
        allowed = [self._document_number[d] for d in allowed_docs if d in self._document_number]
        return np.isin(self._document_of_row, np.array(allowed, dtype=np.int32))

    def search(self, query: Query, top_k: int = 5, allowed_docs: frozenset[str] | None = None) -> SearchResult:
        """The best passages for `query`; with `allowed_docs`, only from those documents
        (filters, repealed documents left out: scope.allowed_documents)."""
        # The documents are in simplified characters: the question is encoded the same way.
        query_vector = self.encoder.encode_query(encoded_part(query.normalized))
        allowed = RowFilter(frozenset(allowed_docs), self.row_mask(allowed_docs)) if allowed_docs is not None else None
        dense = self.dense_scores(query_vector, allowed)
        bm25 = self.bm25_scores(query, allowed)
        # The rows each side found, so rankings below partition these, not every passage.
        dense_rows, matched = np.flatnonzero(dense > NO_CANDIDATE), np.flatnonzero(bm25 > 0)
        # Every sentence's cosine, computed once: for the hits, the best-sentence evidence and
        # (when tuned on) the dense score.
        sentence_cosines = self.all_sentence_cosines(query_vector, dense, bm25, matched)
        keep = None
        if allowed_docs is not None:
            # Passages outside the scope are not candidates at all, so the evidence the gate
            # reads is about the allowed documents only.
            keep = allowed.mask
            if sentence_cosines is not None:
                per_sentence = np.repeat(keep, np.diff(self.index.sentence_offsets))
                sentence_cosines = np.where(per_sentence, sentence_cosines, -1.0).astype(np.float32)
        fused = self.fuse(self._with_sentences(dense, sentence_cosines), bm25, self.weight_dense)
        fused = self._prefer_named_period(query, fused)
        fused = self._prefer_purpose(query, fused)
        if query.quoted:
            # A phrase the user quotes is a wording lookup: passages holding it come first.
            holds = np.array([any(p in text for p in query.quoted) for text in self.normalized_chunks])
            fused = fused + holds * (float(fused.max()) + 1.0 if len(fused) else 0.0)
        if keep is not None:
            fused = np.where(keep, fused, -np.inf)
        order = top_rows(fused, max(2, top_k))
        margin = _margin(fused[order[:2]])
        order = order[:max(1, top_k)]
        hits = [Hit(self.index.chunks[i], int(i), float(fused[i]), float(dense[i]), float(bm25[i]),
                    self.sentence_cosines(int(i), sentence_cosines))
                for i in order if i < len(self.index.chunks) and (keep is None or keep[i])]
        top_coverage = (self.coverage.of_rows(query.words, [h.index for h in hits[:COVERAGE_TOP_HITS]], query.alternatives)
                        if hits else 0.0)
        if query.quoted and hits and any(p in self.normalized_chunks[hits[0].index] for p in query.quoted):
            top_coverage = max(top_coverage, 1.0)
        passage_coverage = max((self.coverage.of_rows(query.words, [h.index], query.alternatives)
                                for h in hits[:PASSAGE_COVERAGE_TOP]), default=0.0)
        top_cosine = float(dense.max()) if len(dense) else 0.0
        has_sentences = sentence_cosines is not None and len(sentence_cosines) > 0
        best_sentence = int(sentence_cosines.argmax()) if has_sentences else -1
        top_sentence = float(sentence_cosines[best_sentence]) if has_sentences else top_cosine
        evidence = _evidence(query, dense, bm25, margin, top_coverage, top_cosine, top_sentence,
                             self.coverage.unknown_share(query.words, query.alternatives),
                             set(top_rows(dense, AGREEMENT_TOP, dense_rows).tolist()),
                             set(top_rows(bm25, AGREEMENT_TOP, matched).tolist()) if len(matched) else set(),
                             sentence_cosines, passage_coverage)
        closest = None
        if has_sentences and top_sentence > -1.0:
            row = int(np.searchsorted(self.index.sentence_offsets, best_sentence, side="right") - 1)
            if row not in {h.index for h in hits} and (keep is None or keep[row]):
                closest = Hit(self.index.chunks[row], row, float(fused[row]), float(dense[row]), float(bm25[row]),
                              self.sentence_cosines(row, sentence_cosines))
        return SearchResult(query, hits, query_vector, top_coverage, top_cosine, top_sentence, self.coverage, evidence,
                            closest)


def bm25_document_counts(bm25):
    """word -> number of passages holding it as a BM25 token (None if it is no token), read
    from bm25s's postings: one column of its sparse score matrix per token."""
    vocabulary = getattr(bm25, "vocab_dict", None)
    scores = getattr(bm25, "scores", None)
    if not vocabulary or not scores or "indptr" not in scores:
        return None
    indptr = scores["indptr"]

    def count(word: str) -> int | None:
        token = vocabulary.get(word)
        return None if token is None or token + 1 >= len(indptr) else int(indptr[token + 1] - indptr[token])
    return count


_SECTION_YEAR = re.compile(r"(?<!\d)(19\d{2}|20\d{2})年")


def section_years(section: tuple[str, ...]) -> frozenset[int]:
    """Years a passage's section headings name ("2021年工作总结" → {2021})."""
    return frozenset(int(y) for label in section for y in _SECTION_YEAR.findall(label))


AGREEMENT_TOP = 5
MAX_MARGIN = 1.0  # a quoted phrase lifts a passage far above the rest: cap its margin


def _margin(best_two: np.ndarray) -> float:
    """How far the best fused score leads the second (0 without two allowed passages)."""
    finite = best_two[np.isfinite(best_two)]
    return float(finite[0] - finite[1]) if len(finite) > 1 else 0.0


def _evidence(query: Query, dense, bm25, margin: float, top_coverage: float, top_cosine: float,
              top_sentence: float, unknown_share: float, top_dense: set, top_bm25: set,
              sentence_cosines: np.ndarray | None, passage_coverage: float) -> Evidence:
    cosine_z = _z_of_best(dense[dense > NO_CANDIDATE], top_cosine)
    # Sentences left out (other documents, or unscored in a very large index) are -1.
    scored = sentence_cosines[sentence_cosines > -1.0] if sentence_cosines is not None else None
    sentence_z = _z_of_best(scored, top_sentence) if scored is not None and len(scored) else cosine_z
    return Evidence(coverage=top_coverage, sentence_cosine=top_sentence, chunk_cosine=top_cosine, cosine_z=cosine_z,
                    bm25_top=math.log1p(float(bm25.max())) if len(bm25) else 0.0,
                    fused_margin=min(margin, MAX_MARGIN),
                    agreement=len(top_dense & top_bm25) / AGREEMENT_TOP, log_length=math.log1p(len(query.text)),
                    unknown_share=unknown_share, sentence_z=sentence_z, passage_coverage=passage_coverage)


def _z_of_best(values: np.ndarray, best: float) -> float:
    """How many standard deviations `best` stands above the mean of `values`."""
    spread = float(values.std()) if len(values) > 1 else 0.0
    return (best - float(values.mean())) / spread if spread > 0 else 0.0
