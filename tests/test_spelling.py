"""Typing slips of a pinyin keyboard are respelt as the documents' words (invented corpus)."""

from assistant.coverage import Coverage
from assistant.spelling import HomophoneSpeller
from assistant.tokenize import normalize, tokenizer_for

TEXTS = [normalize(t) for t in [
    "测试办法：个人申请专利的，可以请求减缴申请费。",
    "单位申请专利的，应当提交证明材料。",
    "专利申请人可以在规定期限内请求减缴。",
    "发明专利申请实质审查费按规定减缴。",
] * 20 + ["这是一份关于事实认定的说明。"]]  # 事实 in one passage only: too rare to respell into


def speller():
    tokenizer = tokenizer_for(["减缴", "申请费"])
    return HomophoneSpeller(Coverage(TEXTS, tokenizer.synonyms), tokenizer)


def test_a_same_sounding_character_is_respelt_as_the_documents_word():
    assert speller().respell("个人申请专例要交多少") == "个人申请专利要交多少"
    assert speller().respell("发名专利可以少交吗") == "发明专利可以少交吗"


def test_real_words_and_words_the_documents_hold_are_left_alone():
    for question in ["我是公司的还能减吗", "专利申请费多少", "提实审要交钱吗", "上海的规定"]:
        assert speller().respell(question) == question


def test_warm_up_builds_the_sound_table_before_the_first_slip():
    """A server warms the speller up at start, so the first question with a slip does not
    wait for pypinyin and the sound table."""
    warmed = speller()
    assert warmed._by_sound is None
    warmed.warm_up()
    assert warmed._by_sound and "专" in warmed._by_sound["zhuan"]
    assert warmed.respell("个人申请专例要交多少") == "个人申请专利要交多少"
