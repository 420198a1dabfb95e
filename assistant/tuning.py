"""The settings of search and answering that benchmarks vary, in one frozen, validated value.

Defaults are the calibrated ones (benchmarks/CALIBRATION.md, benchmarks/RESULTS.md).
A bad value raises `ValueError` naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

FUSION_METHODS = ("weighted", "rrf", "bm25", "dense")
GATES = ("learned", "relevance")


@dataclass(frozen=True)
class Tuning:
    fusion: str = "weighted"  # how BM25 and dense scores are combined (search.FUSIONS)
    # Share of the dense score in the fusion, and the share of a passage's dense score taken
    # from its best sentence's cosine (0 = passage only). .55 / .5 retrieves better on the
    # everyday sets but answered fewer of them and cost the blind set a question (RESULTS.md
    # comparison rows), so the default stays .45 / 0.
    weight_dense: float = 0.45
    sentence_signal: float = 0.0
    # Added to the fused score of passages under a heading naming a year the question names,
    # subtracted from those under another year's heading (search._prefer_named_period).
    period_weight: float = 0.15
    # How "not found" is decided: the learned model (gate.py, resources/not_found_model.json)
    # or the earlier hand-fitted rule relevance < min_relevance (kept for comparison and for
    # tests with a stand-in encoder, whose cosines mean nothing to the model).
    gate: str = "learned"
    answer_threshold: float | None = None  # learned gate: None = the model's calibrated thresholds
    related_threshold: float | None = None
    min_relevance: float = 0.45
    chunks_considered: int = 3  # answer sentences are drawn from this many best passages
    # Quote a runner-up sentence scoring within this of the best. .12 (was .08): policy_colloquial
    # containment .526 → .547, CMRC sample .787 → .793, own / held-out / blind unchanged.
    second_margin: float = 0.12
    neighbour_below: int = 30  # a best sentence shorter than this brings its neighbour
    # The sentence stating the asked-for kind of fact must mention at least this share
    # (IDF-weighted) of the question's words ("申请注册商标要交多少钱" is not answered by a
    # patent fee). .15 (was .1): over the 16 single-question policy sets out-of-scope refusals
    # +8, answerable questions +2 −2; conversation sets +4 −0 (a duration asked of 期限补偿 was
    # answered by "年费（…六年内的年费）"); CMRC sample of 600 containment .822 → .820.
    min_subject: float = 0.15

    def __post_init__(self):
        problems = []
        if self.fusion not in FUSION_METHODS:
            problems.append(f"fusion must be one of {', '.join(FUSION_METHODS)}, got {self.fusion!r}")
        if self.gate not in GATES:
            problems.append(f"gate must be one of {', '.join(GATES)}, got {self.gate!r}")
        for name in ("answer_threshold", "related_threshold"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                problems.append(f"{name} must be within 0..1, got {value!r}")
        if not 0.0 <= self.sentence_signal <= 1.0:
            problems.append(f"sentence_signal must be within 0..1, got {self.sentence_signal!r}")
        if not 0.0 <= self.period_weight <= 1.0:
            problems.append(f"period_weight must be within 0..1, got {self.period_weight!r}")
        if not 0.0 <= self.weight_dense <= 1.0:
            problems.append(f"weight_dense must be within 0..1, got {self.weight_dense!r}")
        if not isinstance(self.chunks_considered, int) or self.chunks_considered < 1:
            problems.append(f"chunks_considered must be a positive integer, got {self.chunks_considered!r}")
        if self.second_margin < 0:
            problems.append(f"second_margin must not be negative, got {self.second_margin!r}")
        if not isinstance(self.neighbour_below, int) or self.neighbour_below < 0:
            problems.append(f"neighbour_below must be a non-negative integer, got {self.neighbour_below!r}")
        if not 0.0 <= self.min_subject <= 1.0:
            problems.append(f"min_subject must be within 0..1, got {self.min_subject!r}")
        if problems:
            raise ValueError("; ".join(problems))

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]
