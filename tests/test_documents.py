"""Loaders, encodings, metadata and skipped files."""

import zipfile

import pytest

from assistant.documents import DocumentError, decode_text, load_document, load_folder, read_meta
from tests.conftest import SEED_ID, SHIPPED_DOCS

SAMPLE = "第一条　专利费用减缴备案审核时间由25个自然日压缩到5个工作日；全角ＡＢＣ。"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16", "utf-16-le", "utf-16-be"])
def test_text_encodings_decode_exactly(encoding):
    data = SAMPLE.encode(encoding)
    assert decode_text(data) == SAMPLE


def test_gbk_file_without_bom_loads(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes(("测试通知\n" + SAMPLE).encode("gbk"))
    document = load_document(path, tmp_path)
    assert SAMPLE in document.text
    assert document.meta.title == "测试通知"  # first line when there is no sidecar


def test_binary_junk_is_refused():
    junk = bytes(range(256)) * 20
    with pytest.raises(DocumentError):
        decode_text(junk)


def test_mixed_line_endings_are_unified(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes("第一行。\r\n第二行。\r第三行。\n".encode("utf-8"))
    assert load_document(path, tmp_path).text == "第一行。\n第二行。\n第三行。\n"


def test_markdown_and_html(tmp_path):
    (tmp_path / "a.md").write_text("# 标题\n\n正文第一句。", encoding="utf-8")
    (tmp_path / "b.html").write_bytes(
        "<html><head><style>p{}</style><script>alert(1)</script></head>"
        "<body><h1>示例通知</h1><p>专利费用减缴。</p></body></html>".encode("gb18030"))
    assert "正文第一句。" in load_document(tmp_path / "a.md", tmp_path).text
    html = load_document(tmp_path / "b.html", tmp_path).text
    assert "专利费用减缴。" in html and "alert" not in html and "示例通知" in html


def test_docx_paragraphs_and_tables(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("示例办法")
    document.add_paragraph("第一条　本办法用于测试。")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "费用"
    table.rows[0].cells[1].text = "200元"
    document.save(tmp_path / "a.docx")
    text = load_document(tmp_path / "a.docx", tmp_path).text
    assert "第一条　本办法用于测试。" in text and "200元" in text


def _minimal_pdf(text: str) -> bytes:
    """A one-page PDF with Helvetica text (ASCII only: no CJK font needed)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def test_pdf_text_is_extracted(tmp_path):
    (tmp_path / "a.pdf").write_bytes(_minimal_pdf("Patent fee rules 2030"))
    assert "Patent fee rules 2030" in load_document(tmp_path / "a.pdf", tmp_path).text


def test_broken_files_are_skipped_with_reasons_and_the_rest_load(tmp_path):
    (tmp_path / "good.txt").write_text("正常文件。内容完整。", encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "junk.txt").write_bytes(bytes(range(256)) * 10)
    (tmp_path / "truncated.pdf").write_bytes(_minimal_pdf("hello")[:60])
    docx_path = tmp_path / "truncated.docx"
    with zipfile.ZipFile(docx_path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document")
    (tmp_path / "copy.txt").write_text("正常文件。内容完整。", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n")
    report = load_folder(tmp_path)
    assert [d.doc_id for d in report.documents] == ["copy.txt"]  # files load in name order
    reasons = dict(report.skipped)
    assert set(reasons) == {"empty.txt", "junk.txt", "truncated.pdf", "truncated.docx", "image.png", "good.txt"}
    assert "为空" in reasons["empty.txt"]
    assert "copy.txt" in reasons["good.txt"]  # the duplicate names its twin
    assert "PDF" in reasons["truncated.pdf"] and "Word" in reasons["truncated.docx"]


def test_shipped_metadata():
    report = load_folder(SHIPPED_DOCS)
    assert report.skipped == []
    by_id = {d.doc_id: d for d in report.documents}
    seed = by_id[SEED_ID]
    assert seed.meta.date == "2022-02-28"
    assert "2022228" in seed.text  # the body is verbatim, the clean date lives in metadata
    assert seed.meta.parts[0][0] == "市知识产权局2021年工作总结"
    rules = by_id["patent_fee_reduction_measures_2016.txt"]
    assert rules.meta.amended and "财税〔2019〕45号" in rules.meta.status
    assert rules.meta.doc_number == "财税〔2016〕78号"
    for document in report.documents:
        assert not document.text.startswith("SOURCE:")  # provenance moved to metadata
        assert document.meta.title and document.meta.issuer and document.meta.date


def test_bad_metadata_date_is_reported(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("正文。", encoding="utf-8")
    (tmp_path / "a.txt.meta.toml").write_text('date = "2022年2月"\n', encoding="utf-8")
    with pytest.raises(DocumentError, match="YYYY-MM-DD"):
        read_meta(path, "正文。")
