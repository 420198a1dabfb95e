"""Extractive answers: pick verbatim sentences from the top chunks and cite them.

Sentence score = cosine(sentence, question) (vectors pre-computed at index time)
+ character-bigram overlap with the question + small cues for the kind of fact asked
(numbers for 多少/多久, dates for 什么时候) + a prior for the chunk's rank. The best
sentence is quoted with its neighbour when it is too short to stand alone; list
questions (有哪些…) get up to three. "Not found" is decided before any of this, from
retrieval evidence (see `is_answerable`).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import numpy as np

from .chunking import Chunk
from .index import IndexedDocument
from .search import Hit, SearchResult, Searcher
from .tokenize import STOPWORDS, normalize

NOT_FOUND_TEXT = "抱歉，现有政策文件中没有找到能回答这个问题的内容。您可以换个说法再问，或直接咨询市知识产权局。"
EMPTY_TEXT = "请输入您的问题，例如：专利费用减缴备案审核要多久？"

# Calibrated on the in-scope / out-of-scope questions of benchmarks/questions.jsonl
# (see benchmarks/RESULTS.md): a question is answered when the top passages cover
# enough of its rarer words, or when the dense match alone is very strong.
DEFAULT_MIN_COVERAGE = 0.5
DEFAULT_STRONG_COSINE = 0.90

_NUMBER_Q = re.compile(r"多少|几|多久|多长|多大|比例|百分|金额|费用是|数量|额度|上限|标准是")
_TIME_Q = re.compile(r"什么时候|何时|哪天|哪一天|哪年|几月|日期|时间是|截止")
_LIST_Q = re.compile(r"有哪些|哪些|都有|包括什么|包括哪|列举|几项|几种|几类|分别")
_WORDING_Q = re.compile(r"原文|原话|怎么写|如何写|怎么表述|如何表述|原句|全称|完整名称|全名|正式名称|原文表述")
_FULL_NAME_Q = re.compile(r"全称|完整名称|全名|正式名称")
_DIGIT = re.compile(r"\d")
_DATE = re.compile(r"\d{1,4}年|\d{1,2}月|\d{1,2}日|\d{6,8}")
_TITLE = re.compile(r"《[^《》]+》")
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


@dataclass
class Citation:
    n: int
    doc_id: str
    title: str
    section: str
    date: str
    quote: str
    passage: str
    score: float
    issuer: str = ""
    status: str = ""
    amended: bool = False
    start: int = 0  # passage offsets in the document
    end: int = 0
    quote_spans: list = field(default_factory=list)  # quote sentence offsets within the passage

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    question: str
    found: bool
    answer: str
    citations: list[Citation]
    latency_ms: float = 0.0
    mode: str = "answer"  # answer | wording | not_found | empty | error

    def to_dict(self) -> dict:
        return {"question": self.question, "found": self.found, "answer": self.answer,
                "citations": [c.to_dict() for c in self.citations],
                "latency_ms": round(self.latency_ms, 1), "mode": self.mode}


@dataclass(frozen=True)
class Candidate:
    hit_rank: int
    hit: Hit
    sentence_index: int  # within the chunk
    start: int
    end: int
    text: str
    score: float


def bigrams(text: str) -> set[str]:
    text = _PUNCT.sub(" ", normalize(text))
    grams = set()
    for piece in text.split():
        grams.update(piece[i:i + 2] for i in range(len(piece) - 1))
    return grams


def question_bigrams(question: str) -> set[str]:
    grams = bigrams(question)
    return {g for g in grams if g not in STOPWORDS and not (g[0] in STOPWORDS and g[1] in STOPWORDS)}


def is_answerable(result: SearchResult, min_coverage: float, strong_cosine: float) -> bool:
    if not result.hits:
        return False
    return result.coverage >= min_coverage or result.top_cosine >= strong_cosine


class AnswerBuilder:
    def __init__(self, searcher: Searcher, documents: dict[str, IndexedDocument],
                 min_coverage: float = DEFAULT_MIN_COVERAGE, strong_cosine: float = DEFAULT_STRONG_COSINE,
                 chunks_considered: int = 3, max_sentences: int = 2, neighbour_below: int = 30):
        self.searcher = searcher
        self.documents = documents
        self.min_coverage = min_coverage
        self.strong_cosine = strong_cosine
        self.chunks_considered = chunks_considered
        self.max_sentences = max_sentences
        self.neighbour_below = neighbour_below

    # ------------------------------------------------------------ sentence scoring
    def candidates(self, question: str, result: SearchResult) -> list[Candidate]:
        index = self.searcher.index
        q_grams = question_bigrams(question)
        wants_number = bool(_NUMBER_Q.search(question))
        wants_date = bool(_TIME_Q.search(question))
        out = []
        for rank, hit in enumerate(result.hits[:self.chunks_considered]):
            chunk = hit.chunk
            texts = chunk.sentence_texts()
            vectors = None
            if index.sentence_vectors is not None:
                lo, hi = index.sentence_offsets[hit.index], index.sentence_offsets[hit.index + 1]
                vectors = index.sentence_vectors[lo:hi]
            cosines = vectors @ result.query_vector if vectors is not None else np.zeros(len(texts))
            for i, ((s, e), text) in enumerate(zip(chunk.sentences, texts)):
                grams = bigrams(text)
                overlap = len(q_grams & grams) / len(q_grams) if q_grams else 0.0
                score = float(cosines[i]) + 0.5 * overlap - 0.03 * rank
                if wants_number and _DIGIT.search(text):
                    score += 0.05
                if wants_date and _DATE.search(text):
                    score += 0.05
                if len(text) < 8:
                    score -= 0.1  # a bare list number or heading answers nothing alone
                out.append(Candidate(rank, hit, i, s, e, text, score))
        return out

    # ------------------------------------------------------------ answer assembly
    def answer(self, question: str, result: SearchResult) -> Answer:
        if not is_answerable(result, self.min_coverage, self.strong_cosine):
            return Answer(question, False, NOT_FOUND_TEXT, [], mode="not_found")
        candidates = self.candidates(question, result)
        if not candidates:
            return Answer(question, False, NOT_FOUND_TEXT, [], mode="not_found")
        wording = bool(_WORDING_Q.search(question))
        is_list = bool(_LIST_Q.search(question))
        best = max(candidates, key=lambda c: c.score)
        chosen = self._expand(best, candidates, is_list or wording)
        groups = [(best.hit, chosen)]
        other = self._other_document(best, candidates)
        if other is not None:
            groups.append((other.hit, self._expand(other, candidates, False)))
        # When two documents speak, the newer one comes first.
        groups.sort(key=lambda g: self.documents[g[0].chunk.doc_id].meta.date or "", reverse=True)

        parts, citations = [], []
        for n, (hit, sentence_ids) in enumerate(groups, start=1):
            citation = self._citation(n, hit, sentence_ids)
            text = citation.quote
            if wording and _FULL_NAME_Q.search(question):
                titles = _TITLE.findall(text)
                if titles:
                    text = f"全称为{titles[0]}。原文：{text}"
            note = "（该文件已被后续文件修改，请以现行规定为准）" if citation.amended else ""
            date = f"（{citation.date}）" if len(groups) > 1 and citation.date else ""
            parts.append(f"{date}{text}[{n}]{note}")
            citations.append(citation)
        return Answer(question, True, "\n".join(parts), citations, mode="wording" if wording else "answer")

    def _expand(self, best: Candidate, candidates: list[Candidate], many: bool) -> list[int]:
        """Sentence indexes (in the best chunk) to quote, in document order."""
        chunk = best.hit.chunk
        chosen = {best.sentence_index}
        n_sentences = len(chunk.sentences)
        if many:
            same_chunk = sorted((c for c in candidates if c.hit is best.hit), key=lambda c: -c.score)
            for c in same_chunk[1:]:
                if len(chosen) >= 3:
                    break
                if c.score >= best.score - 0.08:
                    chosen.add(c.sentence_index)
            # A sentence ending in "：" announces a list: quote the items that follow.
            if best.text.endswith(("：", ":")):
                for i in range(best.sentence_index + 1, min(n_sentences, best.sentence_index + 6)):
                    chosen.add(i)
        elif len(best.text) < self.neighbour_below or best.text.endswith(("：", ":")):
            if best.sentence_index + 1 < n_sentences:
                chosen.add(best.sentence_index + 1)
            elif best.sentence_index > 0:
                chosen.add(best.sentence_index - 1)
        return sorted(chosen)

    def _other_document(self, best: Candidate, candidates: list[Candidate]) -> Candidate | None:
        """A sentence from another document that answers nearly as well (e.g. an older rule)."""
        others = [c for c in candidates if c.hit.chunk.doc_id != best.hit.chunk.doc_id]
        if not others:
            return None
        runner = max(others, key=lambda c: c.score)
        return runner if runner.score >= best.score - 0.02 else None

    def _citation(self, n: int, hit: Hit, sentence_ids: list[int]) -> Citation:
        chunk: Chunk = hit.chunk
        document = self.documents[chunk.doc_id]
        meta = document.meta
        spans = [chunk.sentences[i] for i in sentence_ids]
        # Adjacent sentences are quoted as one verbatim span of the source.
        quote_parts, run = [], [spans[0]]
        for span in spans[1:]:
            if span[0] - run[-1][1] <= 1 and "\n" not in document.text[run[-1][1]:span[0]]:
                run.append(span)
            else:
                quote_parts.append(run)
                run = [span]
        quote_parts.append(run)
        quote = "……".join(document.text[r[0][0]:r[-1][1]] for r in quote_parts)
        return Citation(
            n=n, doc_id=chunk.doc_id, title=meta.title, section=chunk.section_path, date=meta.date,
            quote=quote, passage=chunk.text, score=round(hit.score, 4), issuer=meta.issuer,
            status=meta.status, amended=meta.amended, start=chunk.start, end=chunk.end,
            quote_spans=[[s - chunk.start, e - chunk.start] for s, e in spans],
        )
