#!/usr/bin/env python3
"""Check benchmarks/questions_everyday.jsonl against the documents (stdlib only).

Checks:
  * every line is a JSON object with the expected fields and types;
  * answerable questions: `doc` names a file in documents/, `gold_sentence` occurs verbatim in
    it and is a whole sentence (text split at 。！？ and line ends), every `answer_contains`
    string occurs verbatim in the document and in the gold sentence;
  * out-of-scope questions: `doc`, `gold_sentence` are null and `answer_contains` is empty;
  * ids are unique, no question text is repeated, no gold sentence is used more than twice.

Reports counts by style and answerable/out-of-scope, by document (the Tianjin file split into
its 2021 summary and 2022 work points), and the lexical distance: for each answerable question
the share of its distinct CJK character bigrams that also occur in its gold sentence.

Usage: python benchmarks/check_everyday_set.py [--questions PATH] [--docs DIR]
Exit status 1 when any check fails.
"""
import argparse
import collections
import json
import os
import re
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_Q = os.path.join(HERE, "questions_everyday.jsonl")
DEFAULT_DOCS = os.path.join(os.path.dirname(HERE), "documents")
STYLES = ("colloquial", "paraphrase", "keyword", "long", "faq")
TIANJIN = "tianjin_ipo_2021_summary_2022_work_points.txt"
# the 2022 part starts at this heading on a line of its own (the cover notice names it too)
TIANJIN_2022_HEADING = re.compile(r"^市知识产权局2022年工作要点$", re.M)
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def split_sentences(text):
    out = []
    for line in text.splitlines():
        for s in re.findall(r"[^。！？]*[。！？]?", line):
            s = s.strip()
            if s:
                out.append(s)
    return out


def bigrams(text):
    grams = set()
    for run in CJK.findall(text):
        for i in range(len(run) - 1):
            grams.add(run[i:i + 2])
    return grams


def overlap(question, gold):
    q = bigrams(question)
    if not q:
        return 0.0
    return len(q & bigrams(gold)) / len(q)


def pct(values, p):
    """Percentile with linear interpolation (p in 0..100)."""
    xs = sorted(values)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", default=DEFAULT_Q)
    ap.add_argument("--docs", default=DEFAULT_DOCS)
    args = ap.parse_args()

    docs = {}
    for name in sorted(os.listdir(args.docs)):
        if name.endswith(".txt"):
            with open(os.path.join(args.docs, name), encoding="utf-8") as f:
                docs[name] = f.read()
    sentences = {name: set(split_sentences(text)) for name, text in docs.items()}
    m = TIANJIN_2022_HEADING.search(docs.get(TIANJIN, ""))
    tj_split = m.start() if m else -1

    errors = []
    rows = []
    with open(args.questions, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                errors.append(f"line {lineno}: bad JSON: {e}")

    fields = {"id", "question", "doc", "answer_contains", "gold_sentence", "style", "expect_found"}
    ids = collections.Counter(r.get("id") for r in rows)
    texts = collections.Counter(r.get("question") for r in rows)
    gold_use = collections.Counter()
    for r in rows:
        rid = r.get("id")
        if set(r) != fields:
            errors.append(f"{rid}: fields {sorted(r)} != {sorted(fields)}")
            continue
        if r["style"] not in STYLES:
            errors.append(f"{rid}: unknown style {r['style']!r}")
        if not isinstance(r["question"], str) or not r["question"].strip():
            errors.append(f"{rid}: empty question")
        if r["expect_found"] is True:
            doc = r["doc"]
            if doc not in docs:
                errors.append(f"{rid}: unknown doc {doc!r}")
                continue
            text = docs[doc]
            gold = r["gold_sentence"]
            if not isinstance(gold, str) or gold not in text:
                errors.append(f"{rid}: gold_sentence not verbatim in {doc}")
            elif gold not in sentences[doc]:
                errors.append(f"{rid}: gold_sentence is not a whole sentence of {doc}")
            gold_use[(doc, gold)] += 1
            ac = r["answer_contains"]
            if not isinstance(ac, list) or not ac:
                errors.append(f"{rid}: answer_contains must be a non-empty list")
                continue
            for s in ac:
                if s not in text:
                    errors.append(f"{rid}: answer_contains {s!r} not verbatim in {doc}")
                elif isinstance(gold, str) and s not in gold:
                    errors.append(f"{rid}: answer_contains {s!r} not in its gold sentence")
        elif r["expect_found"] is False:
            if r["doc"] is not None or r["gold_sentence"] is not None or r["answer_contains"]:
                errors.append(f"{rid}: out-of-scope question must have doc/gold null and empty answer_contains")
        else:
            errors.append(f"{rid}: expect_found must be true or false")
    for rid, n in ids.items():
        if n > 1:
            errors.append(f"duplicate id {rid}")
    for q, n in texts.items():
        if n > 1:
            errors.append(f"duplicate question {q!r}")
    for (doc, gold), n in gold_use.items():
        if n > 2:
            errors.append(f"gold sentence used {n} times in {doc}: {gold[:40]}…")

    ans = [r for r in rows if r.get("expect_found") is True]
    oos = [r for r in rows if r.get("expect_found") is False]

    print(f"questions: {len(rows)}  answerable: {len(ans)}  out of scope: {len(oos)}")
    print()
    print("| style | answerable | out of scope |")
    print("|---|---|---|")
    for st in STYLES:
        a = sum(1 for r in ans if r["style"] == st)
        o = sum(1 for r in oos if r["style"] == st)
        print(f"| {st} | {a} | {o} |")
    print(f"| total | {len(ans)} | {len(oos)} |")
    print()

    def part(r):
        if r["doc"] != TIANJIN:
            return f"`{r['doc']}`"
        pos = docs[TIANJIN].find(r["gold_sentence"])
        label = "2022 work points" if tj_split >= 0 and pos > tj_split else "2021 summary and cover notice"
        return f"`{TIANJIN}` — {label}"

    by_part = collections.defaultdict(list)
    for r in ans:
        by_part[part(r)].append(r)
    print("| document (part) | questions | distinct gold sentences |")
    print("|---|---|---|")
    for k in sorted(by_part):
        v = by_part[k]
        print(f"| {k} | {len(v)} | {len(set(r['gold_sentence'] for r in v))} |")
    uses = collections.Counter(gold_use.values())
    print()
    print(f"distinct gold sentences: {len(gold_use)} (used once: {uses.get(1, 0)}, twice: {uses.get(2, 0)})")
    lens = [len(r["question"]) for r in rows]
    if lens:
        print(f"question length (characters): min {min(lens)}, median {statistics.median(lens):g}, max {max(lens)}")
    print()

    ov = {r["id"]: overlap(r["question"], r["gold_sentence"]) for r in ans if isinstance(r.get("gold_sentence"), str)}
    vals = list(ov.values())
    if vals:
        print("Lexical distance: share of the question's distinct CJK bigrams also in its gold sentence")
        print()
        print("| min | p25 | median | p75 | p90 | max | mean |")
        print("|---|---|---|---|---|---|---|")
        print("| " + " | ".join(f"{x:.2f}" for x in (min(vals), pct(vals, 25), pct(vals, 50), pct(vals, 75),
                                                       pct(vals, 90), max(vals), statistics.mean(vals))) + " |")
        print()
        edges = [0.0, 0.1, 0.2, 0.3, 0.4]
        buckets = []
        for lo, hi in zip(edges, edges[1:]):
            buckets.append(f"{lo:.1f}–{hi:.1f}: {sum(1 for v in vals if lo <= v < hi)}")
        buckets.append(f"≥ 0.4: {sum(1 for v in vals if v >= 0.4)}")
        print("buckets: " + ", ".join(buckets) + f" ({sum(1 for v in vals if v == 0)} share no bigram)")
        print()
        print("| style | n | min | median | mean | max |")
        print("|---|---|---|---|---|---|")
        for st in STYLES:
            sv = [ov[r["id"]] for r in ans if r["style"] == st and r["id"] in ov]
            if sv:
                print(f"| {st} | {len(sv)} | {min(sv):.2f} | {statistics.median(sv):.2f} | "
                      f"{statistics.mean(sv):.2f} | {max(sv):.2f} |")
        print()
        top = sorted(ov.items(), key=lambda kv: -kv[1])[:5]
        print("highest overlap: " + ", ".join(f"{k} {v:.2f}" for k, v in top))
        print()

    if errors:
        print(f"FAIL: {len(errors)} problem(s)")
        for e in errors:
            print("  - " + e)
        return 1
    print("OK: all gold sentences and answer_contains strings occur verbatim in their documents")
    return 0


if __name__ == "__main__":
    sys.exit(main())
