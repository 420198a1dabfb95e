"""The "not found" decision, learned from data: a logistic model over retrieval evidence.

`Evidence` is what search measured about a question (lexical coverage, cosines and how far
the best one stands out from that question's cosines over the corpus, best BM25, the
fused-score margin, agreement of the BM25 and dense rankings, question length). The
coefficients and the two thresholds live in resources/not_found_model.json, written by
`python -m benchmarks.calibrate` (trade-offs in benchmarks/CALIBRATION.md):

    probability ≥ answer_threshold   → answer (if a sentence states what is asked)
    probability ≥ related_threshold  → "not sure": offer the closest passages as related
    below                            → nothing relevant
"""

from __future__ import annotations

import json
import math
from dataclasses import astuple, dataclass, fields
from functools import lru_cache
from pathlib import Path

MODEL_FILE = Path(__file__).resolve().parent / "resources" / "not_found_model.json"


@dataclass(frozen=True)
class Evidence:
    coverage: float  # IDF-weighted share of the question's words in the two best passages
    sentence_cosine: float  # best sentence cosine anywhere
    chunk_cosine: float  # best passage cosine
    cosine_z: float  # how far the best passage cosine stands above this question's candidates
    bm25_top: float  # log(1 + best BM25 score)
    fused_margin: float  # fused score of the best passage minus the second
    agreement: float  # share of the 5 best BM25 passages also among the 5 best dense ones
    log_length: float  # log(1 + question length in characters)
    unknown_share: float  # share of the question's content words (and their synonyms) found in no passage at all
    # How far the best sentence cosine stands above this question's cosines with every
    # (scored) sentence: an everyday question that one sentence answers makes it stand out.
    sentence_z: float = 0.0
    # The best coverage of the question's words by one of the three best passages alone: a
    # near miss often finds its words spread over passages about different things.
    passage_coverage: float = 0.0

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def vector(self) -> list[float]:
        return list(astuple(self))


@dataclass(frozen=True)
class Gate:
    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]  # standardisation fitted with the weights
    scale: tuple[float, ...]
    answer_threshold: float
    related_threshold: float

    def __post_init__(self):
        n = len(Evidence.names())
        if not (len(self.weights) == len(self.mean) == len(self.scale) == n):
            raise ValueError(f"gate model needs {n} weights, means and scales, got "
                             f"{len(self.weights)}, {len(self.mean)}, {len(self.scale)}")
        if not 0.0 <= self.related_threshold <= self.answer_threshold <= 1.0:
            raise ValueError(f"gate thresholds must satisfy 0 ≤ related ({self.related_threshold}) "
                             f"≤ answer ({self.answer_threshold}) ≤ 1")

    def probability(self, evidence: Evidence) -> float:
        z = self.bias + sum(w * (x - m) / s for w, x, m, s in
                            zip(self.weights, evidence.vector(), self.mean, self.scale))
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def to_dict(self) -> dict:
        return {"features": Evidence.names(), "weights": list(self.weights), "bias": self.bias,
                "mean": list(self.mean), "scale": list(self.scale),
                "answer_threshold": self.answer_threshold, "related_threshold": self.related_threshold}

    @classmethod
    def from_dict(cls, data: dict) -> "Gate":
        if data.get("features") != Evidence.names():
            raise ValueError(f"gate model features {data.get('features')} do not match {Evidence.names()}")
        return cls(tuple(data["weights"]), float(data["bias"]), tuple(data["mean"]), tuple(data["scale"]),
                   float(data["answer_threshold"]), float(data["related_threshold"]))


@lru_cache(maxsize=4)
def load_gate(path: Path = MODEL_FILE) -> Gate:
    return Gate.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
