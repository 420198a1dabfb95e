"""Extractive answers: choose verbatim sentences from the top passages and cite them.

`answer(query, result, documents, tuning)` is pure: it reads the parsed question, the
search result (hits with sentence cosines, relevance evidence, coverage) and the
documents' metadata; it needs no searcher and no index.

1. "Not found" first: relevance below the calibrated threshold, or a question asking for
   a kind of fact (an amount, a share, a duration, a date, a count) that none of the best
   sentences states about what was asked.
2. The sentences of the top passages are scored (`sentences.score_sentences`).
3. The best sentence is quoted verbatim; a runner-up within a small margin is quoted too,
   from the same passage or as a second citation (so two documents that disagree both
   appear, newest first); a short sentence brings its neighbour; list questions
   (有哪些…) bring up to three sentences of the passage. At most two sentences otherwise.
"""

from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING

from .chunking import Chunk
from .document_facts import DocumentFact
from .gate import load_gate
from .highlight import find_highlight
from .places import about_elsewhere
from .query import CALENDAR_KINDS, PRICE_KINDS, Query
from .search import Hit, SearchResult, section_years
from .sentences import LIST_INTRO_ENDINGS, Candidate, first_title, is_heading, score_sentences, subject_coverage
from .store import IndexedDocument
from .tokenize import bigrams, load_terms_file, normalize
from .tuning import Tuning

if TYPE_CHECKING:  # a follow-up's notion, used here only through covers()
    from .conversation import AlreadySaid

NOT_FOUND_TEXT = "抱歉，现有政策文件中没有找到能回答这个问题的内容。您可以换个说法再问，或直接咨询市知识产权局。"
RELATED_TEXT = "抱歉，没有找到能直接回答这个问题的条文。下面是可能相关的条文，供您参考；也可以换个说法再问，或直接咨询市知识产权局。"
# When the answer is "not sure", the passages offered: of the RELATED_POOL best by search, the
# RELATED_PASSAGES whose closest sentence is closest to the question. An everyday question
# often matches one sentence better than a whole passage (refused answerable questions with
# their passage offered: policy_colloquial .58 → .75, own everyday .74 → .93).
RELATED_PASSAGES = 5
RELATED_POOL = 10
RELATED_BY_RANK = 2  # related passages taken in search order before the sentence-cosine ones
EMPTY_TEXT = "请输入您的问题，例如：专利费用减缴备案审核要多久？"
AMENDED_NOTE = "（该文件已被后续文件修改，请以现行规定为准）"
AMENDED_BY_NOTE = "（该文件已被{by}修改，请以现行规定为准）"
REPEALED_NOTE = "（已废止：该文件已失效{by}，仅供查阅，请以现行规定为准）"
VALIDITY_ORDER = {"effective": 0, "amended": 1, "repealed": 2}  # in force first

KIND_CHECK_TOP = 3  # the asked-for kind of fact must appear among this many best sentences
LIST_INTRO_TOP = 10  # a list question's introduction ("下列专利收费：") is looked for in this many passages
FEE_KIND_POOL = 6  # passages searched for a sentence naming the fee asked about and stating the kind asked
MAX_SENTENCES = 2  # unless the question asks for a list or for wording
MAX_LIST_SENTENCES = 3  # sentences of the best passage quoted for a list or wording question
LIST_MARGIN_FACTOR = 2  # list sentences may score this many second_margins below the best
LIST_ITEMS_AFTER_INTRO = 5  # items quoted after a sentence ending in "："


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
    validity: str = "effective"  # effective | amended | repealed
    amended_by: list = field(default_factory=list)  # what amended or repealed it
    start: int = 0  # passage offsets in the document
    end: int = 0
    quote_spans: list = field(default_factory=list)  # quote sentence offsets within the passage
    short_title: str = ""
    highlight: list | None = None  # [start, end) of the clause in `quote` that answers (highlight.py)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class AnswerPart:
    """One line of an answer: `prefix` + quoted `text` + marker [citation] + `note`."""

    text: str
    citation: int | None = None
    prefix: str = ""
    note: str = ""
    highlight: tuple[int, int] | None = None  # the clause of `text` that answers, shown bold

    def plain(self) -> str:
        marker = f"[{self.citation}]" if self.citation is not None else ""
        return f"{self.prefix}{self.text}{marker}{self.note}"


@dataclass
class Answer:
    question: str
    found: bool
    answer: str
    citations: list[Citation]
    latency_ms: float = 0.0
    # answer | wording | document | not_found | empty, or what happened to the request:
    # rate_limited | not_ready | error
    mode: str = "answer"
    parts: tuple[AnswerPart, ...] = ()
    related: list[Citation] = field(default_factory=list)  # mode "related": the closest passages
    confidence: float = 0.0  # the gate's probability that the documents answer it (1 for a document's own facts)
    resolved_question: str | None = None  # set when asked with a history: the question as understood
    context_used: bool = False

    @classmethod
    def from_parts(cls, question: str, parts: list[AnswerPart], citations: list[Citation], mode: str) -> "Answer":
        return cls(question, True, "\n".join(p.plain() for p in parts), citations, mode=mode, parts=tuple(parts))

    @classmethod
    def refusal(cls, question: str, text: str, mode: str) -> "Answer":
        """Not answered: not found, empty, or the request was refused (rate limit, not ready, error)."""
        return cls(question, False, text, [], mode=mode, parts=(AnswerPart(text),))

    def to_dict(self) -> dict:
        out = {"question": self.question, "found": self.found, "answer": self.answer,
               "citations": [c.to_dict() for c in self.citations],
               "latency_ms": round(self.latency_ms, 1), "mode": self.mode}
        if self.related:
            out["related"] = [c.to_dict() for c in self.related]
        if self.resolved_question is not None:
            out["resolved_question"] = self.resolved_question
            out["context_used"] = self.context_used
        return out


def not_found(query: Query, result: SearchResult | None = None, documents=None) -> Answer:
    """"Not found"; with `result`, the closest passages are offered as related ("not sure")."""
    if result is None or not result.hits:
        return Answer.refusal(query.text, NOT_FOUND_TEXT, "not_found")
    related = []
    # The two best-ranked passages (search's own order) are always among them, the rest of the
    # pool by how close its closest sentence is: an everyday question may match either way.
    def closest_sentence(hit: Hit) -> float:
        return -max(hit.sentence_cosines, default=0.0)

    pool = [*result.hits[:RELATED_POOL], *([result.closest] if result.closest is not None else [])]
    by_sentence = sorted(pool, key=closest_sentence)
    chosen = list(dict.fromkeys([*result.hits[:RELATED_BY_RANK], *by_sentence]))[:RELATED_PASSAGES]
    closest = sorted(chosen, key=closest_sentence)  # shown closest first
    for n, hit in enumerate(closest, start=1):
        best = max(range(len(hit.chunk.sentences)), key=lambda i: hit.sentence_cosines[i], default=0)
        citation = make_citation(n, hit, [best], documents)
        # Their order is that of their closest sentence: its cosine is the score shown.
        citation.score = round(max(hit.sentence_cosines, default=hit.score), 4)
        related.append(citation)
    return Answer(query.text, False, RELATED_TEXT, [], mode="related", parts=(AnswerPart(RELATED_TEXT),),
                  related=related)


def answer_threshold(tuning: Tuning) -> float:
    """The confidence at or above which a question is answered."""
    if tuning.gate == "relevance":
        return tuning.min_relevance
    return load_gate().answer_threshold if tuning.answer_threshold is None else tuning.answer_threshold


def gate_decision(result: SearchResult, tuning: Tuning) -> tuple[str, float]:
    """("answer" | "related" (not sure: offer the closest passages) | "none", confidence)."""
    if not result.hits:
        return "none", 0.0
    if tuning.gate == "relevance" or result.evidence is None:
        return ("answer" if result.relevance >= tuning.min_relevance else "none"), result.relevance
    gate = load_gate()
    probability = gate.probability(result.evidence)
    answer_at = answer_threshold(tuning)
    related_at = gate.related_threshold if tuning.related_threshold is None else tuning.related_threshold
    if probability >= answer_at:
        return "answer", probability
    return ("related" if probability >= min(related_at, answer_at) else "none"), probability


def amended_note(citation: Citation) -> str:
    """The validity note shown after a quote from an amended or repealed document."""
    by = "、".join(citation.amended_by)
    if citation.validity == "repealed":
        return REPEALED_NOTE.format(by=f"（由{by}废止）" if by else "")
    if citation.amended:
        return AMENDED_BY_NOTE.format(by=by) if by else AMENDED_NOTE
    return ""


def _about_elsewhere(query: Query, hit: Hit, documents: dict[str, IndexedDocument]) -> bool:
    meta = documents[hit.chunk.doc_id].meta
    return about_elsewhere(query.places, meta.issuer, meta.title, " ".join((*hit.chunk.section, hit.chunk.text)))


def _title(documents: dict[str, IndexedDocument], chunk: Chunk) -> str:
    meta = documents[chunk.doc_id].meta
    return meta.short_title or meta.title


@functools.lru_cache(maxsize=1)
def _fee_terms() -> tuple[str, ...]:
    """Fee names of the policy vocabulary, longest first ("补偿期年费" before "年费")."""
    return tuple(sorted((t for t in load_terms_file() if t.endswith("费")), key=len, reverse=True))


def names_fee(text: str, fee: str, question_bigrams: frozenset[str] = frozenset()) -> bool:
    """Does `text` name the fee itself, not only a longer fee that ends with it ("年费" is
    not named by "补偿期年费"), unless the question speaks of that longer fee's qualifier
    too ("延长的保护期每年的年费", read with 期限补偿)?"""
    for longer in _fee_terms():
        if len(longer) > len(fee) and longer.endswith(fee) and not bigrams(longer[:-len(fee)]) & question_bigrams:
            text = text.replace(longer, "")
    return fee in text


# The fee a sentence prices: "应缴纳专利权期限补偿请求费，收费标准为每件200元".
_PRICED_FEE = re.compile(r"(?:缴纳|缴|收取)([\u4e00-\u9fff]{2,12}?费)(?!用)")
_FEE_IS_HOW_MUCH = re.compile(r"费(?:用|的标准)?(?:是|为|要|得|收)?多少")  # "恢复权利请求费是多少"
# Character pairs every fee name shares, which say nothing about which fee it is.
_FEE_GENERIC_PAIRS = frozenset({"专利", "利权", "请求", "求费", "收费", "费用", "申请", "请费", "缴纳"})


def prices_another_fee(text: str, question_bigrams: frozenset[str]) -> bool:
    """A sentence that prices a particular fee the question does not speak of ("复审请求的费用
    标准" is not answered by "缴纳专利权期限补偿请求费，收费标准为每件200元")."""
    fees = _PRICED_FEE.findall(text)
    return bool(fees) and not any((bigrams(fee) - _FEE_GENERIC_PAIRS) & question_bigrams for fee in fees)


def stating(result: SearchResult, ranked: list[Candidate], documents: dict[str, IndexedDocument],
            min_subject: float) -> list[Candidate]:
    """The best-ranked sentences that state the kind of fact asked, about its subject; a
    price or a saving must be that of the fee the question names ("代理费多少钱" is not
    answered by a request fee)."""
    query = result.query
    kind_name = query.intent.kind.name if query.intent.kind else None
    fees = query.named_fees if kind_name in PRICE_KINDS else ()
    # A price asked ("多少钱", or "X费是多少"): the sentence must not price some other fee.
    prices_fee = kind_name == "money" or (kind_name == "count" and bool(_FEE_IS_HOW_MUCH.search(query.normalized)))
    topic = asked_topic(query) if kind_name in TOPIC_KINDS else None
    seen: set[str] = set()  # a title line repeated in two passages counts once
    distinct = [c for c in ranked if not (c.text in seen or seen.add(c.text))][:KIND_CHECK_TOP]
    return [c for c in distinct if query.states_asked_kind(c.text)
            and all(names_fee(c.text, fee, query.bigrams) or any(names_fee(s, fee, query.bigrams)
                                                                   for s in c.hit.chunk.section) for fee in fees)
            and not (prices_fee and prices_another_fee(c.text, query.bigrams))
            and not (query.years and kind_name not in CALENDAR_KINDS and about_another_year(query, c))
            and not (topic and not names_topic(result, topic, c, _title(documents, c.hit.chunk)))
            and subject_coverage(result, c, _title(documents, c.hit.chunk)) >= min_subject]


# Kinds whose answer must be about the thing named just before the asking: a procedure
# ("质押登记去哪办"). Measured and not kept for company and organisation ("外观设计银奖是哪个
# 企业拿的" would no longer be answered by a bank's name): four blind answerable questions lost;
# nor for durations (the word before "多久" is often not the sentence's: own, held-out and
# blind each lost a question, the everyday sets two to three).
TOPIC_KINDS = ("procedure",)
# Words of the asking itself, not what the procedure is for.
PROCEDURE_WORDS = frozenset("提交 提出 递交 办理 申请 注册 登记 材料 手续 证明 资料 流程 需要 准备 部门 地方 哪里 "
                            "哪儿 具体 一般 应当 请问 提供 开具 出具 填写 携带 应该 可以 能够".split())


def asked_topic(query: Query) -> str | None:
    """The thing a question asks about: the last word before the asking ("开放许可声明如何
    提交": 声明; "专利权质押登记去哪办": 质押), or None when nothing stands before it."""
    asked = query.intent.kind.asks.search(query.normalized)
    before = query.normalized[:asked.start()] if asked else query.normalized
    # Nouns and verbs: what is done may be a verb ("质押", "转让").
    nouns = [w for w, _ in query.words if len(w) >= 2 and w not in PROCEDURE_WORDS and w in before
             and not _HANDING_IN.match(w)]
    return max(nouns, key=before.rfind) if nouns else None


def names_topic(result: SearchResult, topic: str, candidate: Candidate, document_title: str) -> bool:
    """Is the sentence (with its title and section) about `topic`? A sentence on how to
    request a fee reduction does not say how to file a pledge."""
    query = result.query
    chunk = candidate.hit.chunk
    context = normalize(" ".join((document_title, *chunk.section, candidate.text)))
    if any(alt in context for alt in result.coverage.alternatives(topic, query.alternatives)):
        return True
    # A compound the documents word otherwise ("费用减缴" for 收费减缴): one of its specific
    # character pairs will do.
    pairs = {topic[i:i + 2] for i in range(len(topic) - 1)} - _GENERIC_PAIRS
    return any(pair in context for pair in pairs)


_GENERIC_PAIRS = frozenset({"专利", "申请", "费用", "收费", "请求"})
_HANDING_IN = re.compile(r"^(?:要|需|需要|得|应|去|先|再)?(?:交|缴|带|给|递|填|提供|准备)")  # "要交啥材料"

_YEAR_IN_SENTENCE = re.compile(r"(?<!\d)(19\d{2}|20\d{2})年")


def about_another_year(query: Query, candidate: Candidate) -> bool:
    """Does the sentence give its figure for another year than the one asked ("2022年底有效发明
    专利多少" is not answered by "截止2021年底,…4.34件")? It does when the years it or its
    section heading names are all other years."""
    years = section_years(candidate.hit.chunk.section) | {int(y) for y in _YEAR_IN_SENTENCE.findall(candidate.text)}
    return bool(years) and not years & set(query.years)


def answer(query: Query, result: SearchResult, documents: dict[str, IndexedDocument],
           tuning: Tuning = Tuning(), already_said: AlreadySaid | None = None) -> Answer:
    """The cited answer to `query` from `result`, or "not found" (with related passages when
    the evidence is not strong enough to answer but not negligible either). `already_said` is
    what the asker was told last and now asks beyond ("剩下的其他费用呢")."""
    decision, confidence = gate_decision(result, tuning)
    if decision == "answer":
        reply = extract(query, result, documents, tuning, already_said)
    else:
        reply = not_found(query, result if decision == "related" else None, documents)
    return replace(reply, confidence=confidence)


def extract(query: Query, result: SearchResult, documents: dict[str, IndexedDocument],
            tuning: Tuning = Tuning(), already_said: AlreadySaid | None = None) -> Answer:
    """The answer the passages give once the gate lets the question through, or "not found"
    when no sentence states what is asked (benchmarks/calibrate.py calls it to learn the gate
    end to end)."""
    hits = result.hits[:tuning.chunks_considered]
    if any(str(year) in query.normalized and not result.coverage.document_frequency(str(year)) for year in query.years):
        # "2023年专利授权量是多少": no document speaks of that year, so any figure quoted
        # would be another year's. Four digits only: "前37年", "70年代" are no such years.
        return not_found(query, result, documents)
    if query.places:
        # "北京那边…" put to a Tianjin office: its passages do not speak for Beijing.
        hits = [h for h in hits if not _about_elsewhere(query, h, documents)]
        if not hits:
            return not_found(query, result, documents)
    intent = query.intent
    intro = None if intent.kind else list_introducing(query, result.hits[:LIST_INTRO_TOP])
    if intro is not None and intro[0] not in hits:
        hits = hits + [intro[0]]
    candidates = score_sentences(query, hits)
    if not candidates:
        return not_found(query)
    if already_said:
        # What the last answer quoted comes after every other sentence: the asker has read it
        # and asks for the rest ("PCT申请进入中国国家阶段的其他收费标准…" after the two
        # sentences on the fees it is spared).
        candidates = sorted(candidates, key=lambda c: already_said.covers(c.text))
    best = candidates[0]
    if intro is not None:
        # "哪些专利收费可以减缴": the list the documents give ("可以请求减缴下列专利收费：") is
        # the answer, even where another article repeats the question's words more closely.
        best = next(c for c in candidates if c.key == (intro[0].index, intro[1]))
        candidates = [best] + [c for c in candidates if c is not best]
    if not intent.kind and query.named_fees:
        candidates = _fee_named_first(result, candidates)
        if not candidates:
            return not_found(query, result, documents)  # "专利代理费可以减缴吗": no document names that fee
        best = candidates[0]
    found = None  # the sentences that may answer, when a check narrows them
    if intent.kind:
        # The answer must state the kind of fact asked for (an amount in 元 for 多少钱);
        # otherwise the documents only talk around the question.
        found = stating(result, candidates, documents, tuning.min_subject)
        if not found and query.named_fees:
            # "维持费减免能管几年": the fee named is the anchor. A sentence that names it and states
            # what is asked ("年费（自授予专利权当年起六年内的年费）") may sit in a passage
            # ranked below the best few, which only talk around the question.
            naming = [c for c in score_sentences(query, result.hits[:FEE_KIND_POOL])
                      if _names_all_fees(result, c.text)]
            found = stating(result, naming, documents, tuning.min_subject)
    elif query.years and about_another_year(query, best):
        # "天津2022年底有效发明专利数量": the best sentences speak of 2021 only.
        found = [c for c in candidates[:KIND_CHECK_TOP] if not about_another_year(query, c)]
    if found is not None:
        if not found:
            return not_found(query, result, documents)  # the passages are close, the fact is not stated
        best = found[0]
        # The runner-up is read from the front: another sentence stating the kind asked
        # ("85%" beside "70%" for 减缴比例) comes before ones that only share words.
        candidates = found + [c for c in candidates if c not in found]
    many = intent.wants_list or intent.wants_wording
    best_ids = _sentences_to_quote(best, candidates, many, tuning)
    groups: dict[int, tuple[Hit, set[int]]] = {best.hit.index: (best.hit, best_ids)}
    # The list a question asks for is the whole answer: no second quote beside it.
    runner = None if intro is not None else _runner_up(result, best, candidates, best_ids, documents, tuning)
    if runner is not None and best.text.endswith(LIST_INTRO_ENDINGS):
        runner = None  # the list is the answer; a second quote would cut its items
    if runner is not None and not many and len(best_ids) >= MAX_SENTENCES:
        # Short by default: the best sentence's neighbour and the runner-up compete for
        # the second place.
        scores = {c.sentence_index: c.score for c in candidates if c.hit.index == best.hit.index}
        neighbour_score = max(scores.get(i, -1.0) for i in best_ids - {best.sentence_index})
        if runner.score > neighbour_score:
            best_ids.intersection_update({best.sentence_index})
        else:
            runner = None
    if not many and len(best_ids) == 1:
        best_ids.update(_heading_above(best))
    # A list item is quoted with what it is an item of ("…不予批准：" above "（二）…未签字…"),
    # in place of its neighbour, unless a runner-up from elsewhere took that place.
    # Only where no particular fact is asked: "没签字会被批准吗" needs the 不予批准 above the
    # item; "收入要低于多少" is answered by the item and the next one (个人 3500元, 企业 30万元).
    # So too when the runner-up is another item of the same list ("（一）未使用…请求书的" beside
    # "（二）…未签字或者盖章的"): both are items of what the introduction says.
    same_list = runner is not None and runner.hit is best.hit and bool(_list_intro_above(runner))
    intro_above = _list_intro_above(best) if not intent.kind and (many or runner is None or same_list) else set()
    if intro_above and not many:
        best_ids.intersection_update({best.sentence_index})
    best_ids.update(intro_above)
    if runner is not None:
        if runner.hit.index in groups:
            groups[runner.hit.index][1].add(runner.sentence_index)
        else:
            groups[runner.hit.index] = (runner.hit, {runner.sentence_index})
    ordered = list(groups.values())
    # When two documents speak, the one in force leads, then the newer one.
    ordered.sort(key=lambda g: documents[g[0].chunk.doc_id].meta.date or "", reverse=True)
    ordered.sort(key=lambda g: VALIDITY_ORDER.get(documents[g[0].chunk.doc_id].meta.validity, 0))
    several_documents = len({g[0].chunk.doc_id for g in ordered}) > 1

    parts, citations = [], []
    for n, (hit, sentence_ids) in enumerate(ordered, start=1):
        citation = make_citation(n, hit, sorted(sentence_ids), documents)
        text = citation.quote
        mark = find_highlight(query, text)
        citation.highlight = list(mark) if mark else None
        if intent.wants_wording and intent.wants_full_name:
            title = first_title(text)
            if title:
                text = f"全称为{title}。原文：{text}"
        date = f"（{citation.date}）" if several_documents and citation.date else ""
        if mark and text != citation.quote:
            shift = len(text) - len(citation.quote)
            mark = (mark[0] + shift, mark[1] + shift)
        parts.append(AnswerPart(text, n, prefix=date, note=amended_note(citation), highlight=mark))
        citations.append(citation)
    return Answer.from_parts(query.text, parts, citations, "wording" if intent.wants_wording else "answer")


def _fee_forms(result: SearchResult, fee: str) -> list[str]:
    """A fee and the names documents give it: 维持费 is spoken of as 年费. Only a fee stands
    for a fee: 代理费 holds the everyday word 代理 (→ 代理机构), which names no fee."""
    alternatives = result.query.alternatives.get(fee, ())
    return [fee, *result.coverage.synonyms.get(fee, []), *(t for t in alternatives if t.endswith("费"))]


def _names_all_fees(result: SearchResult, text: str) -> bool:
    return all(any(f in text for f in _fee_forms(result, fee)) for fee in result.query.named_fees)


def _fee_named_first(result: SearchResult, candidates: list[Candidate]) -> list[Candidate]:
    """For a yes/no question naming a fee: the candidates with one naming that fee first
    (unless the best one's passage names it: the sentence beside it is quoted too); none when
    no document names the fee at all."""
    query = result.query
    if any(not any(result.coverage.document_frequency(f) for f in _fee_forms(result, fee))
           for fee in query.named_fees):
        return []
    naming = [c for c in candidates[:KIND_CHECK_TOP] if _names_all_fees(result, c.text)]
    if not naming or _names_all_fees(result, candidates[0].hit.chunk.text):
        return candidates
    return [naming[0]] + [c for c in candidates if c is not naming[0]]


_LIST_MARKER = re.compile(r"下列|以下|如下")


def _names_list_head(segment: str, head: str) -> bool:
    """Whether the words after 下列 ("专利收费：", "条件之一的，可以…：") name what is listed;
    fees (哪些费用) are named by any fee (专利收费)."""
    if head in segment or (len(head) >= 2 and bigrams(head) & bigrams(segment)):
        return True
    return head.endswith(("费", "费用")) and "费" in segment


def list_introducing(query: Query, hits: list[Hit]) -> tuple[Hit, int] | None:
    """(passage, sentence index) of the best-ranked list introduction ("…符合下列条件之一的，可以…：")
    that announces what a list question asks for and shares the question's other words."""
    head = query.intent.list_head
    if not head:
        return None
    # Single characters (人 of 哪些人) say nothing about which list; with no other word the
    # question does not say whose list it is ("轮训针对哪些人" is not about fee conditions).
    others = [w for w, weight in query.words if weight >= 0.5 and len(w) >= 2 and w not in head and head not in w]
    if not others:
        return None
    for hit in hits:
        for i, sentence in enumerate(hit.chunk.sentence_texts()):
            marker = _LIST_MARKER.search(sentence)
            if not marker or not sentence.rstrip().endswith(LIST_INTRO_ENDINGS):
                continue
            if not _names_list_head(sentence[marker.end():], head):
                continue
            if not any(w in normalize(sentence) for w in others):
                continue
            return hit, i
    return None


def _runner_up(result: SearchResult, best: Candidate, candidates: list[Candidate], best_ids: set[int],
               documents: dict[str, IndexedDocument], tuning: Tuning) -> Candidate | None:
    """A second sentence nearly as good as the best, not already quoted, that does not state
    the asked kind of fact about something else."""
    runner = next((c for c in candidates[1:] if c.key != best.key
                   and not (c.hit.index == best.hit.index and c.sentence_index in best_ids)), None)
    if runner is None or runner.text.endswith(LIST_INTRO_ENDINGS):
        return None  # a list's introduction alone, without its items, answers nothing
    kind = result.query.intent.kind
    if kind and kind.name in CALENDAR_KINDS and not result.query.states_asked_kind(runner.text):
        return None  # "哪天施行": a second quote without a date does not help answer
    if (kind and result.query.states_asked_kind(runner.text)
            and subject_coverage(result, runner, _title(documents, runner.hit.chunk)) < tuning.min_subject):
        return None  # a second number about something else would only mislead
    if runner.score < best.score - tuning.second_margin:
        return None
    return runner


_LIST_ITEM = re.compile(r"^\s*[（(][一二三四五六七八九十\d]+[）)]")


def _list_intro_above(best: Candidate) -> set[int]:
    """The introduction of the list a best sentence is an item of ("…有下列情形之一的，不予
    批准：" above "（二）…未签字或者盖章的；"): the item alone does not say what it is for."""
    if not _LIST_ITEM.match(best.text):
        return set()
    texts = best.hit.chunk.sentence_texts()
    for i in range(best.sentence_index - 1, max(-1, best.sentence_index - 1 - LIST_ITEMS_AFTER_INTRO), -1):
        if texts[i].rstrip().endswith(LIST_INTRO_ENDINGS):
            return {i}
        if not _LIST_ITEM.match(texts[i]):
            return set()
    return set()


def _heading_above(best: Candidate) -> set[int]:
    """The heading sentence right above the best one, when it is one: in work plans the
    heading is the item itself ("(二十二)开展…培训活动。") and the body only details it."""
    i = best.sentence_index - 1
    if i < 0:
        return set()
    return {i} if is_heading(best.hit.chunk.sentence_texts()[i], best.hit.chunk.section) else set()


def _sentences_to_quote(best: Candidate, candidates: list[Candidate], many: bool, tuning: Tuning) -> set[int]:
    """Sentence indexes of the best passage to quote."""
    chunk = best.hit.chunk
    chosen = {best.sentence_index}
    n_sentences = len(chunk.sentences)
    if many:
        for c in candidates:
            if len(chosen) >= MAX_LIST_SENTENCES:
                break
            if c.hit is best.hit and c.score >= best.score - LIST_MARGIN_FACTOR * tuning.second_margin:
                chosen.add(c.sentence_index)
        # A sentence ending in "：" announces a list: quote the items that follow.
        if best.text.endswith(LIST_INTRO_ENDINGS):
            chosen.update(range(best.sentence_index + 1,
                                min(n_sentences, best.sentence_index + 1 + LIST_ITEMS_AFTER_INTRO)))
    elif best.text.endswith(LIST_INTRO_ENDINGS):
        # "可以请求减缴下列专利收费：" says nothing without its items.
        chosen.update(range(best.sentence_index + 1, min(n_sentences, best.sentence_index + 1 + LIST_ITEMS_AFTER_INTRO)))
    elif len(best.text) < tuning.neighbour_below:
        if best.sentence_index + 1 < n_sentences:
            chosen.add(best.sentence_index + 1)
        elif best.sentence_index > 0:
            chosen.add(best.sentence_index - 1)
    return chosen


def fact_answer(query: Query, fact: DocumentFact, document: IndexedDocument, chunks: list[tuple[int, Chunk]]) -> Answer:
    """A fact about a document from its metadata, with the line of text stating it cited.
    `chunks` are the document's (row, chunk) pairs in order."""
    meta = document.meta
    if not chunks:
        return Answer.from_parts(query.text, [AnswerPart(fact.text)], [], "document")
    # The chunk holding that place (a numbered item's start, else the first evidence found),
    # else the document's first chunk (the title).
    where = fact.span[0] if fact.span else next(
        (at for at in (document.text.find(e) for e in (*fact.evidence, meta.title)) if at >= 0), 0)
    row, chunk = next(((r, c) for r, c in chunks if c.start <= where < c.end), chunks[0])
    sentence = next((k for k, (s, e) in enumerate(chunk.sentences) if s <= where < e), 0)
    sentences = [sentence]
    if fact.span:
        # A numbered item is quoted whole (as far as its chunk holds it).
        sentences = [k for k, (s, e) in enumerate(chunk.sentences) if s >= fact.span[0] and e <= fact.span[1] + 1] or sentences
    citation = make_citation(1, Hit(chunk, row, 1.0, 1.0, 0.0), sentences, {document.doc_id: document})
    prefix = fact.text if fact.span else f"{fact.text}原文："
    part = AnswerPart(citation.quote, 1, prefix=prefix, note=amended_note(citation))
    return replace(Answer.from_parts(query.text, [part], [citation], "document"), confidence=1.0)


def make_citation(n: int, hit: Hit, sentence_ids: list[int], documents: dict[str, IndexedDocument]) -> Citation:
    chunk: Chunk = hit.chunk
    document = documents[chunk.doc_id]
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
        status=meta.status, amended=meta.amended, validity=meta.validity, amended_by=list(meta.amended_by),
        short_title=meta.short_title or meta.title,
        start=chunk.start, end=chunk.end,
        quote_spans=[[s - chunk.start, e - chunk.start] for s, e in spans],
    )
