"""The paths a large index takes: an HNSW dense index, memory-mapped files, sentence cosines
for candidate passages only, sampled word counts; and a smoke run of the scale benchmark."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant import coverage, search, store
from assistant.index import build_index
from assistant.service import Assistant
from assistant.store import load_index
from assistant.tuning import Tuning
from tests.fakes import HashingEncoder

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ["示例窗口办理时间压缩到几个工作日", "示例补贴最高多少", "怎么申请示例资助"]
LENIENT = Tuning(gate="relevance", min_relevance=-10)  # the stand-in encoder's cosines mean nothing to the model


def _assistant(index_dir: Path) -> Assistant:
    return Assistant(load_index(index_dir), HashingEncoder(), tuning=LENIENT)


def test_above_the_threshold_the_dense_index_is_hnsw_and_answers_like_exact(invented_docs, tmp_path, monkeypatch):
    import faiss

    build_index(invented_docs, tmp_path / "exact", HashingEncoder())
    monkeypatch.setattr(store, "APPROXIMATE_ABOVE", 0)
    build_index(invented_docs, tmp_path / "hnsw", HashingEncoder())
    exact, hnsw = _assistant(tmp_path / "exact"), _assistant(tmp_path / "hnsw")
    assert isinstance(exact.index.faiss_index, faiss.IndexFlat)
    assert isinstance(hnsw.index.faiss_index, faiss.IndexHNSW)
    assert hnsw.index.manifest["dense_index"] == "IndexHNSWFlat"
    for question in QUESTIONS:
        a, b = exact.ask(question), hnsw.ask(question)
        assert (a.found, a.answer) == (b.found, b.answer)
    # A filter runs inside the graph search (an ID selector), not over every vector.
    only_b = hnsw.ask(QUESTIONS[0], filters={"doc_ids": ["b.txt"]})
    shown = only_b.citations or only_b.related
    assert shown and {c.doc_id for c in shown} == {"b.txt"}


def test_vectors_and_bm25_arrays_are_memory_mapped(invented_docs, tmp_path):
    build_index(invented_docs, tmp_path / "index", HashingEncoder())
    index = load_index(tmp_path / "index")
    assert isinstance(index.sentence_vectors, np.memmap)
    assert any(isinstance(v, np.memmap) for v in vars(index.bm25).get("scores", {}).values())


def test_sentence_cosines_of_candidates_only_give_the_same_hits(invented_docs, tmp_path, monkeypatch):
    build_index(invented_docs, tmp_path / "index", HashingEncoder())
    assistant = _assistant(tmp_path / "index")
    full = {q: assistant.searcher.search(assistant.searcher.parse(q)) for q in QUESTIONS}
    monkeypatch.setattr(search, "SENTENCE_SCAN_LIMIT", 0)
    for question, expected in full.items():
        result = assistant.searcher.search(assistant.searcher.parse(question))
        assert [h.index for h in result.hits] == [h.index for h in expected.hits]
        # The hits are candidates, so their sentences were scored exactly.
        assert [h.sentence_cosines for h in result.hits] == pytest.approx(
            [h.sentence_cosines for h in expected.hits], abs=1e-6)


def test_word_counts_are_estimated_from_a_sample_of_a_very_large_index(monkeypatch):
    monkeypatch.setattr(coverage, "EXACT_COUNT_LIMIT", 10)
    texts = [f"专利质押第{i}笔" for i in range(95)] + ["商标侵权罕见词"] + [f"其他内容{i}" for i in range(4)]
    counted = coverage.Coverage(texts, {}, token_counts={"罕见词": 1, "质押": 95}.get)
    assert len(counted._counted) == 10  # every tenth text
    assert abs(counted.document_frequency("专利质押") - 95) <= 10  # no token: from the sample
    assert counted.document_frequency("质押") == 95  # a token: from the BM25 postings
    # Missed by the sample, known to the BM25 vocabulary: still a word the documents hold.
    assert counted.document_frequency("罕见词") == 1
    assert counted.document_frequency("北京") == 0
    exact = coverage.Coverage(texts[:10], {}, token_counts={"专利质押": 99}.get)
    assert exact.document_frequency("专利质押") == 10  # few texts: always counted exactly


def test_bm25_document_counts_read_the_postings():
    import bm25s

    retriever = bm25s.BM25()
    retriever.index([["专利", "质押"], ["专利", "商标"], ["专利"]], show_progress=False)
    count = search.bm25_document_counts(retriever)
    assert (count("专利"), count("质押"), count("北京")) == (3, 1, None)


@pytest.mark.slow
def test_scale_benchmark_smoke_run():
    """The scale benchmark's latency part end to end on a small synthetic corpus (no timing
    asserted: the figures are the benchmark's business)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    run = subprocess.run([sys.executable, "-m", "benchmarks.scale", "--quick", "--parts", "latency", "--sizes", "3000"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "## Question latency" in run.stdout
    lines = run.stdout.splitlines()
    row = next(line for line in lines if line.startswith("| 3,000 | exact |"))
    assert len(row.split("|")) == 11
    # The dense comparison: find the HNSW recall column by its header.
    header = next(line for line in lines if "HNSW recall@10" in line).split("|")
    compared = next(line for line in lines if line.startswith("| 3,000 |") and "exact" not in line
                    and line.count("|") == len(header) - 1).split("|")
    assert 0.5 <= float(compared[header.index(" HNSW recall@10 ")]) <= 1.0
