"""`python -m assistant docs list|add|edit|remove` over invented documents (stand-in encoder)."""

import json

import pytest

from assistant.__main__ import main

NEW_DOC = "测试市示例细则\n第一条　示例苔藓登记每件收费二十元。\n"  # invented


@pytest.fixture
def env(invented_docs, tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_ENCODER", "hashing")
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("ASSISTANT_DOCS_DIR", str(invented_docs))
    source = tmp_path / "细则.txt"
    source.write_text(NEW_DOC, encoding="utf-8")
    return invented_docs, source


def listed(capsys) -> dict:
    capsys.readouterr()
    assert main(["docs", "list", "--json"]) == 0
    return {row["doc_id"]: row for row in json.loads(capsys.readouterr().out)}


def test_add_edit_remove_and_list(env, capsys):
    docs, source = env
    assert main(["docs", "add", str(source), "--title", "测试市示例细则", "--issuer", "测试市示例局",
                 "--date", "2031-02-03", "--validity", "amended", "--amended-by", "测示〔2032〕1号"]) == 0
    out = capsys.readouterr().out
    assert "已加入 细则.txt" in out
    rows = listed(capsys)
    assert rows["细则.txt"]["issuer"] == "测试市示例局" and rows["细则.txt"]["validity"] == "amended"
    assert rows["细则.txt"]["amended_by"] == ["测示〔2032〕1号"] and rows["细则.txt"]["chunks"] > 0  # indexed
    assert main(["docs", "edit", "细则.txt", "--validity", "repealed", "--no-index"]) == 0
    assert listed(capsys)["细则.txt"]["validity"] == "repealed"
    assert main(["docs", "remove", "细则.txt"]) == 0
    assert "细则.txt" not in listed(capsys) and not (docs / "细则.txt.meta.toml").exists()


@pytest.mark.parametrize("argv, problem", [
    (["docs", "add", "{source}", "--name", "../x.txt", "--no-index"], "文件名或类型不允许"),
    (["docs", "add", "{source}", "--date", "2031-02-30", "--no-index"], "date 应为 YYYY-MM-DD"),
    (["docs", "add", "{source}", "--name", "a.txt", "--no-index"], "已有同名文件"),
    (["docs", "remove", "nope.txt", "--no-index"], "没有名为 nope.txt 的文件"),
    (["docs", "add", "{missing}", "--no-index"], "找不到文件"),
])
def test_bad_input_is_refused_with_a_reason(env, capsys, tmp_path, argv, problem):
    _, source = env
    argv = [a.format(source=source, missing=tmp_path / "missing.txt") for a in argv]
    assert main(argv) == 2
    assert problem in capsys.readouterr().err


def test_index_without_sentence_vectors_keeps_that_choice_until_asked(env):
    from assistant.config import Settings
    from assistant.store import read_manifest

    docs, _ = env
    index_dir = Settings.from_env().index_dir
    assert main(["index", "--no-sentence-vectors"]) == 0
    assert read_manifest(index_dir)["sentence_vectors"] is False
    (docs / "c.txt").write_text("第一条　新增的虚构条款，用于检查更新。\n", encoding="utf-8")
    assert main(["index"]) == 0  # an update keeps the choice
    manifest = read_manifest(index_dir)
    assert manifest["sentence_vectors"] is False and "c.txt" in manifest["documents"]
    assert main(["index", "--sentence-vectors"]) == 0
    assert read_manifest(index_dir)["sentence_vectors"] is True
