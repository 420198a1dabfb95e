"""Learn the "not found" decision from data: a logistic model over retrieval evidence.

    python -m benchmarks.calibrate          # rewrites assistant/resources/not_found_model.json
                                            # and benchmarks/CALIBRATION.md

Examples (each a question's `Evidence` from search, see assistant/gate.py):
  positives   answerable questions over the shipped documents: the own set and the even-numbered
              half of ../shared/data/policy_colloquial; CMRC questions over their own corpus
  negatives   out-of-scope questions of the same sets; made automatically: every answerable
              policy question asked against the index *without its document*, and CMRC
              questions asked against the policy documents. `--leave-out N` adds N other CMRC
              questions asked against the CMRC index *without their article*; off by default,
              since they cost the everyday sets (colloquial containment .737 → .642)
Validation (threshold choice): the held-out set and the odd-numbered half of policy_colloquial.
Reported, never used for fitting or choosing: the blind set and our blind everyday set.

The answer threshold minimises, on the validation split, the share of answerable questions
refused plus the share of out-of-scope questions answered (end to end: the gate and the
answer-kind check; equal costs, because a refused question is still shown its closest passages);
where that cost is lowest over a range of thresholds, the middle of the range is taken (either
end is where a single validation question tips it). The related threshold keeps 99% of the validation's answerable questions at or above it, so
a wrongly refused question still leads to its passages.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from benchmarks.quality import (BLIND, COLLOQUIAL, DEFAULT, EVERYDAY, HELDOUT, ROOT, Question, index_for,
                                load_everyday_questions, load_own_questions, prepare_cmrc)
from assistant.answer import extract
from assistant.encoders import load_encoder
from assistant.gate import MODEL_FILE, Evidence, Gate
from assistant.index import build_index
from assistant.service import Assistant
from assistant.store import load_index
from assistant.tuning import Tuning

RELATED_KEEPS_ANSWERABLE = 0.99
L2 = 1.0


def evidence_rows(assistant: Assistant, questions: list[Question], label: int | None = None,
                  without_source: bool = False) -> list[dict]:
    """Per question: features, label (in scope unless `label` overrides) and whether an answer
    would be given once the gate lets it through (`kind_ok`: a sentence states the asked kind of
    fact, about the fee and the place asked). With `without_source`, each question is asked
    with the article it was written from left out (CMRC leave-out negatives)."""
    rows = []
    every = frozenset(assistant.index.documents)
    for q in questions:
        query = assistant.searcher.parse(q.question)
        allowed = None
        if without_source:  # the whole article: its other paragraphs may hold the answer too
            article = assistant.index.documents[q.source].meta.title
            allowed = frozenset(d for d in every if assistant.index.documents[d].meta.title != article)
        result = assistant.searcher.search(query, top_k=5, allowed_docs=allowed)
        kind_ok = extract(query, result, assistant.index.documents, assistant.tuning).found
        rows.append({"x": result.evidence.vector(), "y": int(q.in_scope if label is None else label),
                     "kind_ok": kind_ok, "question": q.question})
    return rows


def document_of(question: Question, documents) -> str | None:
    if question.document:
        return question.document
    return next((d.doc_id for d in documents.values() if any(g in d.text for g in question.gold_passages)), None)


def without_their_document(questions: list[Question], index_dir: Path, encoder) -> list[dict]:
    """Answerable questions asked against the shipped index with their own document removed."""
    full = load_index(index_dir)
    rows = []
    for doc_id in full.documents:
        asked = [q for q in questions if q.in_scope and document_of(q, full.documents) == doc_id]
        if not asked:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            docs, index = Path(tmp) / "docs", Path(tmp) / "index"
            docs.mkdir()
            for path in (ROOT / "documents").iterdir():
                if not path.name.startswith(doc_id):
                    shutil.copy(path, docs / path.name)
            shutil.copytree(index_dir, index, symlinks=True)  # vectors are reused
            build_index(docs, index, encoder)
            assistant = Assistant(load_index(index), encoder, Tuning(gate="relevance"))
            rows += evidence_rows(assistant, asked, label=0)
    return rows


def fit(rows: list[dict], l2: float = L2, steps: int = 3000, rate: float = 0.1) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Logistic regression by gradient descent on standardised features, classes balanced."""
    x = np.array([r["x"] for r in rows], dtype=np.float64)
    y = np.array([r["y"] for r in rows], dtype=np.float64)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    weight_of = np.where(y == 1, 0.5 / max(1, y.sum()), 0.5 / max(1, (1 - y).sum()))
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        g = (p - y) * weight_of
        w -= rate * (z.T @ g + l2 * w / len(y))
        b -= rate * g.sum()
    return w, b, mean, scale


def rates(gate: Gate, rows: list[dict], threshold: float) -> tuple[float, float]:
    """(answerable refused, out of scope answered), end to end with the answer-kind check."""
    answered = [(r["y"], gate.probability(Evidence(*r["x"])) >= threshold and r["kind_ok"]) for r in rows]
    ins = [a for y, a in answered if y == 1]
    outs = [a for y, a in answered if y == 0]
    return sum(not a for a in ins) / max(1, len(ins)), sum(outs) / max(1, len(outs))


def middle_of_lowest(grid: list[float], costs: list[float]) -> float:
    """The middle of the longest run of thresholds with the lowest validation cost. The cost
    is flat over a range (a hundred validation questions move it in steps), and either end of
    that range is where one question more or less tips it: the middle is the choice least
    tied to any single question."""
    lowest = min(costs)
    runs, run = [], []
    for t, cost in zip(grid, costs):
        if cost == lowest:
            run.append(t)
        elif run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    longest = max(runs, key=len)
    return longest[(len(longest) - 1) // 2]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cmrc-sample", type=int, default=300)
    parser.add_argument("--leave-out", type=int, default=0,
                        help="CMRC questions asked without their article, as negatives (0 = none)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    encoder = load_encoder(DEFAULT.encoder)
    own_index = index_for(ROOT / "documents", "own", DEFAULT)
    policy = Assistant(load_index(own_index), encoder, Tuning(gate="relevance"))
    own = load_own_questions()
    colloquial = load_everyday_questions(COLLOQUIAL)
    coll_train, coll_valid = colloquial[0::2], colloquial[1::2]
    _, cmrc_questions = prepare_cmrc(args.cmrc_sample)
    # Leave-out negatives (--leave-out): other CMRC questions, asked with their own article
    # left out of the CMRC index, so the corpus is near the topic but does not hold the answer.
    cmrc_docs, cmrc_pool = prepare_cmrc(None)
    chosen = {q.question for q in cmrc_questions}
    cmrc_negatives = random.Random(1).sample([q for q in cmrc_pool if q.question not in chosen], args.leave_out)
    cmrc = Assistant(load_index(index_for(cmrc_docs, "cmrc", DEFAULT)), encoder, Tuning(gate="relevance"))

    print("evidence: training examples", file=sys.stderr)
    train = (evidence_rows(policy, own) + evidence_rows(policy, coll_train)
             + without_their_document(own + coll_train, own_index, encoder)
             + evidence_rows(cmrc, cmrc_questions) + evidence_rows(policy, cmrc_questions, label=0)
             + evidence_rows(cmrc, cmrc_negatives, label=0, without_source=True))
    print("evidence: validation and report sets", file=sys.stderr)
    valid = evidence_rows(policy, load_own_questions(HELDOUT)) + evidence_rows(policy, coll_valid)
    report_sets = {"own (train)": evidence_rows(policy, own), "colloquial even (train)": evidence_rows(policy, coll_train),
                   "heldout (valid)": evidence_rows(policy, load_own_questions(HELDOUT)),
                   "colloquial odd (valid)": evidence_rows(policy, coll_valid),
                   "blind (report only)": evidence_rows(policy, load_own_questions(BLIND)),
                   "everyday (report only)": evidence_rows(policy, load_everyday_questions(EVERYDAY))}

    w, b, mean, scale = fit(train)
    provisional = Gate(tuple(w), float(b), tuple(mean), tuple(scale), 1.0, 0.0)
    grid = [t / 100 for t in range(1, 100)]
    answer_threshold = middle_of_lowest(grid, [round(sum(rates(provisional, valid, t)), 6) for t in grid])
    probabilities = sorted(provisional.probability(Evidence(*r["x"])) for r in valid if r["y"] == 1)
    related_threshold = min(answer_threshold, probabilities[int((1 - RELATED_KEEPS_ANSWERABLE) * len(probabilities))])
    gate = replace(provisional, answer_threshold=answer_threshold, related_threshold=round(related_threshold, 4))
    MODEL_FILE.write_text(json.dumps(gate.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    lines = ["# Calibrating \"not found\"", "",
             f"Generated by `python -m benchmarks.calibrate --cmrc-sample {args.cmrc_sample}` on {time.strftime('%Y-%m-%d')} "
             f"in {time.perf_counter() - started:.0f} s; the model is `assistant/resources/not_found_model.json`.", "",
             __doc__.split("\n\n", 2)[2].strip(), "",
             f"Training examples: {len(train)} ({sum(r['y'] for r in train)} positive); validation: {len(valid)}.", "",
             "| feature | weight (standardised) |", "|---|---|"]
    lines += [f"| {name} | {weight:+.3f} |" for name, weight in zip(Evidence.names(), w)]
    lines += ["", f"Chosen: answer threshold {answer_threshold:.2f}, related threshold {related_threshold:.3f}.", "",
              "Trade-off, end to end (gate and answer-kind check): share of answerable questions refused / share of "
              "out-of-scope questions answered, per set and threshold.", "",
              "| threshold | " + " | ".join(report_sets) + " |", "|---|" + "---|" * len(report_sets)]
    for t in sorted({0.2, 0.3, 0.4, 0.5, answer_threshold, 0.6, 0.7, 0.8}):
        cells = []
        for rows in report_sets.values():
            refused, answered = rates(gate, rows, t)
            has_out = any(r["y"] == 0 for r in rows)
            cells.append(f"{refused:.3f} / {answered:.3f}" if has_out else f"{refused:.3f} / –")
        mark = " (chosen)" if t == answer_threshold else ""
        lines.append(f"| {t:.2f}{mark} | " + " | ".join(cells) + " |")
    report = "\n".join(lines) + "\n"
    (Path(__file__).resolve().parent / "CALIBRATION.md").write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
