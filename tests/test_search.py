"""Fusion functions on hand-written scores, and the validated Tuning."""

import numpy as np
import pytest

from assistant.search import FUSIONS, NO_CANDIDATE, fuse_bm25, fuse_dense, fuse_rrf, fuse_weighted
from assistant.tuning import FUSION_METHODS, Tuning

# Four chunks: dense likes 0 best, BM25 likes 2 best; chunk 3 is outside FAISS's candidates.
DENSE = np.array([0.95, 0.90, 0.85, NO_CANDIDATE], dtype=np.float32)
BM25 = np.array([0.0, 2.0, 4.0, 1.0], dtype=np.float32)


def test_every_tuning_fusion_has_a_function():
    assert set(FUSIONS) == set(FUSION_METHODS)


def test_weighted_fusion_stretches_cosines_and_divides_bm25_by_its_maximum():
    fused = fuse_weighted(DENSE, BM25, weight_dense=0.5)
    # dense range 0.85..0.95 → 1, .5, 0; chunk 3 gets no dense share; BM25 / 4.
    assert fused == pytest.approx([0.5 * 1.0 + 0.0, 0.5 * 0.5 + 0.25, 0.0 + 0.5, 0.0 + 0.125], abs=1e-6)


def test_weighted_fusion_weight_moves_the_winner():
    assert int(np.argmax(fuse_weighted(DENSE, BM25, weight_dense=0.9))) == 0
    assert int(np.argmax(fuse_weighted(DENSE, BM25, weight_dense=0.1))) == 2


def test_weighted_fusion_without_any_bm25_match_follows_dense():
    fused = fuse_weighted(DENSE, np.zeros(4, dtype=np.float32), weight_dense=0.45)
    assert list(np.argsort(-fused, kind="stable")) == [0, 1, 2, 3]


def test_weighted_fusion_with_equal_cosines_gives_every_candidate_full_dense_credit():
    dense = np.array([0.9, 0.9, NO_CANDIDATE], dtype=np.float32)
    fused = fuse_weighted(dense, np.zeros(3, dtype=np.float32), weight_dense=0.4)
    assert fused == pytest.approx([0.4, 0.4, 0.0])


def test_rrf_uses_ranks_and_ignores_missing_rankings():
    fused = fuse_rrf(DENSE, BM25, weight_dense=0.5)
    k = 60
    expected = [1 / (k + 1) + 0.0,  # dense rank 1; BM25 score 0 does not count
                1 / (k + 2) + 1 / (k + 2),
                1 / (k + 3) + 1 / (k + 1),
                0.0 + 1 / (k + 3)]  # not a dense candidate
    assert fused == pytest.approx(expected)


def test_bm25_alone_breaks_ties_with_dense_and_dense_alone_is_dense():
    tied = np.array([1.0, 1.0], dtype=np.float32)
    assert int(np.argmax(fuse_bm25(np.array([0.8, 0.9], dtype=np.float32), tied, 0.5))) == 1
    assert fuse_dense(DENSE, BM25, 0.5) is DENSE


@pytest.mark.parametrize("bad, name", [
    ({"fusion": "max"}, "fusion"), ({"weight_dense": 1.5}, "weight_dense"),
    ({"chunks_considered": 0}, "chunks_considered"), ({"second_margin": -0.1}, "second_margin"),
    ({"neighbour_below": -1}, "neighbour_below"), ({"min_subject": 2.0}, "min_subject"),
])
def test_tuning_rejects_bad_values_naming_them(bad, name):
    with pytest.raises(ValueError, match=name):
        Tuning(**bad)


def test_tuning_is_frozen():
    with pytest.raises(AttributeError):
        Tuning().min_relevance = 0.0


def test_named_years_read_two_and_four_digit_years_but_not_lengths():
    from assistant.query import named_years

    assert named_years("天津22年会不会申报") == (2022,)
    assert named_years("随机抽查 2022 还有吗，2021呢") == (2022, 2021)
    assert named_years("保护期20年内有效吗") == ()
    assert named_years("2021428日印发") == ()  # a date with lost characters, not a year


def test_section_years_come_from_the_headings():
    from assistant.search import section_years

    assert section_years(("2021年工作总结", "一、2021年主要成绩")) == {2021}
    assert section_years(("第三条",)) == frozenset()


def test_a_year_the_question_names_does_not_count_as_the_asked_number():
    from assistant.query import Query
    from assistant.tokenize import tokenizer_for

    query = Query.parse("2021年组了几支服务队", tokenizer_for([]))
    assert not query.states_asked_kind("市知识产权局2021年工作总结")
    assert query.states_asked_kind("2021年组建12支服务队")
    dated = Query.parse("2021年的通知是哪天印发的", tokenizer_for([]))
    assert dated.states_asked_kind("2021年4月28日印发")  # a day still needs its year


def test_top_rows_matches_a_stable_full_sort_on_large_arrays_with_ties():
    from assistant.search import top_rows

    rng = np.random.default_rng(0)
    for n, k in ((10_000, 5), (50_000, 100), (8_000, 1)):
        scores = rng.integers(0, 50, n).astype(np.float32)  # many ties
        scores[rng.integers(0, n, 20)] = -np.inf
        assert top_rows(scores, k).tolist() == np.argsort(-scores, kind="stable")[:k].tolist()


def test_top_rows_over_a_support_equals_the_full_ranking():
    from assistant.search import top_rows

    rng = np.random.default_rng(1)
    n = 20_000
    dense = np.full(n, NO_CANDIDATE, dtype=np.float32)
    nearest = rng.choice(n, 100, replace=False)
    dense[nearest] = rng.integers(80, 90, 100) / 100  # ties among the candidates
    bm25 = np.zeros(n, dtype=np.float32)
    matched = rng.choice(n, 3, replace=False)
    bm25[matched] = [2.0, 1.0, 2.0]
    for scores, support in ((dense, np.flatnonzero(dense > NO_CANDIDATE)), (bm25, np.flatnonzero(bm25 > 0))):
        for k in (1, 3, 5, 50):  # k above the support's size falls back to every row
            assert top_rows(scores, k, support).tolist() == np.argsort(-scores, kind="stable")[:k].tolist()


def test_sentence_z_is_measured_over_the_scored_sentences_only():
    from assistant.search import _z_of_best

    cosines = np.array([0.80, 0.82, 0.81, 0.95, -1.0, -1.0], dtype=np.float32)  # -1: left out
    scored = cosines[cosines > -1.0]
    z = _z_of_best(scored, 0.95)
    assert z == pytest.approx((0.95 - scored.mean()) / scored.std(), rel=1e-5)
    assert z > _z_of_best(np.array([0.80, 0.94, 0.93, 0.95]), 0.95)  # one sentence stands out more
    assert _z_of_best(np.array([0.9]), 0.9) == 0.0  # nothing to compare with


def test_a_long_question_is_encoded_from_its_last_clauses():
    """The encoder's time grows with the question: a long consultation is encoded from the
    clauses that ask (its end), at most ENCODED_CHARS; short ones and ones without a clause
    break are encoded whole."""
    from assistant.search import ENCODED_CHARS, encoded_part

    background = "我们是一家做新材料的小公司,去年营收不到一千万,今年准备给三项发明申请专利,听说有费用减缴政策,"
    ask = "请问我们这种企业申请费能减多少?"
    kept = encoded_part(background + ask)
    assert kept.endswith(ask) and len(kept) <= ENCODED_CHARS
    assert (background + ask).endswith(kept) and kept.startswith(("去年", "今年", "听说"))
    assert encoded_part("个人申请专利费能减多少?") == "个人申请专利费能减多少?"
    unbroken = "专" * (ENCODED_CHARS + 10)
    assert encoded_part(unbroken) == unbroken


def test_search_encodes_the_asking_part_of_a_long_question(invented_docs, hashing_encoder, tmp_path):
    """The encoder gets the asking part, not the whole consultation."""
    from assistant.index import build_index
    from assistant.search import Searcher, encoded_part
    from assistant.store import load_index

    build_index(invented_docs, tmp_path / "index", hashing_encoder)
    seen = []
    original = hashing_encoder.encode_query
    hashing_encoder.encode_query = lambda text: seen.append(text) or original(text)
    searcher = Searcher(load_index(tmp_path / "index"), hashing_encoder)
    question = "我们是一家做新材料的小公司,去年营收不到一千万,今年准备给三项发明申请专利,听说有费用减缴政策,请问我们这种企业申请费能减多少?"
    query = searcher.parse(question)
    searcher.search(query)
    assert seen == [encoded_part(query.normalized)] and len(seen[0]) < len(query.normalized)
