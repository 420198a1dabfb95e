"""HTML for the web UI. Every piece of user or document text goes through html.escape,
so nothing anyone typed or any document contains is ever rendered as live HTML."""

from __future__ import annotations

import re
from html import escape

from .answer import Answer, AnswerPart
from .chunking import PATH_SEPARATOR


def part_html(part: AnswerPart) -> str:
    marker = f'<sup class="cite-ref">[{part.citation}]</sup>' if part.citation is not None else ""
    return f"<p>{escape(part.prefix)}{escape(part.text)}{marker}{escape(part.note)}</p>"


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


def citation_html(c) -> str:
    amended = '<span class="amended">⚠ 已被修改</span>' if c.amended else ""
    meta = [f"<b>文件</b>：{escape(c.title)}", f"<b>章节</b>：{escape(c.section)}",
            f"<b>日期</b>：{escape(c.date or '未注明')}", f"<b>发布机关</b>：{escape(c.issuer or '未注明')}"]
    if c.status:
        meta.append(f"<b>状态</b>：{escape(c.status)}")
    meta.append(f"<b>相关度</b>：{c.score:.4f}")
    return (f'<details class="citation" data-n="{c.n}"><summary>[{c.n}] {escape(c.title)} · '
            f'{escape(c.section)} {amended}</summary>'
            f'<div class="citation-meta">{"<br>".join(meta)}</div>'
            f'<blockquote class="passage">{highlighted_passage(c.passage, c.quote_spans)}</blockquote></details>')


def lookup_html(phrase: str, matches) -> str:
    if not matches:
        return f"<p>没有找到“{escape(phrase)}”。</p>"
    exact = [m for m in matches if m.exact]
    near = [m for m in matches if not m.exact]
    parts = [f"<p>原文出处 {len(exact)} 处，相近内容 {len(near)} 处。</p>"]
    for label, group in (("原文", exact), ("相近", near)):
        for m in group:
            text = (escape(m.text[:m.match_start]) + f"<mark>{escape(m.text[m.match_start:m.match_end])}</mark>"
                    + escape(m.text[m.match_end:])) if m.exact else escape(m.text)
            parts.append(f'<div class="lookup-hit"><div class="lookup-head">[{label}] {escape(m.title)} › '
                         f'{escape(m.section)}</div><blockquote>{text}</blockquote></div>')
    return "".join(parts)


def document_html(document, sections: list[tuple[str, str]]) -> str:
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
    for section, text in sections:
        if section != previous:
            body.append(f'<h4 class="section-path">{escape(section)}</h4>')
            previous = section
        body.append(f"<p>{escape(text)}</p>".replace("\n", "<br>"))
    return "".join(head) + "".join(body)


def suggestions_for(answer: Answer, index, limit: int = 3) -> list[str]:
    """Follow-up questions from the sections next to what was cited."""
    if not answer.found or not answer.citations:
        return []
    cited = answer.citations[0]
    parent = cited.section.split(PATH_SEPARATOR)[:-1]
    seen, out = {cited.section}, []
    for chunk in index.chunks:
        if chunk.doc_id != cited.doc_id or chunk.section_path in seen or not chunk.section:
            continue
        if list(chunk.section[:-1]) != parent:
            continue
        seen.add(chunk.section_path)
        label = re.sub(r"^[（(]?[一二三四五六七八九十\d]+[）)、.．]?|^[一二三四五六七八九十]+是|^第[一二三四五六七八九十\d]+条", "",
                       chunk.section[-1]).strip()
        if len(label) >= 4:
            out.append(f"{label}的具体内容是什么？")
        if len(out) >= limit:
            break
    return out
