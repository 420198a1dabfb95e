"""Structure-aware chunking on the real seed document and on invented ones."""

import re

from assistant.chunking import chunk_document, split_sentences
from assistant.documents import load_document, load_folder
from tests.conftest import SEED_ID, SHIPPED_DOCS


def _shipped():
    return {d.doc_id: d for d in load_folder(SHIPPED_DOCS).documents}


def test_seed_offsets_round_trip_to_the_exact_source_text():
    seed = _shipped()[SEED_ID]
    chunks = chunk_document(seed)
    assert len(chunks) > 40
    for chunk in chunks:
        assert seed.text[chunk.start:chunk.end] == chunk.text
        for s, e in chunk.sentences:
            assert chunk.start <= s < e <= chunk.end
            assert seed.text[s:e] == chunk.text[s - chunk.start:e - chunk.start]
    # Chunks do not overlap and appear in document order.
    assert all(a.end <= b.start for a, b in zip(chunks, chunks[1:]))


def test_seed_section_paths_follow_the_headings():
    chunks = chunk_document(_shipped()[SEED_ID])
    paths = {c.section_path for c in chunks}
    assert ("2021年工作总结 › 一、2021年主要成绩 › (四)强化全链条保护 › 六是提升知识产权公共服务水平") in paths
    assert any(p.startswith("2022年工作要点 › 九、开展知识产权质押融资入园惠企专项行动 › (十九)") for p in paths)
    target = next(c for c in chunks if "专利费用减缴备案审核时间由25个自然日压缩到5个工作日" in c.text)
    assert target.section[-1] == "六是提升知识产权公共服务水平"
    # The notice before the first sub-document has no section path of its own.
    assert chunks[0].section == ()


def test_no_chunk_cuts_a_sentence():
    for document in _shipped().values():
        for chunk in chunk_document(document):
            following = document.text[chunk.end:chunk.end + 1]
            # A chunk ends at a sentence end, a line end or the end of the document.
            assert (re.search(r"[。！？；!?;”’）)」】》]$", chunk.text) or following in ("", "\n")), chunk.text[-20:]


def test_regulation_articles_nest_their_list_items():
    rules = _shipped()["patent_fee_reduction_measures_2016.txt"]
    chunks = chunk_document(rules)
    article_2 = next(c for c in chunks if c.text.startswith("第二条"))
    assert article_2.section == ("第二条",)
    assert "（四）复审费。" in article_2.text  # list items stay with the article that lists them
    assert any(c.section == ("第三条",) for c in chunks)


def test_sentences_split_at_ascii_and_fullwidth_ends():
    text = "甲句。乙句!丙句；丁句;戊句？己句“引号。”庚句 4.34件"
    spans = split_sentences(text, 0, len(text), 300)
    assert [text[s:e] for s, e in spans] == ["甲句。", "乙句!", "丙句；", "丁句;", "戊句？", "己句“引号。”", "庚句 4.34件"]


def test_invented_document_headings(invented_docs):
    document = load_document(invented_docs / "a.txt", invented_docs)
    chunks = chunk_document(document)
    paths = [c.section_path for c in chunks]
    assert "一、总体要求 › （一）提升示例服务水平 › 一是优化流程" in paths
    assert "一、总体要求 › （二）加强示例保护" in paths
    assert "二、保障措施 › 第一条" in paths


def test_chunk_ids_are_stable_content_hashes(invented_docs):
    document = load_document(invented_docs / "a.txt", invented_docs)
    first = [c.id for c in chunk_document(document)]
    again = [c.id for c in chunk_document(load_document(invented_docs / "a.txt", invented_docs))]
    assert first == again and len(set(first)) == len(first)
    (invented_docs / "a.txt").write_text(document.text.replace("12件", "13件"), encoding="utf-8")
    changed = [c.id for c in chunk_document(load_document(invented_docs / "a.txt", invented_docs))]
    assert len(set(first) - set(changed)) == 1  # only the edited chunk gets a new id


def test_chunk_size_is_respected_and_long_runs_are_split(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("，".join(["很长的没有句号的文字"] * 200) + "。", encoding="utf-8")
    chunks = chunk_document(load_document(path, tmp_path), max_chars=300)
    assert len(chunks) > 5
    assert all(len(c.text) <= 300 for c in chunks)
    assert "".join(c.text for c in chunks) == path.read_text(encoding="utf-8")
