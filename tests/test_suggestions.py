"""Every follow-up suggestion generated for the shipped documents is a whole phrase."""

import re

from assistant.answer import Answer, Citation
from assistant.index import build_index
from assistant.render import suggestion_topic, suggestions_for
from assistant.store import load_index
from tests.conftest import SHIPPED_DOCS
from tests.fakes import HashingEncoder

CUT_ENDINGS = "的和与及等对将为由在从把以或、"


def all_suggestions(tmp_path) -> dict[str, set[str]]:
    build_index(SHIPPED_DOCS, tmp_path / "index", HashingEncoder())
    index = load_index(tmp_path / "index")
    out: dict[str, set[str]] = {}
    for chunk in index.chunks:
        cited = Citation(1, chunk.doc_id, "", chunk.section_path, "", "", "", 0.0)
        for suggestion in suggestions_for(Answer("问题", True, "答", [cited]), index):
            out.setdefault(chunk.doc_id, set()).add(suggestion)
    return out, index


def test_every_suggestion_for_the_shipped_documents_is_a_whole_phrase(tmp_path):
    suggestions, index = all_suggestions(tmp_path)
    assert sum(len(s) for s in suggestions.values()) >= 20  # the work points have many sections
    for doc_id, found in suggestions.items():
        text = index.documents[doc_id].text
        for suggestion in found:
            topic = re.fullmatch(r"“(.+)”具体有哪些内容？", suggestion).group(1)
            assert not re.match(r"^[（(]?[一二三四五六七八九十\d]+[）)、.．是]|^第.+条", topic), suggestion
            assert topic[-1] not in CUT_ENDINGS and not topic.startswith(("是", "经")), suggestion
            ends = [m.end() for m in re.finditer(re.escape(topic), text)]
            assert ends, suggestion  # the document's own words
            # Somewhere the phrase ends where a clause ends: not cut mid-heading.
            assert any(e == len(text) or text[e] in "\n，,。；;：:！？!?" for e in ends), suggestion


def test_cut_or_enumerated_labels_make_no_suggestion():
    assert suggestion_topic("六是提升知识产权公共服务水平", "六是提升知识产权公共服务水平。") == "提升知识产权公共服务水平"
    assert suggestion_topic("是完善知识产权保护工作体系", "是完善知识产权保护工作体系。") is None
    assert suggestion_topic("经市委同意", "经市委同意，现将有关事项通知如下") is None
    long_heading = "五、将《国家发展改革委 财政部关于重新核发国家知识产权局行政事业性收费标准等有关问题的通知》附件2修订"
    assert suggestion_topic(long_heading[:40], long_heading) is None
