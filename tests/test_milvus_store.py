"""The Milvus store answers as the local store does: milvus-lite in tmp_path for the fast
tests, the real Milvus 2.3 server (in a loopback-only network namespace) for the slow one."""

import json
import logging
import shutil
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from assistant.index import build_index  # noqa: E402
from assistant.milvus_store import MilvusStore, _string_list, passage_term_scores  # noqa: E402
from assistant.passage_store import NO_CANDIDATE, LocalStore, RowFilter  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from assistant.store import load_index  # noqa: E402
from tests.conftest import INVENTED_A, INVENTED_B, ROOT, SHIPPED_DOCS  # noqa: E402
from tests.fakes import HashingEncoder  # noqa: E402

# A document id a filter expression must escape.
ODD_ID = 'quote"and\'back\\slash.txt'
QUESTIONS = ["专利年费减缴的比例是多少？", "贷款贴息比例是多少", "示例窗口办理时间压缩到几个工作日",
             "2022年知识产权工作要点有哪些", "专利 专利 费用 减缴", "完全无关的天气问题"]


def make_docs(folder, shipped=True):
    folder.mkdir()
    if shipped:
        for path in SHIPPED_DOCS.iterdir():
            shutil.copy(path, folder / path.name)
    (folder / "a.txt").write_text(INVENTED_A, encoding="utf-8")
    (folder / ODD_ID).write_text(INVENTED_B, encoding="utf-8")
    (folder / (ODD_ID + ".meta.toml")).write_text('title = "虚构示例融资办法"\nissuer = "测试局"\n', encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def encoder():
    return HashingEncoder()


@pytest.fixture(scope="module")
def index(tmp_path_factory, encoder):
    tmp = tmp_path_factory.mktemp("milvus-index")
    build_index(make_docs(tmp / "docs"), tmp / "index", encoder)
    return load_index(tmp / "index")


@pytest.fixture(scope="module")
def store(tmp_path_factory, index):
    store = MilvusStore.for_index(index, str(tmp_path_factory.mktemp("lite") / "milvus.db"))
    assert store.sparse
    return store


def row_filter(index, docs):
    docs = frozenset(docs)
    return RowFilter(docs, np.array([c.doc_id in docs for c in index.chunks]))


def query_tokens(index, encoder, question):
    return list(Assistant(index, encoder).searcher.parse(question).tokens)


def test_dense_top_k_rows_and_cosines_equal_the_local_store(index, encoder, store):
    local = LocalStore(index)
    for question in QUESTIONS:
        vector = encoder.encode_query(question)
        expected, got = local.dense_scores(vector, 10), store.dense_scores(vector, 10)
        assert (expected > NO_CANDIDATE).sum() == 10
        assert set(np.flatnonzero(got > NO_CANDIDATE)) == set(np.flatnonzero(expected > NO_CANDIDATE))
        np.testing.assert_allclose(got, expected, atol=1e-5)


def test_bm25_scores_equal_the_local_store_with_repeated_and_unknown_tokens(index, encoder, store):
    local = LocalStore(index)
    for question in QUESTIONS:
        tokens = query_tokens(index, encoder, question) + ["词表里没有的词"]
        expected, got = local.bm25_scores(tokens), store.bm25_scores(tokens)
        assert (got > 0).tolist() == (expected > 0).tolist()
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert not store.bm25_scores(["词表里没有的词"]).any()


def test_sparse_vectors_reproduce_bm25s_scores_exactly(index, encoder):
    """The inner product of token counts with each passage's term scores is bm25s's score."""
    term_scores = passage_term_scores(index.bm25)
    tokens = query_tokens(index, encoder, "专利 专利 费用 减缴 贷款") + ["词表里没有的词"]
    counts = Counter(index.bm25.vocab_dict[t] for t in tokens if t in index.bm25.vocab_dict)
    assert max(counts.values()) == 2
    products = np.array([sum(n * row.get(t, 0.0) for t, n in counts.items()) for row in term_scores])
    np.testing.assert_allclose(products, index.bm25.get_scores(tokens), rtol=1e-6)


def test_server_side_filters_return_only_allowed_rows(index, encoder, store):
    local = LocalStore(index)
    documents = sorted({c.doc_id for c in index.chunks})
    vector = encoder.encode_query("贷款贴息比例")
    tokens = query_tokens(index, encoder, "贷款贴息比例 专利")
    # one document named (doc_id in [...]), all but one (doc_id not in [...]), an odd id
    for docs in ([ODD_ID], [d for d in documents if d != ODD_ID], [ODD_ID, "a.txt"]):
        allowed = row_filter(index, docs)
        dense, bm25 = store.dense_scores(vector, 5, allowed), store.bm25_scores(tokens, allowed)
        assert (dense > NO_CANDIDATE).any() and not (dense[~allowed.mask] > NO_CANDIDATE).any()
        assert not bm25[~allowed.mask].any()
        np.testing.assert_allclose(dense, local.dense_scores(vector, 5, allowed), atol=1e-5)
        np.testing.assert_allclose(bm25, local.bm25_scores(tokens, allowed), rtol=1e-5, atol=1e-5)
    nothing = row_filter(index, ["not-indexed.txt"])
    assert (store.dense_scores(vector, 5, nothing) == NO_CANDIDATE).all()
    assert not store.bm25_scores(tokens, nothing).any()


def test_filter_expression_escapes_quotes_and_backslashes():
    assert _string_list([ODD_ID, "中文.txt"]) == '["quote\\"and\'back\\\\slash.txt", "中文.txt"]'


def test_reopened_store_reuses_its_collection_and_a_new_build_replaces_it(tmp_path, encoder, caplog):
    docs, index_dir, uri = make_docs(tmp_path / "docs", shipped=False), tmp_path / "index", str(tmp_path / "m.db")
    build_index(docs, index_dir, encoder)
    caplog.set_level(logging.INFO, logger="assistant.milvus_store")
    first = MilvusStore.for_index(load_index(index_dir), uri)
    again = MilvusStore.for_index(load_index(index_dir), uri)
    assert again.collection == first.collection
    assert "reused" in caplog.text
    (docs / "c.txt").write_text("新增的测试文件。第一条　本文件用于测试。\n", encoding="utf-8")
    build_index(docs, index_dir, encoder)
    newer = load_index(index_dir)
    rebuilt = MilvusStore.for_index(newer, uri)
    assert rebuilt.collection != first.collection
    assert rebuilt.client.list_collections() == [rebuilt.collection]  # the old build's is dropped
    vector = encoder.encode_query("新增的测试文件")
    np.testing.assert_allclose(rebuilt.dense_scores(vector, 100), LocalStore(newer).dense_scores(vector, 100),
                               atol=1e-5)


def test_assistant_answers_identically_with_both_stores(index, encoder, store):
    local, milvus = Assistant(index, encoder), Assistant(index, encoder, store=store)
    asked = [(q, None) for q in QUESTIONS] + [("贷款贴息比例是多少", {"issuer": "测试局"}),
                                              ("办理时间", {"doc_ids": ["a.txt"]})]
    for question, filters in asked:
        a, b = local.ask(question, filters=filters), milvus.ask(question, filters=filters)
        assert (b.found, b.answer, [c.passage for c in b.citations]) == \
            (a.found, a.answer, [c.passage for c in a.citations]), question


# ---------------------------------------------------------------- the real Milvus 2.3 server

SERVER_CHECK = """
import json, sys
from pathlib import Path
import numpy as np
sys.path.insert(0, {root!r})
from assistant.milvus_store import MilvusStore
from assistant.passage_store import LocalStore, RowFilter
from assistant.store import load_index
from benchmarks.scale_milvus import embedded_server

index = load_index(Path({index_dir!r}))
vectors = np.load({vectors!r})
allowed_docs = frozenset({allowed!r})
allowed = RowFilter(allowed_docs, np.array([c.doc_id in allowed_docs for c in index.chunks]))
with embedded_server(Path({data_dir!r})) as (uri, pid):
    store = MilvusStore.for_index(index, uri)
    local = LocalStore(index)
    out = {{"sparse": store.sparse, "pairs": []}}
    for v in vectors:
        for f in (None, allowed):
            out["pairs"].append([local.dense_scores(v, 10, f).tolist(), store.dense_scores(v, 10, f).tolist(),
                                 local.bm25_scores(["专利"], f).tolist(), store.bm25_scores(["专利"], f).tolist()])
print(json.dumps(out))
"""


@pytest.mark.slow
def test_real_milvus_23_server_dense_path_with_a_filter_equals_the_local_store(index, encoder, tmp_path):
    pytest.importorskip("milvus")
    from benchmarks.scale_milvus import NamespaceUnavailable, loopback_namespace, server_command

    vectors = tmp_path / "vectors.npy"
    np.save(vectors, np.stack([encoder.encode_query(q) for q in QUESTIONS[:3]]))
    allowed = [ODD_ID, "a.txt"]
    script = SERVER_CHECK.format(root=str(ROOT), index_dir=str(index.path.parent.parent), vectors=str(vectors),
                                 allowed=allowed, data_dir=str(tmp_path / "server"))
    try:
        with loopback_namespace(f"mvtest{tmp_path.name[-12:]}") as namespace:
            # The server listens on every interface: it and its client run in the namespace only.
            done = subprocess.run(server_command(namespace, tmp_path / "server", [sys.executable, "-c", script]),
                                  capture_output=True, text=True, timeout=300)
    except NamespaceUnavailable as exc:
        pytest.skip(f"no loopback-only network namespace for the Milvus server ({exc})")
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["sparse"] is False  # Milvus 2.3: dense on the server, BM25 from the local files
    mask = np.array([c.doc_id in allowed for c in index.chunks])
    for local_dense, server_dense, local_bm25, server_bm25 in out["pairs"]:
        local_dense, server_dense = np.array(local_dense), np.array(server_dense)
        assert set(np.flatnonzero(server_dense > NO_CANDIDATE)) == set(np.flatnonzero(local_dense > NO_CANDIDATE))
        np.testing.assert_allclose(server_dense, local_dense, atol=1e-5)
        assert server_bm25 == local_bm25
    filtered = np.array(out["pairs"][1][1])
    assert (filtered[mask] > NO_CANDIDATE).all() and (filtered[~mask] == NO_CANDIDATE).all()
