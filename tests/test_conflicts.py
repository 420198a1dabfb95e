"""When two documents answer differently, both are shown with dates, newest first."""

from tests.fakes import HashingEncoder
from assistant.index import build_index
from assistant.store import load_index
from assistant.service import Assistant
from assistant.tuning import Tuning


def test_disagreeing_documents_are_both_cited_newest_first(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "old.txt").write_text("示例收费办法\n第一条　示例收费减缴比例为百分之八十五。\n", encoding="utf-8")
    (docs / "old.txt.meta.toml").write_text(
        'title = "示例收费办法（旧）"\ndate = 2016-07-27\namended = true\nstatus = "已被修改"\n', encoding="utf-8")
    (docs / "new.txt").write_text("示例收费公告\n一、示例收费减缴比例调整为百分之七十。\n", encoding="utf-8")
    (docs / "new.txt.meta.toml").write_text('title = "示例收费公告（新）"\ndate = 2024-08-06\n', encoding="utf-8")
    encoder = HashingEncoder()
    build_index(docs, tmp_path / "index", encoder)
    assistant = Assistant(load_index(tmp_path / "index"), encoder, tuning=Tuning(gate="relevance", min_relevance=-10, second_margin=0.5))
    answer = assistant.ask("示例收费减缴比例")
    assert [c.doc_id for c in answer.citations] == ["new.txt", "old.txt"]
    first, second = answer.answer.split("\n")
    assert first.startswith("（2024-08-06）") and "百分之七十" in first
    assert second.startswith("（2016-07-27）") and "已被后续文件修改" in second
