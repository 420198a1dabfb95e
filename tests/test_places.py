"""Questions naming another place: the gazetteer, a document's region, organisation names."""

from assistant.places import about_elsewhere, gazetteer, mentions_place, places_named, region_of
from assistant.query import Query
from assistant.tokenize import tokenizer_for


def test_every_gazetteer_line_names_a_known_region():
    places = gazetteer()
    regions = set(places.values())
    assert {"北京", "天津", "广东", "河北"} <= regions
    assert all(region in places for region in regions)  # each region is itself listed


def test_a_local_issuer_gives_the_region_and_a_national_one_none():
    assert region_of("测试：天津市某局", "关于印发某办法的通知") == "天津"
    assert region_of("", "深圳市某某条例") == "广东"
    assert region_of("国家知识产权局", "关于调整收费的公告") is None
    assert region_of("财政部、国家发展改革委", "关于印发《某办法》的通知") is None


def test_places_are_whole_words_of_the_question():
    tokenizer = tokenizer_for([])
    assert Query.parse("北京那边的专利补贴怎么申请", tokenizer).places == ("北京",)
    assert Query.parse("深圳和上海的政策一样吗", tokenizer).places == ("深圳", "上海")
    # "完成都" is not 成都, "确保定期" is not 保定.
    assert Query.parse("这些工作完成都需要多久", tokenizer).places == ()
    assert Query.parse("怎么确保定期检查", tokenizer).places == ()


def test_a_bank_named_after_a_city_is_not_the_city():
    assert not mentions_place("对接中国银行、北京银行和邮储银行", "北京")
    assert mentions_place("与北京、河北开展协作", "北京")


def test_a_local_passage_cannot_speak_for_another_region_unless_it_names_it():
    tianjin = ("天津市知识产权局", "2021年工作总结")
    assert about_elsewhere(("北京",), *tianjin, "对接北京银行等多家银行开展质押融资")
    assert not about_elsewhere(("北京",), *tianjin, "与北京、河北签订协作协议")
    assert not about_elsewhere(("天津",), *tianjin, "全市专利授权量9.79万件")
    assert not about_elsewhere(("北京",), "国家知识产权局", "公告", "减缴85%")  # national: everywhere
    assert not about_elsewhere((), *tianjin, "任何文字")
