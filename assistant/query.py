"""Reading a question, once: `Query.parse(text, tokenizer)`.

Everything later stages need from the question is computed here and only here: the
cleaned text, its normalised form, search tokens, content words with their weights,
bigrams, quoted phrases, and the intent (the kind of fact asked for, a list, a
wording lookup, a full name, a fact about a document itself). Search and answering
read the `Query`; nothing re-normalises or re-matches the question.

The intent patterns run on the cleaned text as typed (not the normalised form), as
they always have.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Callable

from .places import places_named
from .tokenize import PolicyTokenizer, content_bigrams, normalize, quoted_in_normalized, spell_out

MAX_QUESTION_CHARS = 500  # longer input is cut: no real question needs more
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")


def clean_question(text) -> str:
    """Strip control characters and surrounding space; cut to MAX_QUESTION_CHARS."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", text)).strip()
    return text[:MAX_QUESTION_CHARS]


def has_meaningful_text(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


# ---------------------------------------------------------------- what a sentence states

_CN_COUNT = r"[一二两三四五六七八九十百千万半]+"
# Chinese numerals count only before a measure word ("五层", "十二家"), so that "一是…"
# enumerations do not look like counts; digits of a year, a month or a day ("4月份挂牌") are
# no count either. Measured: conversation sets +2 −0 (blind10, dev18); single-question sets:
# everyday out-of-scope refused .733 → .767, everyday12 .767 → .800, everyday4 containment
# .833 → .850, everyday answerable refused .190 → .203. "新一代" (a new generation) is no count
# either: "天津22年专利授权多少" was answered by "推广新一代…检索系统". Measured: +1 −0 (dev22).
_DIGIT = re.compile(rf"\d(?!\d*(?:年|月|日))|(?!(?<=新)一代){_CN_COUNT}(?:年|个|件|项|家|条|天|日|月|次|倍|成|支|批|名|人|种|类|位|座|部|层|级|届|期|轮|场|"
                    r"所|处|只|头|本|篇|首|台|辆|架|艘|枚|颗|张|份|套|对|双|辑|集|季|号|路|线|站|段|节|章|门|间|"
                    r"米|里|公里|吨|克|斤|亿|元|块|岁|代|任|分|度|股|口|户|票|席|届|册|卷|幅|座|棵|匹|区|省|市|县)")
_CN_YEAR = r"[〇零一二三四五六七八九]{4}年|[元一二三四五六七八九十百]+年"  # 二〇〇四年, 万历十一年
# A year's label ("2021年度…大赛") names an edition, not a time: "报名啥时候截止" is not answered
# by it. Measured: conversation sets +2 −0 (blind3, dev12); everyday10 out of scope refused .667 → .700.
_DATE = re.compile(rf"\d{{1,4}}年(?!度)|{_CN_YEAR}|\d{{1,2}}月|[一二三四五六七八九十]+月|\d{{1,2}}日|\d{{6,8}}|月份|年底|年初|"
                   r"之前|以前|之后|以后|届满|同时|期间")
# A question asking for a day wants a day ("2021年4月28日", or "2021428" where extraction
# dropped 年月日), not a bare year; one asking for a year wants a year.
_DAY = re.compile(r"\d{1,2}日|\d{4}-\d{1,2}-\d{1,2}|(?<!\d)20\d{5,6}(?!\d)")
# "哪一年的税表" is also answered by a year named relative to another ("上年度", "次年").
_YEAR = re.compile(rf"\d{{1,4}}年|{_CN_YEAR}|(?<!\d)20\d{{5,6}}(?!\d)|上一?年度?|前一年|当年|次年")
# A length of time: "5个工作日", "六年内", "两个半月", "20日内". Not a year ("2021年") or
# a day of a month ("3月23日"): the number may not follow another digit or 月.
# "不足一年部分不收取" is a condition on a remainder, not how long something lasts.
_DURATION = re.compile(rf"(?<![\d月.])(?<!不足)(?<!不满)(?<!未满)(?:\d{{1,3}}(?:\.\d+)?|{_CN_COUNT})\s*(?:"
                       r"个半?(?:工作日|自然日|星期|小时|钟头|月|赛季|季度|世纪)|"
                       r"半?(?:工作日|自然日|天|周|星期|小时|钟头|分钟|秒钟?|年|赛季|季度|世纪)|日(?=内|以内|之内|后|起))"
                       # or a span of years: "1998年至2001年"
                       r"|\d{4}年.{0,8}?(?:至|到|—|－|-|~|～)\s*\d{2,4}年")


@dataclass(frozen=True)
class AnswerKind:
    """A kind of fact a question can ask for: `asks` recognises the question, `states`
    recognises a sentence that states such a fact."""

    name: str
    asks: re.Pattern
    states: re.Pattern

    def stated_in(self, sentence: str) -> bool:
        return bool(self.states.search(sentence))


# An amount of money ("1100万元"): what states a price, an income, a fine or a grant.
AMOUNT = r"\d\s*(?:元|万元|亿元)"
AMOUNT_STATED = re.compile(AMOUNT)
# A business named: "…有限公司", "…集团", a bank's branch or a known bank or insurer, or a
# number of them listed ("中成佳益、爱思达航天两家企业"). Not "银行" alone ("邀请银行和专家").
_BUSINESS_NAME = (r"有限公司|公司|集团|(?<!部)分行|支行|(?:中国|工商|农业|建设|交通|招商|浦发|民生|光大|兴业|中信|华夏|"
                  r"渤海|天津|北京|上海|邮政储蓄)银行|中国人民保险|中国平安|太平洋保险|中国人寿|"
                  r"[两三四五六七八九十\d]+家(?:企业|公司|机构|单位|银行)")
# "批错了咋办" / "过期了怎么办" / "搞错了，怎么办" ask what follows a mishap, not how to file
# something: 咋办 / 怎么办 right after 了 (or 了 and a pause: "被抢注了，咋申请…" still asks how to
# apply) is no procedure (its answer is "应予更正", not a form or a window).
PROCEDURE_ASKED = re.compile(r"(?<!了)(?<!了该)(?!(?<=了[，,\s])(?:如何|怎么|怎样|咋)样?办(?!理))(?:如何|怎么|怎样|咋)(?:样)?(?:提交|办理|申请|递交|注册|登记|提出|办|填|报名|预约|领取|参赛|申报)|"
                              r"(?:去|到|在|找)哪(?:里|儿)?(?:办|交|提交|递交|申请|登记|立案|注册)|"
                              r"(?:哪些|什么|啥)(?:材料|手续|证明|资料)|(?:流程|手续)是")
# "第一批", "第二十二届", "第246次会议", "第七条" number a batch, an edition, a meeting or an
# article: no place in a ranking.
_NOT_A_PLACE = r"(?![一二三四五六七八九十\d]|批|期|届|次|轮|季|条|款|章|节|号|部分|阶段|项|个|年|天|日)"
# The first matching kind applies. A question of a kind none of the top sentences can
# answer ("申请注册商标要交多少钱" over documents with no trademark fees) is refused.
ANSWER_KINDS: tuple[AnswerKind, ...] = (
    # "哪个区的有效发明专利最多": which one is the most; a total does not answer it.
    AnswerKind("most", re.compile(r"(?:哪|什么|谁)[^，。？?]{0,12}最(?:多|少|高|低|大|小|早|晚|快|强|长|短)|"
                                  r"最(?:多|少|高|低|大|小|早|晚)的是(?:哪|什么|谁)|"
                                  # "罚得最多的一起罚了多少": the largest of them, not their total
                                  r"得最(?:多|少|高|低|大|小|重|快)的|"
                                  # "考核排第一的是哪个区": the top one
                                  r"(?:排|排名|排在|名列)第[一1](?:名)?的?(?:是)?(?:哪|什么|谁)|第一名是(?:哪|谁|什么)|"
                                  r"(?:哪|什么|谁)[^，。？?]{0,12}(?:排名|排在|排|名列)第[一1]"),
               re.compile(r"最|第[一1]" + _NOT_A_PLACE + r"|首位|居首|之首|排名|冠军|榜首|领先|首个|首家")),
    # "在全国排第几": a rank, which a figure alone ("31.3件") does not give. With the "得最多的" form
    # above, measured: conversation sets +2 −0 (dev13, dev15), single-question sets unchanged.
    AnswerKind("rank", re.compile(r"排(?:在)?第几|第几名|排(?:名)?(?:多少|第几|几名)|名次"),
               re.compile(r"第[一二三四五六七八九十\d]+" + _NOT_A_PLACE + r"|位居|位列|名列|排名|首位|居首|前列|前[一二三四五六七八九十\d]+")),
    # A phone number, web address, e-mail or street address: only a sentence that gives one
    # answers it ("咨询电话是多少" is not answered by a count; "具体地址" not by a district named).
    AnswerKind("contact", re.compile(r"(?:电话|热线)(?:号码?)?(?:是|为)?(?:多少|什么|几号)|联系电话|咨询电话|服务热线|"
                                     r"联系方式|网址|官网地址|下载链接|邮箱|电子邮件地址|(?:具体|详细|办公|办事)地址|"
                                     r"地址(?:是|在)?(?:多少|哪|什么|啥)|有(?:没有)?(?:个|具体)?地址|地址(?:呢|吗|么)"),
               re.compile(r"\d{3,4}[-－]?\d{7,8}|(?<!\d)\d{5,}(?!\d)|https?://|www\.|\.(?:cn|com|org|net)\b|@|"
                          r"\d+号|[路街道巷]\d|大厦|号楼|邮编|位于|坐落|[省县]")),
    # Where to download a form: only a web address answers it, not the
    # form's name nor a street address.
    AnswerKind("website", re.compile(r"(?:在|从|到|去|上)?哪(?:里|儿|个网站)?(?:能|可以|去)?下载|下载(?:地址|网址|入口)"),
               re.compile(r"https?://|www\.|\.(?:cn|com|org|net|gov)\b")),
    # Opening hours ("窗口几点上班", "办公时间"): only a clock time or weekdays answer it, not a
    # number of working days ("5个工作日") nor a date.
    AnswerKind("hours", re.compile(r"(?<![哪这那好前])几点(?=钟|上班|下班|开门|关门|开始|结束|到|前|以前|之前|办公|营业|开放|"
                                   r"[？?，,。！!\s]|$|啊|呀|呢|啦)|(?:上班|下班|办公|营业|开放|服务)时间|开门|关门|"
                                   r"几时(?:上班|下班|开)"),
               re.compile(r"\d{1,2}\s*[:：]\s*\d{2}|\d{1,2}\s*[点时]|上午|下午|早上|晚上|周[一二三四五六日]|星期[一二三四五六日天]")),
    # Where a meeting or event took place ("保护大会在哪开的"): only a sentence naming a venue
    # answers it ("…在天津礼堂举行"), not one that reports the meeting ("917日召开全市…大会").
    AnswerKind("venue", re.compile(r"在哪(?:里|儿)?(?:开|召开|举办|举行)|在什么地方(?:开|召开|举办|举行)|"
                                   r"(?:会场|举办地|举办地点|会议地点)(?:在|是)?(?:哪|什么|啥)"),
               re.compile(r"在[^，。,；;]{2,15}(?:召开|举办|举行|开幕)|礼堂|会堂|会议中心|宾馆|酒店|体育馆|展览馆|会展中心")),
    # How to do something or what to hand in ("开放许可声明如何提交", "需要哪些材料"): a sentence
    # saying what is submitted, where or how answers it; whose procedure it is, is checked
    # in answer.stating (asked_topic, names_topic).
    AnswerKind("procedure", PROCEDURE_ASKED,
               re.compile(r"提交|提出|递交|办理|受理|(?<!新)材料|证明|请求书|申请表|窗口|系统|网上|登记|备案")),
    # "哪家公司/哪些银行" asks for a business by name; "哪个单位/机构" (or who approves, who is in
    # charge: "谁来审批", "归谁管") for any organisation. Only a sentence naming one answers it
    # ("银奖1项" counts the prize, it does not say who won it).
    AnswerKind("company", re.compile(r"哪(?:几|一)?(?:家|个|些)(?:公司|企业|银行|保险公司|保险机构|厂)"),
               re.compile(_BUSINESS_NAME)),
    AnswerKind("organisation", re.compile(r"哪(?:几|一)?(?:家|个|些)(?:单位|机构|部门|高校|大学|学校|医院|协会|中心)|"
                                          r"是哪(?:几|一)?家[？?。\s]*$|谁家|"
                                          r"谁来?(?:审批|审查|审核|批准|批|负责|受理|管)|归谁管"),
               re.compile(_BUSINESS_NAME + r"|[两三四五六七八九十\d]+家|中心|学会|协会|商会|大学|学院|研究院|"
                          r"研究所|[局委厅署办]|委员会|法院|检察院|政府|医院")),
    # "违规代理被查到，一般罚多少钱": the fine a rule sets for a case, which a year's total of
    # fines collected ("罚没款总额1100万元") does not give. "去年罚了多少钱", "一共罚了多少" ask that
    # total (a money question below).
    AnswerKind("fine", re.compile(r"^(?!.*(?:罚了|罚没|一共|总共|总额|累计|全年|去年|今年|前年|\d{2}年|[一二]〇|二零)).*"
                                  r"罚(?:款|钱)?(?:金额|数额)?(?:是|有|要|会|得|能)?(?:大概|一般|大约)?多少"),
               re.compile(r"罚款\s*\d|处以?[^，。；]{0,12}罚款|罚款(?:金额|数额)|\d+\s*倍以下|[一二三四五六七八九十]倍以下")),
    # "专利值多少钱" asks what it is worth (an evaluation), not a price to pay; "其他收费标准是按啥
    # 执行的" asks the rule it follows ("依照国内部分执行"), not an amount.
    AnswerKind("money", re.compile(r"(?<!值)多少钱|(?:挣|赚|收入|工资|薪水|月薪|年薪|利润|所得额)(?!率)[^，。？?、率]{0,5}多少|(?<![少减免])交多少|(?<![少减免])缴多少|收多少|费用是多少|收费标准是(?![按依参])|多少费|花多少|要花|收费多少|怎么收费|"
                                   r"费用怎么算|多少元|几元|多少块|几块钱|(?:费用|收费)标准(?:是|为)?多少|"
                                   r"(?:保费|价格|价钱|费用?)(?:大概|大约|一般|大致|通常)(?:是|为|要|得)?多少|(?:保费|价格|价钱)(?:是|为|要)?多少|"
                                   # a fine, a loan or a credit line is an amount too, not any count
                                   r"罚款?(?:了|金额)?(?:是|有|要)?多少|(?:能|可以)?(?:贷|借)(?:到)?多少|(?:贷款|授信)?额度(?:是|有|能)?(?:多少|多大)|"
                                   # "收不收费": free or a price
                                   r"收不收费|收费吗|免费吗|是免费的|要不要(?:交)?钱|要钱吗|花钱吗"),
               re.compile(AMOUNT + r"|免缴|免收|不收取")),
    # A grant, subsidy or premium asked in everyday words ("能拿到多少资助资金", "补贴多少保费")
    # is an amount or a share; a bare count ("24项产品") does not answer it.
    AnswerKind("grant", re.compile(r"多少(?:资金|资助|补贴|补助|奖励|奖金|经费|保费)|(?:补贴|补助|资助|奖励|奖金|报销)(?:了)?多少"),
               re.compile(AMOUNT + r"|[%％]|百分之|免缴|免收|不收取")),
    # "押着贷款利息多少" asks the rate as much as "利率是多少".
    AnswerKind("rate", re.compile(r"利率|费率|税率|利息"), re.compile(r"[%％]|厘")),
    # Everyday wording too: 少交多少, 能省多少, 打几折.
    AnswerKind("share", re.compile(r"比例|占比|百分之|多少%|几成|减多少|免多少|减免多少|少交多少|少缴多少|少付多少|"
                                   r"省多少|便宜多少|打几折|几折|优惠多少"),
               re.compile(r"[%％]|百分之|\d+成|[一二三四五六七八九]成|免缴|免收")),
    AnswerKind("duration", re.compile(r"多久|多长时间|(?<![那这好前])几天|要等|多少天|几个工作日|多少个工作日|(?<![哪那这好前])几年|多长|多少年|"
                                      r"(?<![那这好前])几个月|多少个月|几周|几个星期|几个?小时"),
               _DURATION),
    AnswerKind("day", re.compile(r"哪天|哪一天|哪日|几号|几月几日|日期"), _DAY),
    AnswerKind("year", re.compile(r"哪年|哪一年|哪几年|几几年"), _YEAR),
    AnswerKind("date", re.compile(r"什么时[候侯]|啥时[候侯]|何时|几月"), _DATE),
    # "几" after 那/这/好/前 means "several" ("那几类", "好几个"), not "how many".
    AnswerKind("count", re.compile(r"多少|(?<![哪那这好前])几"), _DIGIT),
)
# A yes/no question ("几个部门之间会不会定期碰头") uses 几 and 多少 as "several", not to ask a count.
_YES_NO = re.compile(r"能不能|会不会|有没有|是不是|可不可以|行不行|要不要|算不算|吗\s*[？?。！!]?\s*$")


# A year the question names: "2022年", "2022", "22年" (two digits only before 年, and not a
# length such as "保护期20年内"). Used to prefer the part of a document about that year.
_NAMED_YEAR = re.compile(r"(?<!\d)(?:(19\d{2}|20\d{2})(?!\d)|(\d{2})年(?![内以之期限]))")


def named_years(text: str) -> tuple[int, ...]:
    """Years the question names, in order, without repeats."""
    years = []
    for four, two in _NAMED_YEAR.findall(text):
        year = int(four) if four else 2000 + int(two)
        if year not in years:
            years.append(year)
    return tuple(years)


CALENDAR_KINDS = ("day", "year", "date")  # the kinds that ask "when"
PRICE_KINDS = ("money", "grant", "share")  # the kinds that ask what something costs or saves
GENERIC_FEES = frozenset("费用 收费 缴费 交费 免费 官费 专利费 专利收费 专利费用 付费 花费 经费 学费 话费 消费 浪费 运费".split())


# Numbers that count nothing: a document number ("财税〔2024〕23号", "津知发标字202125号"), a
# year or date ("2021年4月", "2021428" where extraction dropped 年月日), a year span in a title.
_NOT_A_COUNT = re.compile(r"[〔\[(（]\s*(?:19|20)\d{2}\s*[〕\])）]\s*\d+\s*号|[\u4e00-\u9fff]字\s*\d+\s*号|"
                         r"(?<!\d)(?:19|20)\d{2}年(?:\d{1,2}月)?(?:\d{1,2}日)?|(?<!\d)20\d{5,6}(?!\d)|"
                         r"[(（]\s*(?:19|20)\d{2}\s*[-—－–]?\s*(?:19|20)\d{2}年?\s*[)）]")
_ARTICLE_LABEL = re.compile(r"^\s*第[一二三四五六七八九十百零\d]+(?:[章节条款]|部分)\s*")


def _named_year_pattern(years: tuple[int, ...]) -> re.Pattern:
    forms = [form for year in years for form in (f"{year}年", str(year), f"{year % 100:02d}年")]
    return re.compile(r"(?<!\d)(?:" + "|".join(forms) + r")(?!\d)")


def answer_kind(question: str) -> AnswerKind | None:
    """The kind of fact the question asks for, if any."""
    kind = next((k for k in ANSWER_KINDS if k.asks.search(question)), None)
    if kind is not None and kind.name == "count" and _YES_NO.search(question):
        return None
    return kind


# ---------------------------------------------------------------- other intents

_LIST_Q = re.compile(r"有哪些|哪些|都有|包括什么|包括哪|列举|几项|几种|几类|分别|什么条件|哪些条件|条件是什么|什么要求|什么情况下")
_WORDING_Q = re.compile(r"原文|原话|怎么写|如何写|怎么表述|如何表述|原句|全称|完整名称|全名|正式名称|原文表述")
_FULL_NAME_Q = re.compile(r"全称|完整名称|全名|正式名称")
# Why a policy was made or what it rests on: its opening clause ("为…，根据《…》，制定本办法") says.
_PURPOSE_Q = re.compile(r"目的|初衷|为了什么|为啥|为什么要?(?:出台|制定|发|搞|定)|想帮|想解决|出发点|背景|"
                        r"依据|根据哪|凭什么|上位法|哪部法|什么法")
_ISSUE_VERB = r"(?:发|印发|发布|出台|公布|颁布|下发|制定|制订)"
# Spoken: "那个公告是哪天出的", "谁出的": 出 right after the asking word and before 的 ("什么时候
# 出结果" asks something else, "何时播出的" is not issued).
_ISSUED_SPOKEN = r"出(?:来)?的"
# Questions about a document itself: when it was issued, by whom, its number.
DOCUMENT_FACT_QUESTIONS: tuple[tuple[str, re.Pattern], ...] = (
    ("date", re.compile(rf"(?:哪天|哪一天|什么时[候侯]|啥时[候侯]|何时|哪年|几月几[日号]|什么时间|哪个时间)"
                        rf"(?:.{{0,3}}{_ISSUE_VERB}|{_ISSUED_SPOKEN})"
                        rf"|{_ISSUE_VERB}(?:的)?(?:日期|时间)|发文日期|落款日期|成文日期")),
    ("issuer", re.compile(rf"(?:哪个|哪些|哪几个|哪家|哪几家|什么|哪两个|哪几)(?:部门|部委|单位|机关|机构).{{0,3}}{_ISSUE_VERB}"
                          rf"|谁(?:{_ISSUE_VERB}|{_ISSUED_SPOKEN})|发文(?:单位|机关)|由谁")),
    ("number", re.compile(r"文号|发文字号|文件编号|第几号")),
    ("effective", re.compile(r"(?:哪天|哪一天|什么时[候侯]|啥时[候侯]|何时|哪年|几月几[日号]|什么时间).{0,5}(?:施行|生效|实施|执行)"
                             r"|(?:施行|生效|实施|执行)(?:日期|时间)")),
    # Whether it may be shown to others: "是公开的吗", "能不能转给企业看".
    ("disclosure", re.compile(r"是否(?:主动|对外)?公开|是不是(?:主动|对外)?公开|公开(?:的)?(?:吗|么|嘛)|(?:能|可以)(?:不能|否)?(?:对外)?公开"
                              r"|(?:能|可以)(?:不能|否)?(?:直接)?(?:转发|外传|转给)")),
    # One of its numbered items asked as such: "594号公告第四条讲的是什么", "那第三条呢".
    ("item", re.compile(r"第[一二三四五六七八九十两\d]{1,3}(?:条|项|点|款)(?:里|中)?(?:讲|写|说|规定|提|是)?(?:的|了)?(?:是)?"
                        r"(?:什么|啥|些什么|些啥|哪些|内容)?(?:呢|吗|啊|呀)?[？?。！!\s]*$")),
)


# What a list question asks the items of: "哪些专利收费可以…" → 专利收费, "…的情形有哪些" → 情形,
# "什么条件" → 条件. Asking who may do something (哪些人可以, 谁能) is answered by the
# conditions one has to meet.
_HEAD_AFTER_WHICH = re.compile(r"(?:哪些|哪几种|哪几类|哪几项)([\u4e00-\u9fff]{1,6}?)(?=可以|可|能|需要|要|应当|应|是|属于|有|不|会|[，。?？!！]|$)")
_HEAD_BEFORE_WHICH = re.compile(r"([\u4e00-\u9fff]{2})(?:都有哪些|有哪些|包括哪些|是什么|是哪些|有什么)")
_ASKS_WHO = re.compile(r"哪些人|什么人|谁(?:可以|能|有资格)|哪些单位|哪类人|哪些主体|什么样的(?:人|单位|企业)")
_ASKS_CONDITIONS = re.compile(r"什么条件|哪些条件|条件是什么|条件有哪些|符合什么|满足什么|什么要求|有什么要求|资格")


def list_head(text: str) -> str | None:
    """The noun a list question asks the items of, if it names one."""
    if _ASKS_WHO.search(text) or _ASKS_CONDITIONS.search(text):
        return "条件"
    match = _HEAD_AFTER_WHICH.search(text) or _HEAD_BEFORE_WHICH.search(text)
    return match.group(1) if match else None


@dataclass(frozen=True)
class Intent:
    """What the question wants, read from its wording."""

    kind: AnswerKind | None  # an amount, a share, a duration, a day, a year, a date, a count
    wants_list: bool  # 有哪些…: several sentences of the passage
    wants_wording: bool  # 原文怎么写 / 全称: the exact text
    wants_full_name: bool  # 全称: the 《title》 in the quote
    document_fact: str | None  # date | issuer | number | effective (date) | disclosure of a document itself
    wants_purpose: bool = False  # 目的 / 依据: the clause saying why and on what basis it was made
    list_head: str | None = None  # what a list question lists: 专利收费 (哪些专利收费…), 条件 (什么条件, 哪些人)

    @classmethod
    def read(cls, text: str) -> "Intent":
        return cls(kind=answer_kind(text), wants_list=bool(_LIST_Q.search(text)),
                   wants_wording=bool(_WORDING_Q.search(text)), wants_full_name=bool(_FULL_NAME_Q.search(text)),
                   document_fact=next((name for name, pattern in DOCUMENT_FACT_QUESTIONS if pattern.search(text)), None),
                   wants_purpose=bool(_PURPOSE_Q.search(text)),
                   list_head=list_head(text) if _LIST_Q.search(text) or _ASKS_WHO.search(text) else None)


def _phrase_alternatives(words, phrases, normalized: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """For each question word that shares characters with an everyday phrase the lexicon
    knows, the policy terms that phrase stands for: a word inside the phrase (持有 in 共同持有),
    a word jieba cut across it (想少 / 交点 in "想少交点钱", around 少交) and a longer word
    holding it. Measured: counting only words inside or across
    the phrase lost one question each on the own, everyday and colloquial sets."""
    spans = [(m.start(), m.start() + len(phrase), terms)
             for phrase, terms in phrases for m in re.finditer(re.escape(phrase), normalized)]
    out: dict[str, list[str]] = {}
    for word, _ in words:
        if len(word) < 2:
            continue
        for m in re.finditer(re.escape(word), normalized):
            for start, end, terms in spans:
                if m.start() < end and start < m.end():
                    out.setdefault(word, []).extend(t for t in terms if t not in out.get(word, []))
    return tuple((w, tuple(t)) for w, t in out.items())


@dataclass(frozen=True)
class Query:
    """A question, read once."""

    text: str  # cleaned, as typed
    normalized: str  # half-width, simplified, lower case, short forms spelt out (专利费 → 专利收费)
    tokens: tuple[str, ...]  # BM25 tokens with synonym expansions
    words: tuple[tuple[str, float], ...]  # content words and part-of-speech weights
    bigrams: frozenset[str]  # content character pairs, of the question and of the policy terms its everyday words stand for
    quoted: tuple[str, ...]  # phrases the user put in quotes or 《》
    intent: Intent
    years: tuple[int, ...] = ()  # years named ("22年" → 2022)
    places: tuple[str, ...] = ()  # places named ("北京", "深圳"; places.py)
    # Policy terms a word stands for as part of an everyday phrase ("共同持有" → 共有专利权人 for
    # 持有): coverage counts them as the word's synonyms.
    word_alternatives: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def alternatives(self) -> dict[str, tuple[str, ...]]:
        return dict(self.word_alternatives)

    @classmethod
    def parse(cls, text, tokenizer: PolicyTokenizer, respell: Callable[[str], str] | None = None) -> "Query":
        """`respell`: the index's correction of typing slips (spelling.HomophoneSpeller)."""
        cleaned = clean_question(text)
        # Searched with the documents' terms: "专利费" would find only the one sentence that
        # happens to say 专利费, not the rules on 专利收费 it means.
        normalized = spell_out(normalize(cleaned))
        if respell is not None:
            normalized = respell(normalized)
        words = tuple(tokenizer.content_words(normalized))
        phrases = tokenizer.phrase_expansions(normalized)  # everyday phrase → policy terms
        return cls(text=cleaned, normalized=normalized,
                   tokens=tuple(tokenizer.query_tokens(normalized)),
                   words=words,
                   bigrams=frozenset(content_bigrams(normalized).union(
                       *(content_bigrams(term) for _, terms in phrases for term in terms))),
                   quoted=tuple(quoted_in_normalized(normalized)),
                   intent=Intent.read(cleaned), years=named_years(normalized),
                   places=places_named(w for w, _ in words),
                   word_alternatives=_phrase_alternatives(words, phrases, normalized))

    @property
    def named_fees(self) -> tuple[str, ...]:
        """The particular fees a question names ("代理费", "年费"), not fees in general."""
        fees = [w for w, _ in self.words if len(w) >= 2 and w.endswith("费")]
        # jieba may cut a fee name before its 费 ("商标注册" + "费要"): the word just before it.
        # Not a word that is part of an everyday phrase ("少交点费": 交点 belongs to 少交).
        in_phrases = self.alternatives
        for at in (m.start() for m in re.finditer("费(?!用)", self.normalized)):  # 费用: fees in general
            before = [w for w, _ in self.words if len(w) >= 2 and self.normalized[max(0, at - len(w)):at] == w
                      and w not in in_phrases]
            fee = max(before, key=len) + "费" if before else ""
            if fee and not any(named.endswith(fee) for named in fees):
                fees.append(fee)
        return tuple(dict.fromkeys(f for f in fees if f not in GENERIC_FEES))

    def states_asked_kind(self, sentence: str) -> bool:
        """Whether `sentence` states the kind of fact asked. A year the question names is
        not an answer to it: "2021年组了几支服务队" is not answered by "2021年工作总结"."""
        kind = self.intent.kind
        if kind is None:
            return False
        if self.years and kind.name not in CALENDAR_KINDS:
            sentence = _named_year_pattern(self.years).sub(" ", sentence)
        if kind.name == "count":
            # "那后来一共建了多少个" is not answered by "(津知发标字202125号)" or a year.
            sentence = _NOT_A_COUNT.sub(" ", sentence)
        # "第七条　个人请求…" states no count: 七条 is the article's label.
        return kind.stated_in(_ARTICLE_LABEL.sub("", sentence))

    @property
    def is_empty(self) -> bool:
        return not has_meaningful_text(self.text)
