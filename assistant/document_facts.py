"""Questions about a shipped document itself: when it was issued, by whom, its number, from
when it applies, whether it is public.

"专利收费减缴办法的文号是多少" or "…工作要点的通知是哪天发的" are answered from the
document's metadata (the sidecar a person checked, e.g. date 2022-02-28 where the
extracted text shows "2022228"), and the place in the text that states it is quoted and
cited, so the user can still see the original. Questions that name no shipped document
("十四五规划是哪天印发的") are left to ordinary retrieval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate

from .chunking import INLINE_ENUM, PATH_SEPARATOR
from .query import Query
from .store import IndexedDocument
from .tokenize import PUNCT, normalize, titles_in

_NUMBER_IN_DOC_NUMBER = re.compile(r"(\d+)号")
_CN_DIGITS = "〇一二三四五六七八九"
# "自上述通知发布之日起": from when a document applies, stated as an event instead of a date.
_FROM_EVENT = re.compile(r"自[^，。；\n]{2,30}之日起")
TITLE_MATCH_SHARE = 0.6  # share of a title's character pairs the question must contain
# Kinds of policy document a question may name instead of a title ("这个办法", "那份公告").
DOCUMENT_KINDS = ("办法", "公告", "规定", "条例", "细则", "意见", "方案", "规划", "纲要", "工作要点", "工作总结", "总结", "要点")
# A government document's disclosure mark: "(此件主动公开)", "（此件公开发布）", "（此件不予公开）".
_DISCLOSURE_MARK = re.compile(r"[（(]\s*此件\s*([^（）()\n]{2,8}?)\s*[）)]")


@dataclass(frozen=True)
class DocumentFact:
    doc_id: str
    kind: str  # date | issuer | number | effective | disclosure | item
    text: str  # the answer sentence, from metadata
    evidence: tuple[str, ...]  # strings to look for in the text, best first
    span: tuple[int, int] | None = None  # an item's whole text (start, end), quoted whole


def _plain(text: str) -> str:
    # "2021工作总结" typed in a search box names "2021年工作总结".
    return re.sub(r"(\d)年", r"\1", PUNCT.sub("", normalize(text)))


def _pairs(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def _names(meta) -> list[str]:
    """What a user might call the document: its titles, the 《…》 inside them, its number."""
    names = [meta.title, meta.short_title, meta.doc_number]
    # A title of two parts ("2021年工作总结和2022年工作要点") is named by either.
    names += [part for part in (meta.short_title or "").split("和") if part != meta.short_title]
    for title in (meta.title, meta.short_title):
        names += titles_in(title or "")
        names.append(re.sub(r"[（(][^（）()]*[）)]$", "", title or ""))  # "办法（2016）" → "办法"
    return [n for n in names if n]


def names_document(question: str, meta) -> bool:
    plain_question = _plain(question)
    asked_numbers = set(_NUMBER_IN_DOC_NUMBER.findall(normalize(question)))
    own_numbers = _NUMBER_IN_DOC_NUMBER.findall(f"{meta.doc_number or ''} {meta.short_title or ''}")
    if asked_numbers and not asked_numbers & set(own_numbers):
        return False  # "第511号公告" is another document than 第594号
    for name in _names(meta):
        plain = _plain(name)
        if len(plain) >= 4 and plain in plain_question:
            return True
        pairs = _pairs(plain)
        if len(pairs) >= 6 and len(pairs & _pairs(plain_question)) / len(pairs) >= TITLE_MATCH_SHARE:
            return True
    # "594号公告": the number of its document number, with 号.
    return any(f"{n}号" in plain_question for n in _NUMBER_IN_DOC_NUMBER.findall(meta.doc_number or ""))


def names_another_document(question: str, documents: dict[str, IndexedDocument]) -> bool:
    """Does the question name a document by a number no shipped document has ("财税2024年23号
    那个通知是哪天印发的": a notice the 594 announcement cites, also when read after a question
    naming 594)? Its date, issuer or number is not one of theirs."""
    asked = set(_NUMBER_IN_DOC_NUMBER.findall(normalize(question)))
    own = {n for d in documents.values()
           for n in _NUMBER_IN_DOC_NUMBER.findall(f"{d.meta.doc_number or ''} {d.meta.short_title or ''}")}
    return bool(asked - own)


def _date_forms(iso: str) -> tuple[str, tuple[str, ...]]:
    """2022-02-28 → ("2022年2月28日", and the forms it may take in an extracted text)."""
    year, month, day = (int(part) for part in iso.split("-"))
    spoken = f"{year}年{month}月{day}日"
    return spoken, (spoken, f"{year}-{month:02d}-{day:02d}", f"{year}{month}{day}", f"{year}{month:02d}{day:02d}")


def _cn_digits(number: str) -> str:
    return "".join(_CN_DIGITS[int(d)] for d in number)


def find_document_fact(query: Query, documents: dict[str, IndexedDocument],
                       meant: str | None = None) -> DocumentFact | None:
    """The fact a question asks about a shipped document it names (its date, issuer or
    number), read from the document's metadata; None for any other question. `meant`: the
    document a follow-up's "这个文件" refers to (the one the previous answer quoted)."""
    kind = query.intent.document_fact
    if kind is None:
        return None
    if names_another_document(query.text, documents):
        return None  # not even the document a follow-up's "这个通知" seemed to mean
    named = [documents[meant]] if meant in documents else [d for d in documents.values()
                                                           if names_document(query.text, d.meta)]
    if not named:
        # "专利少交钱那个办法是哪两个部委发的": "that 办法", when only one title is one.
        # A word or two may stand between ("这份年度总结").
        kinds = [k for k in DOCUMENT_KINDS if re.search(rf"(?:那|这|该|此)(?:个|份|部|项|篇)?[\u4e00-\u9fff]{{0,4}}?{k}", query.text)]
        named = [d for d in documents.values() if kinds and any(k in d.meta.short_title or "" for k in kinds)]
    if not named and kind == "item":
        # "减缴办法第二条写的啥": a kind of document named just before the item.
        kinds = [k for k in DOCUMENT_KINDS if re.search(rf"{k}(?:里|中|里面)?的?第", query.text)]
        named = [d for d in documents.values() if kinds and any(k in d.meta.short_title or "" for k in kinds)]
    if len(named) != 1:
        return None  # none, or ambiguous: ordinary retrieval decides
    document = named[0]
    meta = document.meta
    # A title inside 《》 writes its own inner titles with 〈〉.
    title = meta.title.replace("《", "〈").replace("》", "〉")
    if kind == "date" and meta.date:
        spoken, forms = _date_forms(meta.date)
        shown = next((f for f in forms if f in document.text), "")
        note = f"（原文落款显示为“{shown}”）" if shown and shown != spoken else ""
        return DocumentFact(document.doc_id, kind, f"《{title}》的发文日期是{spoken}{note}。", forms)
    if kind == "effective" and meta.effective_date:
        spoken, forms = _date_forms(meta.effective_date)
        return DocumentFact(document.doc_id, kind, f"《{title}》自{spoken}起施行。", forms)
    if kind == "effective":
        # No date to give: a document that applies from an event ("自上述通知发布之日起调整")
        # says so in its text; that clause answers.
        start = _FROM_EVENT.search(document.text)
        if start:
            return DocumentFact(document.doc_id, kind, f"《{title}》所定事项{start.group(0)}实行（原文没有写具体日期）。",
                                (start.group(0),))
    if kind == "issuer" and meta.issuer:
        # The signature line ("财政部  国家发展改革委"), else the title line names the issuer.
        parts = [p for p in re.split(r"[、，,\s]+", meta.issuer) if p]
        signature = tuple(line.strip() for line in document.text.splitlines()
                          if line.strip() and len(line.strip()) <= 40 and all(p in line for p in parts))
        return DocumentFact(document.doc_id, kind, f"《{title}》由{meta.issuer}印发。", (*signature[-1:], meta.title))
    if kind == "number" and meta.doc_number:
        numbers = _NUMBER_IN_DOC_NUMBER.findall(meta.doc_number)
        written = tuple(f"第{_cn_digits(n)}号" for n in numbers)
        return DocumentFact(document.doc_id, kind, f"《{title}》的文号是{meta.doc_number}。",
                            (meta.doc_number, *written))
    if kind == "item":
        return _numbered_item(query.text, document)
    if kind == "disclosure":
        # Only the document's own mark answers; without one the question goes to retrieval.
        mark = _DISCLOSURE_MARK.search(document.text)
        if mark:
            return DocumentFact(document.doc_id, kind, f"《{title}》标注为“此件{mark.group(1)}”。", (mark.group(0),))
    return None


# "第四条", "第3项": an item asked by its number.
_ORDINAL = re.compile(r"第([一二三四五六七八九十两\d]{1,3})(条|项|点|款)")
# Words that ask for the item as such; anything else left in the question is a topic of its own
# ("总结里说的不足，第一条是啥" asks about the shortcomings, not the document's first item).
_ITEM_ASKING = re.compile(r"讲|写|说|规定|提|是|什么|啥|哪些|内容|请问|那么|那个|那|这个|这份|该|原文|具体|全文|一下|"
                          r"呢|吗|啊|呀|了|的|里面|当中|里|中|些")
_KIND_WORDS = re.compile("|".join(DOCUMENT_KINDS) + r"|文件|政策|通知|第[一二三四五六七八九十百零〇\d]+号|\d+号")


def _cn_number(text: str) -> int | None:
    """"四" → 4, "十二" → 12, "21" → 21 (1–99)."""
    if text.isdigit():
        return int(text)
    digits = {ch: i for i, ch in enumerate(_CN_DIGITS)} | {"两": 2}
    tens, ten, ones = text.partition("十")
    if not ten:
        return digits.get(text) if len(text) == 1 else None
    if any(ch not in digits for ch in tens + ones) or len(tens) > 1 or len(ones) > 1:
        return None
    return (digits[tens] if tens else 1) * 10 + (digits[ones] if ones else 0)


def _spoken(number: int) -> str:
    """4 → 四, 12 → 十二, 21 → 二十一."""
    if number < 10:
        return _CN_DIGITS[number]
    return (_CN_DIGITS[number // 10] if number >= 20 else "") + "十" + (_CN_DIGITS[number % 10] if number % 10 else "")


def _outside(text: str, names: str) -> str:
    """`text` without its runs of two or more characters that also stand in `names`."""
    kept, i = [], 0
    while i < len(text):
        j = i + 2
        while j <= len(text) and text[i:j] in names:
            j += 1
        if j - 1 - i >= 2:
            i = j - 1
        else:
            kept.append(text[i])
            i += 1
    return "".join(kept)


def _numbered_item(question: str, document: IndexedDocument) -> DocumentFact | None:
    """The document's item a question asks for by number ("第四条" as an article "第四条　…" or a
    heading "四、…"), quoted whole; None when the question also asks about something else or
    the document numbers no such item."""
    ordinals = _ORDINAL.findall(normalize(question))
    number = _cn_number(ordinals[-1][0]) if ordinals else None
    if not number or number > 98:
        return None  # (no policy document here numbers a hundred items)
    names = [_plain(n) for n in _names(document.meta)]
    rest = _ORDINAL.sub("", _plain(question))
    for name in sorted(names, key=len, reverse=True):
        rest = rest.replace(name, "") if len(name) >= 2 else rest
    rest = _outside(rest, "".join(names))  # "减缴办法": part of its title
    if _ITEM_ASKING.sub("", _KIND_WORDS.sub("", rest)):
        return None  # a topic of its own: ordinary retrieval answers it
    lines = document.text.splitlines(keepends=True)
    starts = [0, *accumulate(len(line) for line in lines)]  # where each line begins
    spoken = _spoken(number)
    title = document.meta.short_title or document.meta.title
    # Articles first: a document of articles ("第四条") may also number lists inside them ("四、").
    for marks, next_marks in (((f"第{spoken}条",), (f"第{_spoken(number + 1)}条",)),
                              ((f"{spoken}、", f"{number}、"), (f"{_spoken(number + 1)}、", f"{number + 1}、"))):
        found = [i for i, line in enumerate(lines) if line.lstrip().startswith(marks)]
        if len(found) > 1:
            return None  # numbered twice (a summary and a plan each with its "三、"): ambiguous
        if not found:
            continue
        first = found[0]
        # Up to the next item; the last one is its own paragraph (a signature may follow).
        after = next((i for i in range(first + 1, len(lines)) if lines[i].lstrip().startswith(next_marks)), first + 1)
        last = max(i for i in range(first, after) if lines[i].strip())  # blank lines before the next are not its text
        end = starts[last] + len(lines[last].rstrip())
        # An article's quote names itself ("第四条　…"); a heading's ("四、…") is named here.
        named = "" if marks[0].startswith("第") else f"第{ordinals[-1][0]}{ordinals[-1][1]}"
        return DocumentFact(document.doc_id, "item", f"《{title}》{named}：", (lines[first].strip()[:30],),
                            (starts[first] + len(lines[first]) - len(lines[first].lstrip()), end))
    # Items there are, but fewer: say so rather than quote whatever else matches the words.
    numbered = [n for n in range(1, 100) for line in lines if line.lstrip().startswith((f"第{_spoken(n)}条", f"{_spoken(n)}、"))]
    last = max(numbered, default=0)
    if last and last < number and len(numbered) == len(set(numbered)):
        unit = ordinals[-1][1]
        return DocumentFact(document.doc_id, "item", f"《{title}》共{last}{unit}，没有第{ordinals[-1][0]}{unit}。", (title,))
    return None


# "第三点呢", "还有第三条？", "第二点展开说说": one item asked by its number and nothing else.
_ITEM_ONLY = re.compile(r"^(?:还有|那|那么)?第([一二三四五六七八九])(点|条|个|项|方面)(?:呢|吗|是啥|是什么|讲的啥|说的啥|"
                        r"(?:展开|具体|详细)?(?:说说|讲讲|说一下|讲一下))?[？?。！!\s]*$")


def inline_list_item(question: str, chunks, previous_answer: str) -> DocumentFact | None:
    """The chunk holding item N of an inline list ("…主要体现在:一是…。二是…。三是…。") the last
    answer quoted the start of, when the follow-up asks only for "第N点": the chunker makes each
    "N是…" a section of its own under the list's section. `chunks` are the index's chunks in
    order, `previous_answer` normalised."""
    asked = _ITEM_ONLY.match(normalize(question).strip())
    if not asked or not previous_answer:
        return None
    item = f"{asked.group(1)}是"
    quoted = [c for c in chunks if any(len(s) >= 8 and normalize(s) in previous_answer for s in c.sentence_texts())]
    # The list the last answer quoted: the section its first item is in, or the one above an item.
    lists = {(c.doc_id, c.section_path) for c in quoted if "一是" in c.text}
    lists |= {(c.doc_id, c.section_path.rpartition(PATH_SEPARATOR)[0]) for c in quoted
              if INLINE_ENUM.match(c.section_path.rpartition(PATH_SEPARATOR)[2])}
    for chunk in chunks:
        parent, _, last = chunk.section_path.rpartition(PATH_SEPARATOR)
        if last.startswith(item) and (chunk.doc_id, parent) in lists:
            return DocumentFact(chunk.doc_id, "item", f"第{asked.group(1)}{asked.group(2)}：", (),
                                (chunk.start, chunk.end))
    return None
