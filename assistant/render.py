"""HTML for the web UI. Every piece of user or document text goes through html.escape,
so nothing anyone typed or any document contains is ever rendered as live HTML."""

from __future__ import annotations

import re
from html import escape

from .answer import Answer, AnswerPart
from .chunking import ARTICLE, ENUMERATOR, PATH_SEPARATOR


def part_html(part: AnswerPart) -> str:
    """One line of the answer: the quote with the clause that answers in bold, its [n] marker
    (a link that opens and scrolls to source n) and any validity note."""
    marker = (f'<a class="cite-ref" href="#" data-cite="{part.citation}" title="查看出处 {part.citation}">'
              f'[{part.citation}]</a>' if part.citation is not None else "")
    text = part.text
    if part.highlight:
        start, end = part.highlight
        body = (f'{escape(text[:start])}<strong class="fact">{escape(text[start:end])}</strong>'
                f'{escape(text[end:])}')
    else:
        body = escape(text)
    note = f'<span class="validity-note">{escape(part.note)}</span>' if part.note else ""
    return f"<p>{escape(part.prefix)}{body}{marker}{note}</p>"


def answer_html(answer: Answer) -> str:
    """Each part of the answer with its [n] marker, then one collapsible block per citation."""
    parts = answer.parts or (AnswerPart(answer.answer),)
    lines = "".join(part_html(p) for p in parts).replace("\n", "<br>")
    related = ""
    if answer.related:  # "not sure": the closest passages, collapsed under the not-found message
        related = (f'<details class="related"><summary>可能相关的条文（{len(answer.related)} 条）</summary>'
                   + "".join(citation_html(c) for c in answer.related) + "</details>")
    return lines + "".join(citation_html(c) for c in answer.citations) + related


def highlighted_passage(passage: str, spans) -> str:
    """The passage with the quoted sentences wrapped in <mark>."""
    out, pos = [], 0
    for start, end in sorted(spans):
        if start < pos:
            continue
        out.append(escape(passage[pos:start]))
        out.append(f"<mark>{escape(passage[start:end])}</mark>")
        pos = end
    out.append(escape(passage[pos:]))
    return "".join(out)


VALIDITY_BADGES = {"amended": ("amended", "已修改"), "repealed": ("repealed", "已废止")}


def citation_html(c) -> str:
    """One line per source (short title · section · date, a badge when amended or repealed);
    the full record and the passage open on click."""
    validity = getattr(c, "validity", "amended" if c.amended else "effective")
    badge = ""
    if validity in VALIDITY_BADGES:
        css, label = VALIDITY_BADGES[validity]
        badge = f' <span class="badge {css}">{label}</span>'
    section = c.section.split(PATH_SEPARATOR)[-1] if c.section else ""
    line = " · ".join(escape(x) for x in (getattr(c, "short_title", "") or c.title, section, c.date) if x)
    # The record in two short lines, so an opened source does not push the answer away.
    record = " · ".join(escape(x) for x in (c.title, c.issuer or "发布机关未注明", c.date or "日期未注明") if x)
    where = f"<b>章节</b>：{escape(c.section)}"
    status = f"<br><b>状态</b>：{escape(c.status)}" if c.status else ""
    return (f'<details class="citation" data-n="{c.n}"><summary>[{c.n}] {line}{badge}</summary>'
            f'<div class="citation-meta">{record}<br>{where}{status}'
            f'<span class="score"> · 相关度 {c.score:.4f}</span></div>'
            f'<blockquote class="passage">{highlighted_passage(c.passage, c.quote_spans)}</blockquote></details>')


def lookup_html(phrase: str, matches) -> str:
    """Hits grouped by document, the title once per document."""
    if not matches:
        return f"<p>没有找到“{escape(phrase)}”。</p>"
    exact = sum(1 for m in matches if m.exact)
    parts = [f"<p>原文出处 {exact} 处，相近内容 {len(matches) - exact} 处。</p>"]
    by_document: dict[str, list] = {}
    for m in matches:
        by_document.setdefault(m.title, []).append(m)
    for title, group in by_document.items():
        parts.append(f'<div class="lookup-document"><h4>{escape(title)}</h4>')
        for m in group:
            text = (escape(m.text[:m.match_start]) + f"<mark>{escape(m.text[m.match_start:m.match_end])}</mark>"
                    + escape(m.text[m.match_end:])) if m.exact else escape(m.text)
            label = "原文" if m.exact else "相近"
            parts.append(f'<div class="lookup-hit"><div class="lookup-head">[{label}] {escape(m.section)}</div>'
                         f'<blockquote>{text}</blockquote></div>')
        parts.append("</div>")
    return "".join(parts)


_TITLE_SENTENCE = re.compile(r"[^\n。！？!?]*[。！？!?]?")
MAX_TITLE_CHARS = 40  # a longer first sentence is content ("一、…收费标准为每件200元。"), not a title


def split_heading(label: str, text: str) -> tuple[str, str]:
    """(the section's title, the text below it) for a passage starting with its heading.
    The title is the heading's whole sentence (section labels are cut at 40 characters), so
    the body does not repeat it."""
    if not label or not text.startswith(label):
        return label, text
    if ARTICLE.fullmatch(label):
        return label, text[len(label):].lstrip("\u3000 ")
    sentence = _TITLE_SENTENCE.match(text).group(0)
    if len(sentence) <= MAX_TITLE_CHARS:
        return sentence.rstrip("。！？!?"), text[len(sentence):].lstrip()
    # Content that starts with its item number: the number is the heading, the text stays whole.
    number = ENUMERATOR.match(text)
    return (number.group(0).strip(), text[number.end():]) if number else ("", text)


def document_html(document, sections: list[tuple[str, str, int]]) -> str:
    """The reader: metadata, then each section's title and text. Every passage carries the
    anchor `at-<offset>` (a citation's `start`), so a source can link to its place."""
    meta = document.meta
    head = [f"<h3>{escape(meta.title)}</h3>",
            f"<p><b>发布机关</b>：{escape(meta.issuer or '未注明')}　<b>文号</b>：{escape(meta.doc_number or '无')}"
            f"　<b>日期</b>：{escape(meta.date or '未注明')}</p>"]
    if meta.status:
        head.append(f"<p><b>状态</b>：{escape(meta.status)}</p>")
    if meta.source_url:
        head.append(f"<p><b>来源</b>：{escape(meta.source_url)}</p>")
    if meta.facts:
        items = "".join(f"<li>{escape(k)}：{escape(v)}</li>" for k, v in meta.facts)
        head.append(f"<details><summary>整理后的事实（原文抽取时丢失了部分字符）</summary><ul>{items}</ul></details>")
    body = []
    previous = None
    for section, text, start in sections:
        anchor = f' id="at-{start}"'
        if section != previous:
            title, text = split_heading(section.split(PATH_SEPARATOR)[-1], text)
            depth = min(section.count(PATH_SEPARATOR) + 4, 6)
            if title:
                body.append(f'<h{depth} class="section-title"{anchor}>{escape(title)}</h{depth}>')
                anchor = ""
            previous = section
        if text.strip() or anchor:
            body.append(f"<p{anchor}>{escape(text)}</p>".replace("\n", "<br>"))
    return "".join(head) + "".join(body)


# A label ending in one of these was cut mid-phrase by the heading's length limit.
_CUT_ENDINGS = ("的", "和", "与", "及", "等", "有关", "关于", "对", "将", "为", "由", "在", "从", "把", "以", "或", "、")
_PAIRS = (("《", "》"), ("（", "）"), ("(", ")"), ("“", "”"), ("〈", "〉"), ("<", ">"))
MIN_TOPIC_CHARS, MAX_TOPIC_CHARS = 6, 26


def suggestion_topic(label: str, heading_line: str) -> str | None:
    """A section title cleaned for a suggestion, or None when it is not a whole phrase:
    `heading_line` is the heading's full line in the document (a label cut from it at the
    length limit is not whole)."""
    topic = ENUMERATOR.sub("", label).strip()
    if not (MIN_TOPIC_CHARS <= len(topic) <= MAX_TOPIC_CHARS):
        return None
    rest = heading_line.strip()[len(label):].lstrip()
    if rest and not rest[0] in "，,。；;：:！？!?":
        return None  # the label stops mid-phrase: the heading goes on
    if topic.endswith(_CUT_ENDINGS) or topic.startswith(("是", "经", "并", "和", "及")):
        return None
    if any(topic.count(a) != topic.count(b) for a, b in _PAIRS):
        return None
    return topic


def suggestions_for(answer: Answer, index, limit: int = 3) -> list[str]:
    """Follow-up questions from the titles of the sections next to what was cited, cleaned;
    none when no title makes a whole phrase."""
    if not answer.found or not answer.citations:
        return []
    cited = answer.citations[0]
    document = index.documents.get(cited.doc_id)
    if document is None:
        return []
    parent = cited.section.split(PATH_SEPARATOR)[:-1]
    seen, out = {cited.section}, []
    for chunk in index.chunks:
        if chunk.doc_id != cited.doc_id or chunk.section_path in seen or not chunk.section:
            continue
        if list(chunk.section[:-1]) != parent:
            continue
        seen.add(chunk.section_path)
        label = chunk.section[-1]
        at = document.text.find(label)
        line = document.text[at:document.text.find("\n", at) if "\n" in document.text[at:] else None] if at >= 0 else ""
        topic = suggestion_topic(label, line)
        if topic:
            out.append(f"“{topic}”具体有哪些内容？")
        if len(out) >= limit:
            break
    return out
