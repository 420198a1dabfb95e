"""The learned "not found" gate: its model file, validation and behaviour (no encoder)."""

from dataclasses import replace

import pytest

from assistant.gate import Evidence, Gate, load_gate

TYPICAL = Evidence(coverage=0.5, sentence_cosine=0.91, chunk_cosine=0.89, cosine_z=2.0, bm25_top=2.0,
                   fused_margin=0.1, agreement=0.4, log_length=3.0, unknown_share=0.0, sentence_z=3.0)


def test_shipped_model_loads_with_ordered_thresholds():
    gate = load_gate()
    assert 0.0 <= gate.related_threshold <= gate.answer_threshold <= 1.0
    assert 0.0 < gate.probability(TYPICAL) < 1.0


def test_more_evidence_raises_the_probability_and_unknown_words_lower_it():
    gate = load_gate()
    base = gate.probability(TYPICAL)
    assert gate.probability(replace(TYPICAL, coverage=0.9, sentence_cosine=0.95)) > base
    assert gate.probability(replace(TYPICAL, coverage=0.1, sentence_cosine=0.86)) < base
    assert gate.probability(replace(TYPICAL, unknown_share=0.8)) < base
    # One sentence standing out from the question's cosines with every sentence.
    assert gate.probability(replace(TYPICAL, sentence_z=5.0)) > base > gate.probability(replace(TYPICAL, sentence_z=1.0))


def test_gate_rejects_a_model_of_another_shape_or_disordered_thresholds():
    gate = load_gate()
    with pytest.raises(ValueError, match="weights"):
        Gate(gate.weights[:-1], gate.bias, gate.mean, gate.scale, 0.5, 0.2)
    with pytest.raises(ValueError, match="thresholds"):
        replace(gate, answer_threshold=0.2, related_threshold=0.5)
    data = gate.to_dict()
    data["features"] = data["features"][::-1]
    with pytest.raises(ValueError, match="features"):
        Gate.from_dict(data)


def test_the_threshold_is_the_middle_of_the_lowest_cost_range():
    from benchmarks.calibrate import middle_of_lowest

    grid = [0.30, 0.31, 0.32, 0.33, 0.34, 0.35, 0.36]
    assert middle_of_lowest(grid, [0.3, 0.2, 0.2, 0.2, 0.2, 0.2, 0.3]) == 0.33
    # The longest run wins over an isolated equal dip.
    assert middle_of_lowest(grid, [0.2, 0.3, 0.2, 0.2, 0.2, 0.3, 0.3]) == 0.33
