"""HTML pieces: reader headings, grouped lookup hits, compact sources, the bold fact."""

from assistant.answer import AnswerPart, Citation
from assistant.render import citation_html, document_html, lookup_html, part_html, split_heading
from assistant.service import PhraseMatch


def test_reader_headings_are_whole_titles_and_the_text_does_not_repeat_them():
    cut = "(二十二)开展知识产权与创新大讲堂培训活动"[:12]
    title, body = split_heading(cut, "(二十二)开展知识产权与创新大讲堂培训活动。组织开展线上线下银企对接活动。")
    assert title == "(二十二)开展知识产权与创新大讲堂培训活动" and body == "组织开展线上线下银企对接活动。"
    assert split_heading("第三条", "第三条　符合下列条件之一的") == ("第三条", "符合下列条件之一的")
    long_item = "五、将《示例通知》附件2的注释部分修订为“由示例局作为受理局受理并进行国际检索的国际申请免缴申请费”。"
    assert split_heading(long_item[:20], long_item) == ("五、", long_item[2:])


def test_the_reader_shows_each_title_once_with_passage_anchors():
    class Meta:
        title, issuer, doc_number, date, status, source_url, facts = "示例通知", "示例局", "", "2030-01-01", "", "", ()

    class Document:
        meta = Meta()

    html = document_html(Document(), [("一、总体要求", "一、总体要求\n（一）提升示例服务水平。", 10)])
    assert html.count("一、总体要求") == 1 and 'id="at-10"' in html


def test_lookup_hits_are_grouped_by_document_with_the_title_once():
    hits = [PhraseMatch("a.txt", "示例通知", "一、总体要求", "示例窗口办理时间压缩。", 0, 10, 0, 4, True),
            PhraseMatch("a.txt", "示例通知", "二、保障措施", "示例窗口全年无休。", 20, 30, 0, 4, True),
            PhraseMatch("b.txt", "示例办法", "第一条", "示例窗口。", 0, 5, 0, 4, True)]
    html = lookup_html("示例窗口", hits)
    assert html.count("示例通知") == 1 and html.count("示例办法") == 1 and html.count("<mark>") == 3


def test_the_fact_is_bold_and_the_marker_links_to_its_source():
    html = part_html(AnswerPart("审核时间由25个自然日压缩到5个工作日,全年减负。", 1, highlight=(0, 19)))
    assert '<strong class="fact">审核时间由25个自然日压缩到5个工作日</strong>' in html
    assert 'class="cite-ref"' in html and "[1]</a>" in html


def test_a_source_is_one_line_with_a_badge_when_amended():
    citation = Citation(1, "b.txt", "财政部关于印发示例办法的通知", "第四条", "2016-07-27", "引文", "段落", 0.5,
                        issuer="财政部", amended=True, validity="amended", short_title="示例办法（2016）")
    html = citation_html(citation)
    summary = html[html.index("<summary>"):html.index("</summary>")]
    assert "示例办法（2016） · 第四条 · 2016-07-27" in summary and "已修改" in summary
