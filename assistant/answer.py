"""Extractive answers: pick verbatim sentences from the top chunks and cite them.

1. "Not found" first: retrieval evidence (`SearchResult.relevance`) below a calibrated
   threshold, or a question asking for a kind of fact (an amount, a share, a duration,
   a date, a count) that none of the best sentences states.
2. Every sentence of the top three chunks is scored: cosine with the question (sentence
   vectors are pre-computed at index time) + character-bigram overlap weighted by
   *local* IDF (bigrams shared by all candidates, usually the topic, count for little)
   + a cue when it states the kind of fact asked − a small penalty for lower-ranked
   chunks and for bare headings.
3. The best sentence is quoted verbatim; a runner-up within a small margin is quoted too,
   from the same passage or as a second citation (so two documents that disagree both
   appear, newest first); a short sentence brings its neighbour; list questions
   (有哪些…) bring up to three sentences of the passage.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field

import numpy as np

from .chunking import Chunk
from .document_facts import DocumentFact, find_document_fact
from .index import IndexedDocument
from .search import Hit, SearchResult, Searcher
from .tokenize import STOPWORDS, normalize

NOT_FOUND_TEXT = "抱歉，现有政策文件中没有找到能回答这个问题的内容。您可以换个说法再问，或直接咨询市知识产权局。"
EMPTY_TEXT = "请输入您的问题，例如：专利费用减缴备案审核要多久？"

# Calibrated on the in-scope / out-of-scope questions of benchmarks/questions.jsonl and
# in-scope CMRC questions (python -m benchmarks.calibrate; see benchmarks/RESULTS.md).
DEFAULT_MIN_RELEVANCE = 0.45

# Sentence-score weights, chosen by a one-off grid search (top-1 answer containment) on
# 500 CMRC dev questions and the in-scope policy questions; the benchmark rows "no
# sentence vectors" in benchmarks/RESULTS.md show what the cosine term adds.
W_COSINE = 1.0
W_LOCAL_OVERLAP = 0.5
W_RANK = 0.03
W_CUE = 0.1
W_HEADING = 0.1
KIND_CHECK_TOP = 3  # the asked-for kind of fact must appear among this many best sentences
# ...in a sentence that mentions something the question is about: "申请注册商标要交多少钱"
# must not be answered by "专利权期限补偿请求费…每件200元" (IDF-weighted share of the
# question's words found in the sentence and its section path).
MIN_SUBJECT_COVERAGE = 0.1
SECOND_SENTENCE_MARGIN = 0.08  # quote a runner-up sentence scoring within this of the best
MAX_SENTENCES = 2  # unless the question asks for a list or for wording

_CN_COUNT = r"[一二两三四五六七八九十百千万半]+"
# Chinese numerals count only before a measure word ("五层", "十二家"), so that "一是…"
# enumerations do not look like counts.
_DIGIT = re.compile(rf"\d|{_CN_COUNT}(?:年|个|件|项|家|条|天|日|月|次|倍|成|支|批|名|人|种|类|位|座|部|层|级|届|期|轮|场|"
                    r"所|处|只|头|本|篇|首|台|辆|架|艘|枚|颗|张|份|套|对|双|辑|集|季|号|路|线|站|段|节|章|门|间|"
                    r"米|里|公里|吨|克|斤|亿|元|块|岁|代|任|分|度|股|口|户|票|席|届|册|卷|幅|座|棵|匹|区|省|市|县)")
_CN_YEAR = r"[〇零一二三四五六七八九]{4}年|[元一二三四五六七八九十百]+年"  # 二〇〇四年, 万历十一年
_DATE = re.compile(rf"\d{{1,4}}年|{_CN_YEAR}|\d{{1,2}}月|[一二三四五六七八九十]+月|\d{{1,2}}日|\d{{6,8}}|月份|年底|年初|"
                   r"之前|以前|之后|以后|届满|同时|期间")
# A question asking for a day wants a day ("2021年4月28日", or "2021428" where extraction
# dropped 年月日), not a bare year; one asking for a year wants a year.
_DAY = re.compile(r"\d{1,2}日|\d{4}-\d{1,2}-\d{1,2}|(?<!\d)20\d{5,6}(?!\d)")
_YEAR = re.compile(rf"\d{{1,4}}年|{_CN_YEAR}|(?<!\d)20\d{{5,6}}(?!\d)")
# A length of time: "5个工作日", "六年内", "两个半月", "20日内". Not a year ("2021年") or
# a day of a month ("3月23日"): the number may not follow another digit or 月.
_DURATION = re.compile(rf"(?<![\d月.])(?:\d{{1,3}}(?:\.\d+)?|{_CN_COUNT})\s*(?:"
                       r"个半?(?:工作日|自然日|星期|小时|钟头|月|赛季|季度|世纪)|"
                       r"半?(?:工作日|自然日|天|周|星期|小时|钟头|分钟|秒钟?|年|赛季|季度|世纪)|日(?=内|以内|之内|后|起))"
                       # or a span of years: "1998年至2001年"
                       r"|\d{4}年.{0,8}?(?:至|到|—|－|-|~|～)\s*\d{2,4}年")

# The kind of fact a question asks for, and what a sentence stating it must contain.
# The first matching kind applies. A question of a kind none of the top sentences can
# answer ("申请注册商标要交多少钱" over documents with no trademark fees) is refused.
ANSWER_KINDS: list[tuple[str, re.Pattern, re.Pattern]] = [
    ("money", re.compile(r"多少钱|交多少|缴多少|收多少|费用是多少|收费标准是|多少费"),
     re.compile(r"\d\s*(?:元|万元|亿元)|免缴|免收|不收取")),
    ("rate", re.compile(r"利率|费率|税率"), re.compile(r"[%％]|厘")),
    ("share", re.compile(r"比例|百分之|多少%|几成|减多少|免多少|减免多少"),
     re.compile(r"[%％]|百分之|\d+成|[一二三四五六七八九]成|免缴|免收")),
    ("duration", re.compile(r"多久|多长时间|几天|要等|多少天|几个工作日|多少个工作日|(?<!哪)几年"), _DURATION),
    ("day", re.compile(r"哪天|哪一天|哪日|几号|几月几日|日期"), _DAY),
    ("year", re.compile(r"哪年|哪一年|哪几年|几几年"), _YEAR),
    ("date", re.compile(r"什么时候|何时|几月"), _DATE),
    ("count", re.compile(r"多少|(?<!哪)几"), _DIGIT),
]
_LIST_Q = re.compile(r"有哪些|哪些|都有|包括什么|包括哪|列举|几项|几种|几类|分别|什么条件|哪些条件|条件是什么|什么要求|什么情况下")
_WORDING_Q = re.compile(r"原文|原话|怎么写|如何写|怎么表述|如何表述|原句|全称|完整名称|全名|正式名称|原文表述")
_FULL_NAME_Q = re.compile(r"全称|完整名称|全名|正式名称")
_TITLE = re.compile(r"《[^《》]+》")
_REFERS_BACK = re.compile(r"[该其此这它他她本]|上述|前述")
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
    mode: str = "answer"  # answer | wording | document | not_found | empty | error

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


def answer_kind(question: str) -> tuple[str, re.Pattern, re.Pattern] | None:
    return next((k for k in ANSWER_KINDS if k[1].search(question)), None)


def _is_heading(sentence: str, section: tuple[str, ...]) -> bool:
    """A sentence that is its section's title (它以章节标签开头且几乎只有标签)."""
    return any(label and sentence.startswith(label) and len(sentence) <= len(label) + 2 for label in section)


def is_answerable(result: SearchResult, min_relevance: float) -> bool:
    return bool(result.hits) and result.relevance >= min_relevance


class AnswerBuilder:
    def __init__(self, searcher: Searcher, documents: dict[str, IndexedDocument],
                 min_relevance: float = DEFAULT_MIN_RELEVANCE,
                 chunks_considered: int = 3, second_margin: float = SECOND_SENTENCE_MARGIN,
                 neighbour_below: int = 30, min_subject: float = MIN_SUBJECT_COVERAGE):
        self.searcher = searcher
        self.documents = documents
        self.min_relevance = min_relevance
        self.chunks_considered = chunks_considered
        self.second_margin = second_margin
        self.neighbour_below = neighbour_below
        self.min_subject = min_subject

    # ------------------------------------------------------------ sentence scoring
    def candidates(self, question: str, result: SearchResult) -> list[Candidate]:
        """Every sentence of the top chunks, scored for how well it answers the question."""
        index = self.searcher.index
        q_grams = question_bigrams(question)
        kind = answer_kind(question)
        wants_title = bool(_FULL_NAME_Q.search(question))
        wants_list = bool(_LIST_Q.search(question))
        raw = []
        for rank, hit in enumerate(result.hits[:self.chunks_considered]):
            chunk = hit.chunk
            texts = chunk.sentence_texts()
            if index.sentence_vectors is not None:
                lo, hi = index.sentence_offsets[hit.index], index.sentence_offsets[hit.index + 1]
                cosines = index.sentence_vectors[lo:hi] @ result.query_vector
            else:
                cosines = np.zeros(len(texts), dtype=np.float32)
            for i, ((s, e), text) in enumerate(zip(chunk.sentences, texts)):
                raw.append((rank, hit, i, s, e, text, float(cosines[i]), bigrams(text)))
        # Local IDF: a question bigram found in every candidate (usually the topic, e.g.
        # the entity's name) tells nothing about which sentence holds the answer; one
        # found in a single sentence (花期, 封地, 备案) tells a lot.
        n = len(raw)
        local_weight = {g: math.log((n + 1) / (1 + sum(g in r[7] for r in raw))) for g in q_grams}
        total_weight = sum(local_weight.values()) or 1.0
        out = []
        for rank, hit, i, s, e, text, cosine, grams in raw:
            overlap = sum(local_weight[g] for g in q_grams & grams) / total_weight
            score = (W_COSINE * cosine + W_LOCAL_OVERLAP * overlap - W_RANK * rank)
            if kind and kind[2].search(text):
                score += W_CUE
            if len(text) < 8:
                score -= 0.1  # a bare list number answers nothing alone
            if _is_heading(text, hit.chunk.section):
                score -= W_HEADING  # a title restates the question; the answer is below it
            if wants_title and _TITLE.search(text):
                score += W_CUE
            if wants_list and text.endswith(("：", ":")):
                score += W_CUE  # "…下列…：" introduces the list the question asks for
            out.append(Candidate(rank, hit, i, s, e, text, score))
        return out

    def stating(self, result: SearchResult, ranked: list[Candidate], kind, min_subject: float | None = None) -> list[Candidate]:
        """The best-ranked sentences that state the kind of fact asked, about its subject."""
        floor = self.min_subject if min_subject is None else min_subject
        return [c for c in ranked[:KIND_CHECK_TOP] if kind[2].search(c.text)
                and self.subject_coverage(result, c) >= floor]

    def subject_coverage(self, result: SearchResult, candidate: Candidate) -> float:
        """How much of what the question is about the candidate sentence mentions, read with
        the document title, the section path and, when it starts by referring back
        ("该站…", "其…"), the sentence before it."""
        chunk = candidate.hit.chunk
        meta = self.documents[chunk.doc_id].meta
        refers_back = candidate.sentence_index > 0 and _REFERS_BACK.match(candidate.text)
        if refers_back:
            start, end = chunk.sentences[candidate.sentence_index - 1]
            before = chunk.text[start - chunk.start:end - chunk.start]
        else:
            before = ""
        context = " ".join((meta.short_title or meta.title, *chunk.section, before, candidate.text))
        return self.searcher.text_coverage(result.question_words, normalize(context))

    # ------------------------------------------------------------ answer assembly
    def answer(self, question: str, result: SearchResult) -> Answer:
        fact = find_document_fact(question, self.documents)
        if fact is not None:
            return self._fact_answer(question, fact)
        if not is_answerable(result, self.min_relevance):
            return Answer(question, False, NOT_FOUND_TEXT, [], mode="not_found")
        candidates = sorted(self.candidates(question, result), key=lambda c: -c.score)
        if not candidates:
            return Answer(question, False, NOT_FOUND_TEXT, [], mode="not_found")
        best = candidates[0]
        kind = answer_kind(question)
        if kind:
            # The answer must state the kind of fact asked for (an amount in 元 for
            # 多少钱); otherwise the documents only talk around the question.
            stating = self.stating(result, candidates, kind)
            if not stating:
                return Answer(question, False, NOT_FOUND_TEXT, [], mode="not_found")
            best = stating[0]
            candidates = [best] + [c for c in candidates if c is not best]
        wording = bool(_WORDING_Q.search(question))
        is_list = bool(_LIST_Q.search(question))
        groups: dict[int, tuple[Hit, set[int]]] = {best.hit.index: (best.hit, self._expand(best, candidates, is_list or wording))}
        # A runner-up nearly as good is quoted too: from the same passage, or as a
        # second citation (this is how two documents that disagree both get shown).
        runner = next((c for c in candidates[1:] if (c.hit.index, c.sentence_index) != (best.hit.index, best.sentence_index)
                       and c.sentence_index not in groups.get(c.hit.index, (None, set()))[1]), None)
        if (kind and runner is not None and kind[2].search(runner.text)
                and self.subject_coverage(result, runner) < self.min_subject):
            runner = None  # a second number about something else would only mislead
        if runner is not None and runner.score < best.score - self.second_margin:
            runner = None
        best_ids = groups[best.hit.index][1]
        if runner is not None and not (is_list or wording) and len(best_ids) >= MAX_SENTENCES:
            # Short by default: the best sentence's neighbour and the runner-up compete for
            # the second place.
            scores = {c.sentence_index: c.score for c in candidates if c.hit.index == best.hit.index}
            neighbour_score = max(scores.get(i, -1.0) for i in best_ids - {best.sentence_index})
            if runner.score > neighbour_score:
                best_ids.intersection_update({best.sentence_index})
            else:
                runner = None
        if runner is not None:
            if runner.hit.index in groups:
                groups[runner.hit.index][1].add(runner.sentence_index)
            else:
                groups[runner.hit.index] = (runner.hit, {runner.sentence_index})
        ordered = list(groups.values())
        # When two documents speak, the newer one comes first.
        ordered.sort(key=lambda g: self.documents[g[0].chunk.doc_id].meta.date or "", reverse=True)
        several_documents = len({g[0].chunk.doc_id for g in ordered}) > 1

        parts, citations = [], []
        for n, (hit, sentence_ids) in enumerate(ordered, start=1):
            citation = self._citation(n, hit, sorted(sentence_ids))
            text = citation.quote
            if wording and _FULL_NAME_Q.search(question):
                titles = _TITLE.findall(text)
                if titles:
                    text = f"全称为{titles[0]}。原文：{text}"
            note = "（该文件已被后续文件修改，请以现行规定为准）" if citation.amended else ""
            date = f"（{citation.date}）" if several_documents and citation.date else ""
            parts.append(f"{date}{text}[{n}]{note}")
            citations.append(citation)
        return Answer(question, True, "\n".join(parts), citations, mode="wording" if wording else "answer")

    def _fact_answer(self, question: str, fact: DocumentFact) -> Answer:
        """A fact about a document from its metadata, with the line of text stating it cited."""
        document = self.documents[fact.doc_id]
        meta = document.meta
        where = next((at for at in (document.text.find(e) for e in (*fact.evidence, meta.title)) if at >= 0), 0)
        rows = [i for i, c in enumerate(self.searcher.index.chunks) if c.doc_id == fact.doc_id]
        if not rows:
            return Answer(question, True, fact.text, [], mode="document")
        # The chunk holding that place, else the document's first chunk (the title).
        chunks = self.searcher.index.chunks
        row = next((i for i in rows if chunks[i].start <= where < chunks[i].end), rows[0])
        chunk = chunks[row]
        sentence = next((k for k, (s, e) in enumerate(chunk.sentences) if s <= where < e), 0)
        citation = self._citation(1, Hit(chunk, row, 1.0, 1.0, 0.0), [sentence])
        note = "（该文件已被后续文件修改，请以现行规定为准）" if citation.amended else ""
        return Answer(question, True, f"{fact.text}原文：{citation.quote}[1]{note}", [citation], mode="document")

    def _expand(self, best: Candidate, candidates: list[Candidate], many: bool) -> set[int]:
        """Sentence indexes of the best chunk to quote."""
        chunk = best.hit.chunk
        chosen = {best.sentence_index}
        n_sentences = len(chunk.sentences)
        if many:
            for c in candidates:
                if len(chosen) >= 3:
                    break
                if c.hit is best.hit and c.score >= best.score - 2 * self.second_margin:
                    chosen.add(c.sentence_index)
            # A sentence ending in "：" announces a list: quote the items that follow.
            if best.text.endswith(("：", ":")):
                chosen.update(range(best.sentence_index + 1, min(n_sentences, best.sentence_index + 6)))
        elif len(best.text) < self.neighbour_below or best.text.endswith(("：", ":")):
            if best.sentence_index + 1 < n_sentences:
                chosen.add(best.sentence_index + 1)
            elif best.sentence_index > 0:
                chosen.add(best.sentence_index - 1)
        return chosen

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
