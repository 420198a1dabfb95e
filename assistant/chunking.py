"""Structure-aware chunking: sub-documents, headings, then whole sentences.

Headings recognised: sub-document titles named in the metadata (`parts`), markdown
#, 第X章/节, 一、, （一）/(一), 第X条, 1. / 1、, （1）, and the inline enumerations
一是…二是… that start a sentence. Nesting follows the order in which heading kinds
first appear in each part (a regulation nests （一） under 第X条, a work report nests
（一） under 一、), so one rule fits both. Every sentence inherits the
section path in force where it starts; a chunk holds whole sentences of one section
path, up to `max_chars`. Offsets always index the document's verbatim text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .documents import Document

CHUNKER_NAME = "structure-v1"
DEFAULT_MAX_CHARS = 300
PATH_SEPARATOR = " › "
PREAMBLE_LABEL = "文首"

_CN_NUM = "一二三四五六七八九十百零〇两"
_HEADING_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("markdown", re.compile(r"#{1,6}\s+\S")),
    ("chapter", re.compile(rf"第[{_CN_NUM}\d]+[章节]")),
    ("cn_enum", re.compile(rf"[{_CN_NUM}]+、")),
    ("cn_paren", re.compile(rf"[（(][{_CN_NUM}]+[）)]")),
    ("article", re.compile(rf"第[{_CN_NUM}\d]+条")),
    ("arabic", re.compile(r"\d{1,2}[.．、](?!\d)")),
    ("arabic_paren", re.compile(r"[（(]\d{1,2}[）)]")),
]
ARTICLE = re.compile(rf"第[{_CN_NUM}\d]+条")
# The clause stating why and on what a policy rests: "为贯彻…，根据《…》…，制定本办法".
PURPOSE_CLAUSE = re.compile(r"^(?:第.{1,4}条\s*)?为(?:了|贯彻|进一步|加快|加强|落实|规范|促进|支持|更好)|"
                            r"(?:根据|依据|依照)《|制定本(?:办法|规定|细则|条例|措施)")
INLINE_ENUM = re.compile(rf"[{_CN_NUM}]{{1,3}}是")
# The number a heading or item starts with ("一、", "(二十二)", "第三条", "六是", "1."): not a
# count and not a topic. Read by answer highlighting and by follow-up suggestions.
ENUMERATOR = re.compile(rf"^\s*(?:第[{_CN_NUM}\d]+(?:[章节条]|部分)|[（(][{_CN_NUM}\d]+[）)]|"
                        rf"[{_CN_NUM}\d]+[、.．]|[{_CN_NUM}]{{1,3}}是)\s*")
INLINE_LEVEL = 99  # 一是… always nests deepest
LIST_ITEM_MAX = 80  # longer numbered paragraphs are sections even after a "："

# A sentence ends after 。！？； or their ASCII twins (the seed mixes both), plus any
# closing quotes or brackets that follow. ASCII "." is not an end: it is a decimal point.
_SENTENCE_END = re.compile(r"[。！？；!?;…]+[”’」』）)\"'】》]*")
_LABEL_END = re.compile(r"[，,。；;：:！？!?]")
_SOFT_BREAK = re.compile(r"[，,、：:]")


@dataclass(frozen=True)
class Chunk:
    """A run of whole sentences in one section; `text == document.text[start:end]`."""

    id: str
    doc_id: str
    section: tuple[str, ...]
    text: str
    start: int
    end: int
    sentences: tuple[tuple[int, int], ...]  # absolute (start, end) of each sentence

    @property
    def section_path(self) -> str:
        return PATH_SEPARATOR.join(self.section) if self.section else PREAMBLE_LABEL

    def sentence_texts(self) -> list[str]:
        return [self.text[s - self.start:e - self.start] for s, e in self.sentences]

    def to_record(self) -> dict:
        return {"id": self.id, "doc_id": self.doc_id, "section": list(self.section),
                "text": self.text, "start": self.start, "end": self.end,
                "sentences": [list(s) for s in self.sentences]}

    @classmethod
    def from_record(cls, record: dict) -> "Chunk":
        return cls(id=record["id"], doc_id=record["doc_id"], section=tuple(record["section"]),
                   text=record["text"], start=record["start"], end=record["end"],
                   sentences=tuple(tuple(s) for s in record["sentences"]))


def chunker_version(max_chars: int) -> str:
    return f"{CHUNKER_NAME}-{max_chars}"


def heading_kind(paragraph: str) -> str | None:
    for kind, pattern in _HEADING_PATTERNS:
        if pattern.match(paragraph):
            return kind
    return None


def heading_label(text: str) -> str:
    """The heading as shown in a section path: up to the first clause mark, verbatim."""
    text = text.strip()
    article = ARTICLE.match(text)
    if article:
        return article.group(0)
    if text.startswith("#"):
        text = text.lstrip("#").strip()
    end = _LABEL_END.search(text)
    label = text[:end.start()] if end else text
    return label[:40].rstrip()


def split_sentences(text: str, start: int, end: int, max_len: int) -> list[tuple[int, int]]:
    """Sentence spans in text[start:end]; spans longer than max_len are split at commas."""
    spans = []
    pos = start
    for match in _SENTENCE_END.finditer(text, start, end):
        spans.append((pos, match.end()))
        pos = match.end()
    if pos < end:
        spans.append((pos, end))
    result = []
    for s, e in spans:
        # Trim surrounding whitespace so a quote never starts with a blank.
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            result.extend(_split_long(text, s, e, max_len))
    return result


def _split_long(text: str, start: int, end: int, max_len: int) -> list[tuple[int, int]]:
    """Only for pathological sentences (tables, run-on text): split at commas, then hard."""
    if end - start <= max_len:
        return [(start, end)]
    pieces = []
    pos = start
    while end - pos > max_len:
        window_end = pos + max_len
        cut = None
        for match in _SOFT_BREAK.finditer(text, pos + max_len // 2, window_end):
            cut = match.end()
        cut = cut or window_end
        pieces.append((pos, cut))
        pos = cut
    pieces.append((pos, end))
    return pieces


def _paragraphs(text: str):
    """(start, end) of each non-blank line, trimmed."""
    pos = 0
    for line in text.split("\n"):
        s, e = pos, pos + len(line)
        pos = e + 1
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            yield s, e


def sentences_with_sections(document: Document, max_sentence: int):
    """Yield (section_path_tuple, start, end, is_heading) for every sentence."""
    text = document.text
    part_labels = {heading.strip(): label for heading, label in document.meta.parts}
    stack: list[tuple[int, str]] = []  # (level, label)
    kinds_seen: list[str] = []  # heading kinds in order of first appearance in this part

    def push(level: int, label: str) -> None:
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, label))

    # After a paragraph ending in "：", short paragraphs numbered like the first one after
    # it are list items: they stay in the section that introduced the list.
    list_kind: str | None = None  # "" right after the colon, then the items' kind
    for p_start, p_end in _paragraphs(text):
        paragraph = text[p_start:p_end]
        while stack and stack[-1][0] == INLINE_LEVEL:  # 一是… ends with its paragraph
            stack.pop()
        heading_para = False
        kind = heading_kind(paragraph)
        is_list_item = (list_kind is not None and kind is not None and kind != "article"
                        and list_kind in ("", kind) and len(paragraph) <= LIST_ITEM_MAX
                        and paragraph.endswith(("；", ";", "。")))  # a bare title is a heading
        if is_list_item:
            list_kind = kind
        else:
            list_kind = "" if paragraph.endswith(("：", ":")) else None
        if is_list_item:
            pass
        elif paragraph in part_labels:
            stack.clear()
            kinds_seen.clear()
            push(0, part_labels[paragraph])
            heading_para = True
        elif kind is not None:
            if kind not in kinds_seen:
                kinds_seen.append(kind)
            push(1 + kinds_seen.index(kind), heading_label(paragraph))
            heading_para = True
        for i, (s, e) in enumerate(split_sentences(text, p_start, p_end, max_sentence)):
            is_heading = heading_para and i == 0
            if not is_heading and INLINE_ENUM.match(text, s):
                push(INLINE_LEVEL, heading_label(text[s:e]))
                is_heading = True
            yield tuple(label for _, label in stack), s, e, is_heading


def chunk_document(document: Document, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """Group whole sentences of one section path into chunks of at most max_chars.

    A section that is only a short heading line (e.g. 一、全面加强…) is joined to the
    chunk that follows it when that chunk lies inside it, so no chunk is a bare title.
    """
    groups: list[tuple[tuple[str, ...], list[tuple[int, int]]]] = []
    for section, s, e, _ in sentences_with_sections(document, max_sentence=max_chars):
        if groups:
            prev_section, spans = groups[-1]
            size = e - spans[0][0]
            if prev_section == section and size <= max_chars:
                spans.append((s, e))
                continue
            # A lone heading that opens a deeper section: carry it into that section.
            if (len(spans) == 1 and section[:len(prev_section)] == prev_section
                    and len(section) > len(prev_section) and spans[0][1] - spans[0][0] <= 40
                    and _is_bare_heading(document.text[spans[0][0]:spans[0][1]])):
                groups[-1] = (section, spans + [(s, e)])
                continue
        groups.append((section, [(s, e)]))

    chunks: list[Chunk] = []
    seen: set[str] = set()
    for section, spans in groups:
        start, end = spans[0][0], spans[-1][1]
        text = document.text[start:end]
        chunk_id = _chunk_id(document.doc_id, section, text, seen)
        chunks.append(Chunk(chunk_id, document.doc_id, section, text, start, end, tuple(spans)))
    return chunks


def _is_bare_heading(sentence: str) -> bool:
    return heading_kind(sentence) is not None and not _SENTENCE_END.search(sentence[:-1] or "x")


def _chunk_id(doc_id: str, section: tuple[str, ...], text: str, seen: set[str]) -> str:
    """Content hash, so ids stay stable across rebuilds; repeats get a counter."""
    basis = f"{doc_id}\x1f{PATH_SEPARATOR.join(section)}\x1f{text}"
    n = 0
    while True:
        chunk_id = hashlib.sha1(f"{basis}\x1f{n}".encode("utf-8")).hexdigest()[:16]
        if chunk_id not in seen:
            seen.add(chunk_id)
            return chunk_id
        n += 1
