"""Calibrate the "not found" rule on in-scope and out-of-scope questions.

A question is answered when its relevance evidence
    coverage + a·(best sentence cosine − 0.9) + b·(best chunk cosine − 0.9)
reaches a threshold and the kind of fact it asks for (an amount, a duration, a date…)
appears among the best sentences (assistant/search.py, assistant/answer.py). This
prints the trade-off over a grid of a, b and the threshold: the share of in-scope
questions wrongly refused and of out-of-scope questions wrongly answered on the own
set, and in-scope refusals on a CMRC sample.

    python -m benchmarks.calibrate [--cmrc-sample 400]
"""

from __future__ import annotations

import argparse
import sys

from benchmarks.quality import CACHE, DEFAULT, ROOT, index_for, load_own_questions, prepare_cmrc
from assistant.answer import KIND_CHECK_TOP, answer_kind
from assistant.encoders import load_encoder
from assistant.index import load_index
from assistant.service import Assistant


def evidence(assistant: Assistant, questions) -> list[tuple]:
    """(in scope, coverage, best sentence cosine, best chunk cosine, kind found) per question."""
    out = []
    for q in questions:
        result = assistant.searcher.search(q.question, top_k=5)
        candidates = sorted(assistant.builder.candidates(q.question, result), key=lambda c: -c.score)
        kind = answer_kind(q.question)
        kind_ok = not kind or any(kind[2].search(c.text) for c in candidates[:KIND_CHECK_TOP])
        out.append((q.in_scope, result.coverage, result.top_sentence_cosine, result.top_cosine, kind_ok))
    return out


def rates(rows, a: float, b: float, threshold: float) -> tuple[float, float]:
    answered = [(inside, kind_ok and cov + a * (sent - 0.9) + b * (chunk - 0.9) >= threshold)
                for inside, cov, sent, chunk, kind_ok in rows]
    ins = [ok for inside, ok in answered if inside]
    outs = [ok for inside, ok in answered if not inside]
    return sum(not ok for ok in ins) / max(1, len(ins)), sum(outs) / max(1, len(outs))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cmrc-sample", type=int, default=400)
    args = parser.parse_args(argv)
    encoder = load_encoder(DEFAULT.encoder)
    own = Assistant(load_index(index_for(ROOT / "documents", "own", DEFAULT)), encoder)
    own_rows = evidence(own, load_own_questions())
    docs, cmrc_questions = prepare_cmrc(args.cmrc_sample)
    cmrc = Assistant(load_index(index_for(docs, "cmrc", DEFAULT)), encoder)
    cmrc_rows = evidence(cmrc, cmrc_questions)
    results = []
    for a in (0.0, 1.0, 2.0, 3.0, 5.0):
        for b in (0.0, 1.0, 2.0):
            for threshold in [x / 40 for x in range(0, 41)]:
                refused_in, answered_out = rates(own_rows, a, b, threshold)
                cmrc_refused, _ = rates(cmrc_rows, a, b, threshold)
                results.append((refused_in, answered_out, cmrc_refused, a, b, threshold))
    print("| a (sentence) | b (chunk) | threshold | own: in-scope refused | own: out-of-scope answered | CMRC: in-scope refused |")
    print("|---|---|---|---|---|---|")
    shown = set()
    for refused_in, answered_out, cmrc_refused, a, b, threshold in sorted(results, key=lambda r: (r[3], r[4], r[5])):
        if (a, b) in ((0.0, 0.0), (3.0, 2.0)) and threshold in (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7):
            print(f"| {a} | {b} | {threshold} | {refused_in:.3f} | {answered_out:.3f} | {cmrc_refused:.3f} |")
            shown.add((a, b))
    feasible = [r for r in results if r[0] <= 0.05 and r[2] <= 0.05]
    if feasible:
        best = min(feasible, key=lambda r: (r[1], r[0] + r[2]))
        print(f"\nbest with both in-scope refusal rates <= 0.05: a={best[3]}, b={best[4]}, threshold={best[5]} "
              f"-> in-scope refused {best[0]:.3f}, out-of-scope answered {best[1]:.3f}, CMRC refused {best[2]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
