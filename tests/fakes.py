"""Test stand-ins for the encoder: deterministic, seeded from a hash of the text, no model."""

import hashlib
from typing import Sequence

import numpy as np

from assistant.encoders import _normalise_rows


class HashingEncoder:
    """Deterministic stand-in for tests: character-bigram hashing, seeded by the text.

    Similar texts get similar vectors (shared bigrams), so retrieval tests stay
    meaningful without loading a model.
    """

    def __init__(self, dim: int = 64):
        self.dim = dim
        self.encoder_id = f"hashing-bigram-{dim}"

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        grams = [text[i:i + 2] for i in range(max(1, len(text) - 1))]
        for gram in grams:
            digest = hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest()
            vector[int.from_bytes(digest[:4], "little") % self.dim] += 1.0 if digest[4] & 1 else -1.0
        return vector

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise_rows(np.stack([self._vector(t) for t in texts]))

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode_passages([text])[0]
