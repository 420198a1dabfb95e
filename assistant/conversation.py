"""Follow-up questions without a language model: does a question lean on the earlier turns,
and how could it be read with them?

`history_questions(history)` takes OpenAI-style messages and returns the earlier user
questions (the last `MAX_HISTORY_MESSAGES` messages are used). `leans_on_context(question)`
reads the wording (starts with 那/那么/还有…, ends with 呢, pronouns 它/这个/该/其/上述, or no
noun of its own). `readings(question, previous, tokenizer)` gives the candidate
standalone questions: the previous question glued in front, the previous question with
one of its subject words replaced by the new one ("个人…要低于多少" + "那公司呢" → "公司…要低于
多少"), and the previous question's subject carried into the new one ("专利收费减缴办法
是哪年发的" + "它从哪天开始施行" → "专利收费减缴办法 从哪天开始施行"). Which reading is used
is decided in `service.Assistant.ask` from the retrieval evidence of each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import AssistantError
from .places import gazetteer, places_named
from .query import clean_question, has_meaningful_text, named_years
from .tokenize import A_NOT_A, NOUN_FLAGS, STOPWORDS, PolicyTokenizer, normalize

MAX_HISTORY_MESSAGES = 10
ROLES = ("user", "assistant")
# "换成我个人名义呢": the same question with another subject.
_SWAP = r"(?:要是|如果|那)?(?:换成|换作|换了|改成)"
_CUES = _SWAP + r"|那么|那如果|那要是|那|还有|另外|要是|如果是|如果|再问一下|再问|又"
# "除了补钱，还要罚款吗": besides what the last answer said. Measured on the conversation sets:
# +1 −0 (blind15).
_LEADING_CUE = re.compile(r"^(?:" + _CUES + r"|其中|具体|除了)")
# "那公司呢", and "企业的话？" (a condition left open: the rest of the question is the last one's).
_TRAILING = r"(?:(?:的话)?的?呢|的话)[？?！!。.\s]*$"
_TRAILING_NE = re.compile(_TRAILING)
# 这俩 / 那两个 ("除了这俩，别的费用咋算"): the two things the last turns named. Measured on the
# conversation sets: +4 −1 (pronoun follow-ups).
_PRONOUNS = r"它们|它|这俩|那俩|这两个|那两个|这个|这份|这项|这些|这部|这次|这里面|里面|该|{qi}|上述|前述|此|本办法|本公告"
_PRONOUN = re.compile(_PRONOUNS.format(qi="其"))
# 其 as a pronoun, not the 其 of 其他, 其中, 其余 (else "其他费用呢" is shown as "…他费用呢").
_QI_ALONE = "其(?![他它中余实次])"
# What a carried reading drops: the pronouns.
_PRONOUN_ALONE = re.compile(_PRONOUNS.format(qi=_QI_ALONE))
# What `focus` drops: the leading cues (其中, 具体 stay: they narrow), a trailing 呢, end marks.
_FILLER = re.compile(r"^(?:" + _CUES + r")|" + _TRAILING + r"|[？?！!。.\s]+$")
# "This policy": a follow-up about the document the previous answer quoted.
_DOCUMENT_PRONOUN = re.compile(r"(?:这|该|此|本|那)(?:个|份|项|部|篇)?(?P<kind>政策|文件|办法|通知|公告|规定|总结|要点|文|规划)"
                               r"|^它|它(?:是|从|哪|什么|啥|的)")
SHORT_FOCUS_CHARS = 8  # a follow-up this short after its cue words is a fragment ("那公司呢")


class HistoryError(AssistantError):
    """A malformed conversation history (the message says what is wrong)."""


@dataclass(frozen=True)
class Reading:
    text: str  # the question as it would be asked alone
    how: str  # alone | concatenated | replaced | sibling | carried | example | headed


def history_questions(history) -> list[str]:
    """The user questions of an OpenAI-style message list, oldest first; validates it."""
    if history is None:
        return []
    if not isinstance(history, list):
        raise HistoryError("history 必须是消息列表：[{\"role\": \"user\"|\"assistant\", \"content\": \"...\"}]")
    for i, message in enumerate(history):
        if not isinstance(message, dict):
            raise HistoryError(f"history[{i}] 必须是对象，含 role 和 content")
        if message.get("role") not in ROLES:
            raise HistoryError(f"history[{i}].role 必须是 user 或 assistant，收到 {message.get('role')!r}")
        if not isinstance(message.get("content"), str):
            raise HistoryError(f"history[{i}].content 必须是字符串")
    recent = history[-MAX_HISTORY_MESSAGES:]
    return [q for q in (clean_question(m["content"]) for m in recent if m["role"] == "user") if q]


def last_answer(history) -> str:
    """The last assistant message of a (validated) history, or ""."""
    return next((m["content"] for m in reversed(history[-MAX_HISTORY_MESSAGES:]) if m["role"] == "assistant"), "")


# Spoken openers and closers a typed chat keeps ("嗯当时现场坐了多少人", "哦那就是挑个最划算的用哈",
# "最晚得提前多久交阿"): they hide the cue words (那…) behind them and ask nothing. 哈 opens a
# filler only when doubled or followed by a pause (哈尔滨 is a place), 额 (typed for 呃) only before a
# pause (额度 is a word).
_SPOKEN_OPENER = re.compile(r"^(?:[嗯哦噢呃唔诶哎欸啊]+|哈哈+|(?:好的|好吧|行吧|明白了?|懂了|了解了?|知道了|谢谢|哈|额)(?=[，,。.！!～~\s]))"
                            r"[，,。.！!～~\s]*")
_SPOKEN_CLOSER = re.compile(r"(?<=[\u4e00-\u9fff])[啊阿呀哈哇啦](?=[？?！!。.～~\s]*$)")


def without_fillers(question: str) -> str:
    """The question without spoken fillers at its ends ("嗯当时现场坐了多少人" → "当时现场坐了
    多少人"); unchanged when it is nothing but them."""
    text = _SPOKEN_CLOSER.sub("", _SPOKEN_OPENER.sub("", question.strip(), count=1), count=1)
    return text if has_meaningful_text(text) else question


def focus(question: str) -> str:
    """The question without its follow-up cue words and fillers: "那公司呢？" → "公司"."""
    text = _FILLER.sub("", question.strip()).strip()
    return _ONLY_CUE.sub("", text).strip() or text or question.strip()


# "北京是多少？", "上海那边怎么样": a place and a bare ask; the rest is the last question's.
_BARE_ASK = re.compile(r"(?:那边|这边|那里|这里)?(?:的)?(?:是|有|能|的情况)?(?:多少|几个|几件|几家|怎么样|咋样|如何|啥情况|什么情况)?$")


# A follow-up that narrows the last question to a case or a part of it: "其中银奖几个",
# "具体哪些行业能走", "要是两个人一起申请呢", "我们是两家公司一起申请的".
# "光是下企业的呢", "只说小公司的": only part of the last question's case; the words ask nothing.
_ONLY = r"光是|光说|光看|光算|只说|只看|只算|只问|单说|单看|就说|仅看|仅说"
_ONLY_CUE = re.compile(r"^(?:" + _ONLY + ")")
_NARROWING_CUE = re.compile(r"^(?:其中|具体|" + _ONLY + r"|我们|我是|我跟|我家|要是|如果|假如|万一)")


def narrows(question: str) -> bool:
    """Does the follow-up narrow the last question (which then reads best glued in front)?"""
    return bool(_NARROWING_CUE.match(question.strip()))


def asked_place(question: str) -> str | None:
    """The place a follow-up asks about when it is nothing but a place and a bare ask
    ("北京是多少？" → 北京), else None."""
    place = _BARE_ASK.sub("", focus(question), count=1)
    return place if place in gazetteer() else None


# "另外问下，…", "对了，…", "顺便问一下…", "顺带问一句，…": the asker says a new question follows.
# 顺带, 换个话题…: +1 −0 (dev22, with the rule it asked answered above).
_NEW_TOPIC_CUE = re.compile(r"^(?:另外|再问|对了|顺便|顺带|换个话题|题外话|问个别的|问点别的|还有个问题|还想问|再请教)[^，,。？?！!\s]{0,4}[，,。：:\s]*")


def opens_new_topic(question: str) -> bool:
    """Does the follow-up say it asks something new ("另外问下，天津2021年专利授权量是多少？")
    and ask it whole (not "另外，年费呢")?"""
    text = question.strip()
    if not _NEW_TOPIC_CUE.match(text):
        return False
    rest = _NEW_TOPIC_CUE.sub("", text, count=1)
    return not is_fragment(rest) and not _PRONOUN_ALONE.search(rest)  # 其他 points at nothing


def leans_on_context(question: str, tokenizer: PolicyTokenizer) -> bool:
    """Does the wording say the question continues an earlier one?"""
    text = question.strip()
    if _LEADING_CUE.match(text) or _TRAILING_NE.search(text) or _PRONOUN.search(text) or asked_place(text):
        return True
    return not subject_words(text, tokenizer)  # "罚了多少钱": no subject of its own


# An A-not-A question ("包不包括", "交不交") asks, as 吗 does.
_ASKS = re.compile(A_NOT_A.pattern + r"|什么|啥|吗|么|怎么|怎样|咋|哪|如何|是否|能不能|可不可以|有没有|多少|多久|多长|多大|多高|多远|(?<![那这好前])几|谁|为何|为什么|还是|算不算|\?|？")


# A follow-up asking only which ones ("具体哪几个", "都有哪些"): the instances of what was counted.
_WHICH_ONES = re.compile(r"^(?:具体|都|分别|到底)?(?:是|有)?(?:哪几个|哪些|哪几家|哪几条|哪几项|哪几种|哪几类|哪几位|哪个)(?:呢|啊|呀)?[？?。！!\s]*$")


def asks_only_which_ones(question: str) -> bool:
    """Does the follow-up ask nothing but which ones ("那具体哪几个呢？")?"""
    return bool(_WHICH_ONES.match(focus(question)))


# "那个纲要后来报到哪儿去了", "它是依托哪个单位建的": something the last answer named (not the
# document pronouns of _PRONOUNS, 此 / 本办法 / 里面, nor 这份 / 这次).
_POINTS_BACK = re.compile(r"它|这个|那个|这家|那家|这项|那项|这位|那位|这些|那些|该|" + _QI_ALONE + "|上述")


def points_back(question: str) -> bool:
    """Does the follow-up point back at something named before ("那个纲要…", "它…")?"""
    return bool(_POINTS_BACK.search(question))


# "其他费用呢", "剩下的呢", "除了这俩，别的费用咋算": the asker wants what the last answer did not
# say. Not 特别的, 级别的 ("有啥特别的地方", "批成了啥级别的"), which only contain 别的.
OTHERS_THAN_SAID = re.compile(r"其他|其它|其余|剩下|剩余|除了|(?<![特级区类性个识辨分告派差鉴])别的")


def asks_for_others(question: str) -> bool:
    """Does the follow-up ask for what the last answer left out ("剩下的其他费用呢")?"""
    return bool(OTHERS_THAN_SAID.search(question))


MIN_SAID_CHARS = 12  # a shorter sentence found in the last answer may be there by chance


@dataclass(frozen=True)
class AlreadySaid:
    """The last answer (normalised), when a follow-up asks beyond it ("剩下的其他费用呢"), and
    the follow-up's own words."""
    answer: str
    new_words: tuple[str, ...]

    def covers(self, sentence: str) -> bool:
        """Was this sentence quoted last, saying nothing of what the follow-up names nor of
        others? One that does answers anew: "除了这些，电视台那边报了几回" from a sentence that
        also gave the cases; "能跟别的减免叠加吗" from "同时适用其他专利收费减免政策的…".
        Short ones ("2024年8月6日") may recur by chance and do not count."""
        text = normalize(sentence).strip()
        return (len(text) >= MIN_SAID_CHARS and text in self.answer and not OTHERS_THAN_SAID.search(text)
                and not any(word in text for word in self.new_words))


def refers_to_document(question: str) -> bool:
    """Does the follow-up speak of "this policy/document" ("这份文件", "该办法", "它从哪天施行")?"""
    return bool(_DOCUMENT_PRONOUN.search(question))


def document_kind_named(question: str) -> str | None:
    """The kind of document a follow-up's pointer names: "这个公告" → 公告 ("它", "这份文件" and
    "这个政策" name none)."""
    pointer = _DOCUMENT_PRONOUN.search(question)
    kind = pointer.group("kind") if pointer else None
    return None if kind in ("政策", "文件", "文") else kind


def naming_document(question: str, title: str) -> str:
    """The follow-up with "this document" replaced by its title: "这个文件是哪两个部门发的" →
    "《专利收费减缴办法》是哪两个部门发的"."""
    rest = _DOCUMENT_PRONOUN.sub("", focus(question), count=1)
    return f"《{title}》{rest}"


def is_fragment(question: str) -> bool:
    """A follow-up that asks nothing of its own ("那公司呢", "驰名商标呢"): it borrows the
    previous question's ask."""
    return not _ASKS.search(focus(question))


def subject_words(question: str, tokenizer: PolicyTokenizer) -> list[str]:
    """What a question is about: its nouns and names, in order."""
    return [w for w, weight in tokenizer.content_words(normalize(question)) if weight >= 1.0]


# A question word and the measure word after it: "哪几个", "什么", "多少".
_QUESTION_WORDS = r"(?:哪(?:几|些|一|两|三)?(?:个|家|种|类|项|条|位|部|年|天)?|什么|啥|多少|几(?:个|家|种|类|项|条|位)?)"


# "比例是多少" at the end of a question: the word is the asked attribute ("是哪年发的" is not).
_ASKED_AFTER = r"(?:是|为)?(?:多少|什么|啥)(?:呢|啊|呀)?[？?。！!\s]*$"


# "还有别的查专利的工具吗": the kind others are asked of, answered by instances ("…检索及分析系统").
# Measured on the conversation sets: +1 −0 (dev20).
_OTHERS_OF = r"(?:别的|其他|其它|另外的)[^，,。？?！!]{0,6}?"
_OTHERS_ASKED = r"(?:吗|么|呢|没|没有|不)?[？?。！!\s]*$"


def is_asked(word: str, question_normalized: str) -> bool:
    """Is `word` what the question asks for ("哪几个部门发的": 部门; "减缴比例是多少": 比例), or a
    question word itself? Neither is the subject a follow-up carries on or swaps ("它从哪天开始
    执行的" is about the 办法; "那商标注册费呢" swaps the fee, not the 比例)."""
    return bool(re.fullmatch(_QUESTION_WORDS, word)
                or re.search(_QUESTION_WORDS + re.escape(word), question_normalized)
                or re.search(re.escape(word) + _ASKED_AFTER, question_normalized)
                or re.search(_OTHERS_OF + re.escape(word) + _OTHERS_ASKED, question_normalized))


def leads_to_ask(word: str, question_normalized: str, names: list[str]) -> bool:
    """Is `word` the verb of the ask, right before its question word ("面向哪些产业": 面向,
    which jieba may tag a noun)? A name before it ("北京哪些银行") is not."""
    return word not in names and bool(re.search(re.escape(word) + _QUESTION_WORDS, question_normalized))


_YEAR_ONLY = re.compile(r"(?:19|20)?\d{2}年?|[的年度份]")


def _year_pattern(year: int) -> re.Pattern:
    return re.compile(rf"(?<!\d)(?:{year}|{year % 100:02d})年?(?!\d)")


# "复审的呢": "the 复审 one", a modifier of what the last question named.
_THE_X_ONE = re.compile(r"的呢[？?！!。.\s]*$")


# "有专门给青少年的吗": a head noun left out after 的, the one the last question asked about.
_ELIDED_HEAD = re.compile(r"的(?=(?:吗|么|啊|呀|吧)?$)")


def asked_head(question_normalized: str, tokenizer: PolicyTokenizer) -> str | None:
    """The noun a question asks which ones of ("办了哪些比赛" → 比赛), or None."""
    asked = re.search(_QUESTION_WORDS, question_normalized)
    if not asked:
        return None
    rest = question_normalized[asked.end():]
    words = [w for w, weight in tokenizer.content_words(rest) if weight >= 1.0]
    return words[0] if words and len(words[0]) >= 2 and rest.startswith(words[0]) else None


# "还有别的渠道吗，找人民调解行不行", "还有啥情况会被拒吗，比如忘了签字": asks for others of a kind,
# then names the case it means.
_OTHERS_THEN_CASE = re.compile(r"^(?:那)?(?:还有|有没有|另外还有)(?:别的|其他|其它|啥|什么|没有|没)[^，,。？?！!]{0,10}?"
                               r"(?:吗|么|没|没有|不)?[，,。？?\s]+(?:比如说?|比方说|例如|譬如|像是?|就是)?(.+)$")
_CASE_TAIL = re.compile(r"(?:那种|那些|这种|这些|之类的?|什么的|那样的?|这样的?|的)+(?=[？?。！!\s]*$)")


def asked_case(question: str) -> str | None:
    """The case a follow-up names after asking for others of a kind ("还有别的新规吗，像挂开放许可
    那种" → "挂开放许可"), or None."""
    match = _OTHERS_THEN_CASE.match(question.strip())
    if not match:
        return None
    case = _CASE_TAIL.sub("", match.group(1)).strip("，,。？?！! ")
    # "还有别的产业链吗，哪几条": a second ask, not a case.
    return case if len(re.sub(_QUESTION_WORDS + "|[都还有是分别呢吗啊]", "", case)) >= 2 else None


_POINTER_TOKENS = frozenset("这个 这项 这次 这 那个 那项 那次 该 此".split())
# What may stand before the word in the last question's phrase: nouns (not our user-dictionary
# terms, flag x, which may be whole questions' words) and verbs ("保护考核").
_MODIFIER_FLAGS = (NOUN_FLAGS - {"x"}) | {"v", "vn"}


def pointed_phrase(new_normalized: str, previous_normalized: str, tokenizer: PolicyTokenizer) -> tuple[str, str] | None:
    """The word a pointer names ("这个考核") and the whole phrase the last question called it
    ("各区保护考核"): the nouns and verbs just before it there, up to a function word such as 的
    (three at most)."""
    tokens = [w for w, _ in tokenizer.tagged(new_normalized)]
    # The first pointer followed by a word of two characters or more ("这个事" points at nothing).
    word = next((w for pointer, w in zip(tokens, tokens[1:]) if pointer in _POINTER_TOKENS and len(w) >= 2), None)
    if word is None:
        return None
    before = tokenizer.tagged(previous_normalized)

    def modifies(token: str, flag: str) -> bool:
        return token not in STOPWORDS and (flag in _MODIFIER_FLAGS or token.startswith("各"))

    for i, (w, _) in enumerate(before):
        if w == word:
            start = i
            while start > 0 and i - start < 3 and modifies(*before[start - 1]):
                start -= 1
            if start < i:
                return word, "".join(t for t, _ in before[start:i + 1])
    return None


def _frame(previous_normalized: str, new_normalized: str, years_before, tokenizer: PolicyTokenizer) -> list[str]:
    """What frames the previous question (its names, places, years) and the new one does not
    name: kept by a reading that drops the previous question's own item (a sibling, an example)."""
    frame = [w for w in tokenizer.names(previous_normalized) if w not in new_normalized]
    return frame + [f"{y}年" for y in years_before if str(y) not in new_normalized]


def glued(previous: str, question: str) -> str:
    """The follow-up with the previous question in front: "…要交吗，那提实审的时候呢"."""
    return f"{previous.rstrip('？?。')}，{question}"


def readings(question: str, previous: str, tokenizer: PolicyTokenizer) -> list[Reading]:
    """Candidate standalone readings of `question` after `previous` (alone first)."""
    out = [Reading(question, "alone"), Reading(glued(previous, question), "concatenated")]
    new = focus(question)
    new_normalized = normalize(new)
    previous_normalized = normalize(previous)
    place = asked_place(question)
    if place:
        # "北京呢？" after a question about Tianjin (or about no place, asked of a Tianjin
        # office): the same question about that place, which only a passage speaking for
        # it answers (places.py); carrying the previous words around "北京" would find any
        # passage that merely names it.
        named = [p for p in places_named(tokenizer.normalized_tokens(previous_normalized)) if p != place]
        asked = previous.replace(named[0], place, 1) if named else f"{place}{previous}"
        return [Reading(question, "alone"), Reading(asked, "replaced")]
    years_asked, years_before = named_years(new_normalized), named_years(previous_normalized)
    if years_asked and years_before and normalize(_YEAR_ONLY.sub("", new)) == "":
        # "2022年呢" after "天津2021年专利授权量多少": the same question about that year.
        return [Reading(question, "alone"), out[1],
                Reading(_year_pattern(years_before[0]).sub(f"{years_asked[0]}年", previous, count=1), "replaced")]
    # The previous question's subject words the new one does not name (not what it asks: "比例是多少").
    carried = [w for w in subject_words(previous, tokenizer)
               if w not in new_normalized and not is_asked(w, previous_normalized)]
    if len(new) <= SHORT_FOCUS_CHARS:
        # "那公司呢" after "个人…收入要低于多少": the new word takes the place of one of them
        # (a single character, "交", is a verb or a fragment, not a subject). A follow-up with a
        # pronoun ("那它最后判的啥结果") is about the same subject: it takes no one's place.
        # Measured on the conversation sets: +3 −0 (blind6, blind13, dev19; pronoun follow-ups).
        # Nor does it take the place of a place or a year ("中小企业呢" after "天津2022年对高校…"
        # is not "中小企业2022年对高校…"): a new place or year is read as such above. Measured on
        # the conversation sets: +2 −0 (blind5, blind20).
        swappable = [w for w in carried if len(w) >= 2 and not w.isdigit() and w not in gazetteer()
                     ] if not _PRONOUN.search(new) else []
        # A word of the same kind as the new one ("实审费" for "申请费", not for "客户") is the one
        # it takes the place of.
        # Measured on the conversation sets: +1 −0 (dev12).
        same_kind = [w for w in swappable if new_normalized and w[-1] == new_normalized[-1]]
        for word in same_kind or swappable:
            at = previous_normalized.find(word)
            if at >= 0:
                out.append(Reading(previous[:at] + new + previous[at + len(word):], "replaced"))
                if _THE_X_ONE.search(question) and word.endswith("费") and len(word) > 2 and not new.endswith("费"):
                    # "复审的呢" after "申请费能不能少交": the 复审 one of the same kind, a fee.
                    # Measured on the conversation sets: +1 −0 (dev16).
                    out.append(Reading(previous[:at] + new + "费" + previous[at + len(word):], "replaced"))
        if is_fragment(question):
            # "调解的纠纷呢" after "双保护中心2021年备案服务了多少企业": a neighbouring item asked
            # the same way. Keep the frame and the previous question word, drop its own item and
            # attribute.
            asked = re.search(_QUESTION_WORDS, previous_normalized)
            frame = _frame(previous_normalized, new_normalized, years_before, tokenizer)
            out.append(Reading(" ".join([*frame, new]) + (asked.group(0) if asked else ""), "sibling"))
    stripped = _PRONOUN_ALONE.sub("", new) or new
    pointed = pointed_phrase(new_normalized, previous_normalized, tokenizer)
    if pointed:
        # "这个考核22年还接着搞吗" after "…头一回搞的各区保护考核…": the 考核 of the last
        # question, 各区保护考核, which a 2022 sentence names, not any 考核. Measured on the
        # conversation sets: +1 −0 (dev24).
        word, phrase = pointed
        stripped = stripped.replace(word, phrase, 1)
        carried = [w for w in carried if w not in phrase]
    if carried:
        out.append(Reading(" ".join(carried) + " " + stripped, "carried"))
    case = asked_case(question)
    if case:
        # "还有别的渠道吗，找人民调解行不行": the case it names after asking for others is what
        # it asks about, in the last question's frame but not about its item: it asks for others.
        # Measured on the conversation sets: +3 −0 (dev19).
        out.append(Reading(" ".join([*_frame(previous_normalized, new_normalized, years_before, tokenizer), case]),
                           "example"))
    head = asked_head(previous_normalized, tokenizer)
    own_ask = re.search(_QUESTION_WORDS, new_normalized)  # "有哪几家…的" names its own head
    if head and head not in new_normalized and not own_ask and _ELIDED_HEAD.search(stripped):
        # "有专门给青少年的吗" after "…办了哪些比赛": "有专门给青少年的比赛吗". Measured on
        # the conversation sets (with 专门 a generic noun): +4 −1 (blind +2 −1).
        headed = _ELIDED_HEAD.sub("的" + head, stripped, count=1)
        out.append(Reading(" ".join([*carried, headed]), "headed"))
    seen, unique = set(), []
    for reading in out:
        if reading.text not in seen:
            seen.add(reading.text)
            unique.append(reading)
    return unique
