"""Validity (effective / amended / repealed) and question filters, over invented documents."""

import pytest

from assistant.index import build_index
from assistant.scope import FilterError, Filters
from assistant.service import Assistant
from assistant.store import load_index
from assistant.tuning import Tuning
from tests.fakes import HashingEncoder

# All invented for the tests: no real policy text.
OLD = "示例补贴办法\n第一条　示例补贴每件发放一千元。\n"
OLD_META = ('title = "示例补贴办法（旧）"\nshort_title = "旧示例补贴办法"\nissuer = "示例市财政局"\n'
            'doc_number = "示财〔2010〕1号"\ndate = 2010-01-01\nvalidity = "repealed"\namended_by = ["示财〔2020〕9号"]\n')
NEW = "示例补贴新办法\n第一条　示例补贴每件发放八百元。\n"
NEW_META = 'title = "示例补贴新办法"\nissuer = "示例市知识产权局"\ndate = 2020-05-01\n'
AMENDED = "示例收费规则\n第二条　示例收费每件缴纳五十元。\n"
AMENDED_META = ('title = "示例收费规则"\nissuer = "示例市知识产权局"\ndate = 2022-03-01\nvalidity = "amended"\n'
                'amended_by = ["示知〔2023〕2号"]\n')
IN_FORCE = "示例收费细则\n第二条　示例收费每件缴纳三十元。\n"
IN_FORCE_META = 'title = "示例收费细则"\nissuer = "示例市财政局"\ndate = 2019-03-01\n'


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    root = tmp_path_factory.mktemp("validity")
    docs = root / "docs"
    docs.mkdir()
    for name, text, meta in (("old.txt", OLD, OLD_META), ("new.txt", NEW, NEW_META),
                             ("amended.txt", AMENDED, AMENDED_META), ("in_force.txt", IN_FORCE, IN_FORCE_META)):
        (docs / name).write_text(text, encoding="utf-8")
        (docs / f"{name}.meta.toml").write_text(meta, encoding="utf-8")
    encoder = HashingEncoder()
    build_index(docs, root / "index", encoder)
    return Assistant(load_index(root / "index"), encoder,
                     tuning=Tuning(gate="relevance", min_relevance=-10, second_margin=0.5))


def test_a_repealed_document_is_left_out_of_answers(assistant):
    answer = assistant.ask("示例补贴每件发放多少")
    assert answer.found
    assert {c.doc_id for c in answer.citations} == {"new.txt"}
    assert "八百元" in answer.answer and "一千元" not in answer.answer


def test_a_question_naming_a_repealed_document_gets_its_text_marked_repealed(assistant):
    answer = assistant.ask("旧示例补贴办法规定每件发放多少")
    cited = [c for c in answer.citations if c.doc_id == "old.txt"]
    assert cited and cited[0].validity == "repealed"
    assert "一千元" in answer.answer and "已废止" in answer.answer and "示财〔2020〕9号" in answer.answer


def test_the_document_in_force_leads_and_the_amended_one_names_what_amended_it(assistant):
    answer = assistant.ask("示例收费每件缴纳多少")
    assert [c.doc_id for c in answer.citations] == ["in_force.txt", "amended.txt"]
    first, second = answer.answer.split("\n")
    assert "三十元" in first and "修改" not in first
    assert "五十元" in second and "已被示知〔2023〕2号修改" in second


def test_filters_restrict_the_documents_answered_from(assistant):
    by_issuer = assistant.ask("示例收费每件缴纳多少", filters={"issuer": "财政局"})
    assert {c.doc_id for c in by_issuer.citations} == {"in_force.txt"}
    by_date = assistant.ask("示例收费每件缴纳多少", filters={"date_from": "2021-01-01", "date_to": "2022-12-31"})
    assert {c.doc_id for c in by_date.citations} == {"amended.txt"}
    by_id = assistant.ask("示例补贴每件发放多少", filters={"doc_ids": ["old.txt"]})
    assert {c.doc_id for c in by_id.citations} == {"old.txt"}  # chosen by name: the repealed one too


def test_a_filter_matching_no_document_says_so(assistant):
    answer = assistant.ask("示例收费每件缴纳多少", filters={"issuer": "不存在的机关"})
    assert not answer.found and answer.mode == "no_documents" and "没有符合限定范围的文件" in answer.answer


@pytest.mark.parametrize("raw, problem", [
    ("财政局", "应为对象"), ({"issuer": 3}, "issuer"), ({"date_from": "2021/01/01"}, "date_from"),
    ({"date_from": "2022-01-01", "date_to": "2021-01-01"}, "晚于"), ({"colour": "red"}, "colour"),
    ({"doc_ids": [1, 2]}, "doc_ids"),
])
def test_malformed_filters_are_refused_naming_the_problem(raw, problem):
    with pytest.raises(FilterError, match=problem):
        Filters.parse(raw)


def test_empty_filters_mean_none():
    assert Filters.parse(None) is None and Filters.parse({}) is None and Filters.parse({"issuer": ""}) is None
