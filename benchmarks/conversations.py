"""Follow-up questions: the last turn of each conversation in benchmarks/conversations.jsonl
(and the held-out benchmarks/conversations_heldout.jsonl and the blind conversations_blind2.jsonl),
answered three ways — alone, with the previous question glued in front (naive), and with
the history as the chat passes it (ours) — scored by conversation type.

    python -m benchmarks.conversations [--verbose]    # rewrites benchmarks/CONVERSATIONS.md + conversations_results.json

A last turn counts when it is answerable and the answer (markers removed, NFKC, no spaces)
contains one of its `answer_contains`, or when it is out of scope and not answered.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from collections import defaultdict
from pathlib import Path

from benchmarks.quality import DEFAULT, ROOT, index_for
from assistant.encoders import load_encoder
from assistant.service import Assistant
from assistant.store import load_index

BENCH = Path(__file__).resolve().parent
CONVERSATIONS = BENCH / "conversations.jsonl"
# Written by a helper in the fourth session from the documents alone, after the follow-up rules
# were tuned on conversations.jsonl and before this set was first run; never read for tuning.
HELDOUT = BENCH / "conversations_heldout.jsonl"
# Written by a helper in the sixth session from the documents alone, before any follow-up change
# of that session was measured on it; only its tables are read, never its failures.
BLIND2 = BENCH / "conversations_blind2.jsonl"
# Written by a helper at the start of the seventh session from the documents alone (54, every type
# nine times); only its tables are read, never its failures.
BLIND3 = BENCH / "conversations_blind3.jsonl"
# Written by a helper at the start of the eighth session from the documents alone (48, every type
# eight times); only its tables are read, never its failures.
BLIND4 = BENCH / "conversations_blind4.jsonl"
# Written by a helper at the start of the ninth session from the documents alone (48, every type
# eight times); only its tables are read, never its failures.
BLIND5 = BENCH / "conversations_blind5.jsonl"
# Written by a helper at the start of the tenth session from the documents alone (48, every type
# eight times); only its tables are read, never its failures.
BLIND6 = BENCH / "conversations_blind6.jsonl"
# Written by a helper at the start of the eleventh session from the documents alone (48, every type
# eight times); only its tables are read, never its failures.
BLIND7 = BENCH / "conversations_blind7.jsonl"
# Written by a helper at the start of the twelfth session from the documents alone (48, every type
# eight times); only its tables are read, never its failures.
BLIND8 = BENCH / "conversations_blind8.jsonl"
# Written by a helper at the end of the twelfth session from the documents alone (48, every type
# eight times, half with three turns), before any change of the thirteenth; only its tables are read.
BLIND9 = BENCH / "conversations_blind9.jsonl"
# Written by a helper at the end of the thirteenth session from the documents alone (54, every type
# nine times, a third with three turns), before any change of the fourteenth; only its tables are read.
BLIND10 = BENCH / "conversations_blind10.jsonl"
# Written by a helper at the end of the fourteenth session from the documents alone (54, every type
# nine times, a third with three turns), before any change of the fifteenth; only its tables are read.
BLIND11 = BENCH / "conversations_blind11.jsonl"
# Written by a helper at the start of the fifteenth session from the documents alone (54, every type
# nine times, a third with three turns), before any change of that session; only its tables are read.
BLIND12 = BENCH / "conversations_blind12.jsonl"
# Written by a helper at the start of the sixteenth session from the documents alone (54, every type
# nine times, a third with three turns), before any change of that session; only its tables are read.
BLIND13 = BENCH / "conversations_blind13.jsonl"
# Written by a helper at the start of the seventeenth session from the documents alone (62, ten or
# eleven of each type, 15 with three turns), before any change of that session; only its tables are read.
BLIND14 = BENCH / "conversations_blind14.jsonl"
# Written by a helper at the start of the eighteenth session from the documents alone (60, ten of
# each type, 17 with three turns), before any change of that session; only its tables are read.
BLIND15 = BENCH / "conversations_blind15.jsonl"
# Written by a helper at the start of the nineteenth session from the documents alone (60, ten of
# each type, 22 with three turns, everyday wording), before any change of that session; only its tables are read.
BLIND16 = BENCH / "conversations_blind16.jsonl"
# Written by a helper at the start of the twentieth session from the documents alone (60, ten of
# each type, 29 with three turns, everyday wording), before any change of that session; only its tables are read.
BLIND17 = BENCH / "conversations_blind17.jsonl"
# Written by a helper at the start of the twenty-first session from the documents alone (60, ten of
# each type, 30 with three turns, everyday wording), before any change of that session; only its tables are read.
BLIND18 = BENCH / "conversations_blind18.jsonl"
# Written by a helper at the start of the twenty-second session from the documents alone (60, ten of
# each type, 29 with three turns, everyday wording from thirteen kinds of asker), before any change of that session.
BLIND19 = BENCH / "conversations_blind19.jsonl"
# Written by a helper at the start of the twenty-third session from the documents alone (60, ten of
# each type, 30 with three turns, everyday wording from twelve kinds of asker), before any change of that session.
BLIND20 = BENCH / "conversations_blind20.jsonl"
# Written by a helper at the start of the twenty-fourth session from the documents alone (60, ten of
# each type, 28 with three turns, everyday wording from sixty kinds of asker), before any change of that session.
BLIND21 = BENCH / "conversations_blind21.jsonl"
# Written by a helper at the start of the twenty-fifth session from the documents alone (60, ten of
# each type, 27 with three turns, everyday wording from sixty new kinds of asker), before any change of that session.
BLIND22 = BENCH / "conversations_blind22.jsonl"
# Written by a helper at the start of the twenty-sixth session from the documents alone (60, ten of
# each type, 29 with three turns, everyday wording from sixty new kinds of asker), before any change of that session.
BLIND23 = BENCH / "conversations_blind23.jsonl"
# Written by a helper at the start of the twenty-seventh session from the documents alone (60, ten of
# each type, 32 with three turns, everyday wording from sixty new kinds of asker), before any change of that session.
BLIND24 = BENCH / "conversations_blind24.jsonl"
# Written by a helper late in the tenth session from the documents alone (48, every type eight
# times); its failures were read in the eleventh session, so it is a development set.
DEV7 = BENCH / "conversations_dev7.jsonl"
# Written by a helper late in the eighth session from the documents alone (40, no new topics);
# its failures were read while fixing follow-ups, so it is a development set.
DEV5 = BENCH / "conversations_dev5.jsonl"
# Written by a helper at the start of the thirteenth session from the documents alone (73, with 16
# narrowing and 12 sibling follow-ups, the types the blind sets lost most on); a development set.
DEV10 = BENCH / "conversations_dev10.jsonl"
# Written by a helper at the start of the fifteenth session from the documents alone (72, with 16
# narrowing, 12 sibling and 12 out-of-scope follow-ups, in everyday wording); a development set.
DEV12 = BENCH / "conversations_dev12.jsonl"
# Written by a helper at the start of the sixteenth session from the documents alone (72, with 24
# out-of-scope follow-ups reusing the documents' words); its failures were read, a development set.
DEV13 = BENCH / "conversations_dev13.jsonl"
# Written by a helper at the start of the seventeenth session from the documents alone (71, weighted to
# dependent follow-ups in many everyday forms); its failures were read, a development set.
DEV14 = BENCH / "conversations_dev14.jsonl"
# Written by a helper at the start of the eighteenth session from the documents alone (72, 24 of them
# out-of-scope follow-ups a keyword search would match); its failures were read, a development set.
DEV15 = BENCH / "conversations_dev15.jsonl"
# Written by a helper at the start of the nineteenth session from the documents alone (72, 16 of them
# out-of-scope follow-ups, 31 with three turns, everyday words); its failures were read, a development set.
DEV16 = BENCH / "conversations_dev16.jsonl"
# Written by a helper at the start of the twentieth session from the documents alone (72, twelve of
# each type, 35 with three turns, everyday words and fillers); its failures were read, a development set.
DEV17 = BENCH / "conversations_dev17.jsonl"
# Written by a helper at the start of the twenty-first session from the documents alone (72, twelve of
# each type, 41 with three turns, phone-typed everyday words, fillers and slips); its failures are read, a development set.
DEV18 = BENCH / "conversations_dev18.jsonl"
# Written by a helper at the start of the twenty-second session from the documents alone (72, twelve of
# each type, 35 with three turns, phone-typed everyday words, fillers and slips); its failures are read, a development set.
DEV19 = BENCH / "conversations_dev19.jsonl"
# Written by a helper at the start of the twenty-third session from the documents alone (72, twelve of
# each type, 36 with three turns, phone-typed everyday words, fillers and slips); its failures are read, a development set.
DEV20 = BENCH / "conversations_dev20.jsonl"
# Written by a helper at the start of the twenty-fourth session from the documents alone (72, twelve of
# each type, 36 with three turns, phone-typed everyday words, fillers and slips); its failures are read, a development set.
DEV21 = BENCH / "conversations_dev21.jsonl"
# Written by a helper at the start of the twenty-fifth session from the documents alone (72, twelve of
# each type, 42 with three turns, everyday words, fillers and five slips); its failures are read, a development set.
DEV22 = BENCH / "conversations_dev22.jsonl"
# Written by a helper at the start of the twenty-sixth session from the documents alone (72, twelve of
# each type, 42 with three turns, everyday words and five slips); its failures are read, a development set.
DEV23 = BENCH / "conversations_dev23.jsonl"
# Written by a helper at the start of the twenty-seventh session from the documents alone (72, twelve of
# each type, 39 with three turns, everyday words and five slips); its failures are read, a development set.
DEV24 = BENCH / "conversations_dev24.jsonl"
SETS = {
    "conversations.jsonl": (CONVERSATIONS, "written blind before the conversation code; its failures were read "
                                           "while tuning the follow-up rules (sessions three and four), so no longer blind"),
    "conversations_heldout.jsonl": (HELDOUT, "held out: written after that tuning, from the documents alone, never "
                                             "read for tuning"),
    "conversations_blind2.jsonl": (BLIND2, "blind: written in the sixth session from the documents alone (a helper "
                                           "that read no code and no other set); its failures are not read"),
    "conversations_blind3.jsonl": (BLIND3, "blind: written at the start of the seventh session from the documents "
                                           "alone (a helper that read no code and no other set); its failures are not read"),
    "conversations_blind4.jsonl": (BLIND4, "blind: written at the start of the eighth session from the documents "
                                           "alone (a helper that read no code and no other set); its failures are not read"),
    "conversations_blind5.jsonl": (BLIND5, "blind: written at the start of the ninth session from the documents "
                                           "alone (a helper that read no code and no other set); its failures are not read"),
    "conversations_blind6.jsonl": (BLIND6, "blind: written at the start of the tenth session from the documents "
                                           "alone (a helper that read no code and no other set); its failures are not read"),
    "conversations_blind7.jsonl": (BLIND7, "blind: written at the start of the eleventh session from the documents "
                                           "alone (a helper that read no code and no other set); its failures are not read"),
    "conversations_blind8.jsonl": (BLIND8, "blind: written at the start of the twelfth session from the documents "
                                           "alone (a helper that read no code and no other set); its failures are not read"),
    "conversations_blind9.jsonl": (BLIND9, "blind: written at the end of the twelfth session from the documents "
                                           "alone (a helper that read no code and no other set); its failures are not read"),
    "conversations_blind10.jsonl": (BLIND10, "blind: written at the end of the thirteenth session from the documents "
                                             "alone (a helper that read no code and no other set); its failures are not read"),
    "conversations_blind11.jsonl": (BLIND11, "blind: written at the end of the fourteenth session from the documents "
                                             "alone (a helper that read no code and no other set); its failures are not read"),
    "conversations_blind12.jsonl": (BLIND12, "blind: written at the start of the fifteenth session from the documents "
                                             "alone (a helper that read no code and no other set); its failures are not read"),
    "conversations_blind13.jsonl": (BLIND13, "blind: written at the start of the sixteenth session from the documents "
                                             "alone (a helper that read no code and no other set); its failures are not read"),
    "conversations_blind14.jsonl": (BLIND14, "blind: written at the start of the seventeenth session from the documents "
                                             "alone (a helper that read no code and no other set); its failures are not read"),
    "conversations_blind15.jsonl": (BLIND15, "blind: written at the start of the eighteenth session from the documents "
                                             "alone (a helper that read no code and no other set); its failures are not read"),
    "conversations_blind16.jsonl": (BLIND16, "blind: written at the start of the nineteenth session from the documents "
                                             "alone (a helper that read no code and no other set); its failures are not read"),
    "conversations_blind17.jsonl": (BLIND17, "blind: written at the start of the twentieth session from the documents "
                                             "alone (a helper that read no code and no other set); its failures are not read"),
    "conversations_blind18.jsonl": (BLIND18, "blind: written at the start of the twenty-first session from the documents "
                                             "alone (a helper that read no code and no other set); its failures are not read"),
    "conversations_blind19.jsonl": (BLIND19, "blind: written at the start of the twenty-second session from the documents "
                                             "alone (a helper that read no code and no other set); its failures are not read"),
    "conversations_blind20.jsonl": (BLIND20, "blind: written at the start of the twenty-third session from the documents "
                                             "alone (a helper that read no code and no other set); its failures are not read"),
    "conversations_blind21.jsonl": (BLIND21, "blind: written at the start of the twenty-fourth session from the documents "
                                             "alone (a helper that read no code and no other set); its failures are not read"),
    "conversations_blind22.jsonl": (BLIND22, "blind: written at the start of the twenty-fifth session from the documents "
                                             "alone (a helper that read no code and no other set); its failures are not read"),
    "conversations_blind23.jsonl": (BLIND23, "blind: written at the start of the twenty-sixth session from the documents "
                                             "alone (a helper that read no code and no other set); its failures are not read"),
    "conversations_blind24.jsonl": (BLIND24, "blind: written at the start of the twenty-seventh session from the documents "
                                             "alone (a helper that read no code and no other set); its failures are not read"),
    "conversations_dev5.jsonl": (DEV5, "a development set: written late in the eighth session from the documents "
                                       "alone, its failures read while fixing follow-ups (no new-topic conversations)"),
    "conversations_dev7.jsonl": (DEV7, "a development set: written late in the tenth session from the documents alone, "
                                       "its failures read in the eleventh session while fixing follow-ups"),
    "conversations_dev10.jsonl": (DEV10, "a development set: written at the start of the thirteenth session from the "
                                         "documents alone, its failures read in that session while fixing follow-ups"),
    "conversations_dev12.jsonl": (DEV12, "a development set: written at the start of the fifteenth session from the "
                                         "documents alone in everyday wording, its failures read in that session"),
    "conversations_dev13.jsonl": (DEV13, "a development set: written at the start of the sixteenth session from the "
                                         "documents alone, 24 of its 72 out-of-scope, its failures read in that session"),
    "conversations_dev14.jsonl": (DEV14, "a development set: written at the start of the seventeenth session from the "
                                         "documents alone, dependent follow-ups in many everyday forms, its failures read"),
    "conversations_dev15.jsonl": (DEV15, "a development set: written at the start of the eighteenth session from the "
                                         "documents alone, 24 of its 72 out-of-scope follow-ups, its failures read"),
    "conversations_dev16.jsonl": (DEV16, "a development set: written at the start of the nineteenth session from the "
                                         "documents alone, everyday words, 31 of its 72 with three turns, its failures read"),
    "conversations_dev17.jsonl": (DEV17, "a development set: written at the start of the twentieth session from the "
                                         "documents alone, everyday words, 35 of its 72 with three turns, its failures read"),
    "conversations_dev18.jsonl": (DEV18, "a development set: written at the start of the twenty-first session from the "
                                         "documents alone, phone-typed words, 41 of its 72 with three turns, its failures read"),
    "conversations_dev19.jsonl": (DEV19, "a development set: written at the start of the twenty-second session from the "
                                         "documents alone, phone-typed words, 35 of its 72 with three turns, its failures read"),
    "conversations_dev20.jsonl": (DEV20, "a development set: written at the start of the twenty-third session from the "
                                         "documents alone, phone-typed words, 36 of its 72 with three turns, its failures read"),
    "conversations_dev21.jsonl": (DEV21, "a development set: written at the start of the twenty-fourth session from the "
                                         "documents alone, phone-typed words, 36 of its 72 with three turns, its failures read"),
    "conversations_dev22.jsonl": (DEV22, "a development set: written at the start of the twenty-fifth session from the "
                                         "documents alone, everyday words, 42 of its 72 with three turns, its failures read"),
    "conversations_dev23.jsonl": (DEV23, "a development set: written at the start of the twenty-sixth session from the "
                                         "documents alone, everyday words, 42 of its 72 with three turns, its failures read"),
    "conversations_dev24.jsonl": (DEV24, "a development set: written at the start of the twenty-seventh session from the "
                                         "documents alone, everyday words, 39 of its 72 with three turns, its failures read"),
}
# The sets SETS describes as blind: their failures are neither printed nor recorded.
BLIND_SETS = {name for name, (_, about) in SETS.items() if about.startswith("blind:")}
BLIND_ROW_FIELDS = ("id", "type", "alone", "naive", "ours", "latency_ms")
TYPES = ["ellipsis", "pronoun", "narrowing", "sibling", "new_topic", "out_of_scope_followup"]
DEPENDENT = {"ellipsis", "pronoun", "narrowing", "sibling"}
_MARKER = re.compile(r"\[\d+\]")


def load_conversations(path: Path = CONVERSATIONS) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def correct(answer, turn: dict) -> bool:
    if not turn["expect_found"]:
        return not answer.found
    text = unicodedata.normalize("NFKC", _MARKER.sub("", answer.answer)).replace(" ", "")
    return answer.found and any(unicodedata.normalize("NFKC", a).replace(" ", "") in text
                                for a in turn["answer_contains"])


def run(assistant: Assistant, conversations: list[dict], verbose: bool = False, ours_only: bool = False) -> dict:
    """Score the last turn of each conversation: alone, glued to the previous question, and
    read with its history ("ours"). `ours_only` (the CI floors) skips the first two. The earlier
    turns are answered either way: the reading compares its answer with the last one (a
    follow-up that points back asks something new)."""
    ways = ("ours",) if ours_only else ("alone", "naive", "ours")
    rows = []
    for conversation in conversations:
        turns = conversation["turns"]
        last = turns[-1]
        history = []
        for turn in turns[:-1]:  # the chat's own earlier answers, as the widget would send them
            answer_text = assistant.ask(turn["question"], history=list(history)).answer
            history += [{"role": "user", "content": turn["question"]}, {"role": "assistant", "content": answer_text}]
        ours = assistant.ask(last["question"], history=history)
        row = {"id": conversation["id"], "type": conversation["type"], "question": last["question"],
               "ours": correct(ours, last),
               "resolved": ours.resolved_question, "context_used": ours.context_used,
               "found": ours.found, "answer": ours.answer[:80], "latency_ms": ours.latency_ms}
        if not ours_only:
            row["alone"] = correct(assistant.ask(last["question"]), last)
            row["naive"] = correct(assistant.ask(f"{turns[-2]['question']} {last['question']}"), last)
        rows.append(row)
        if verbose and not row["ours"]:
            print(f"✗ {row['id']} {row['type']}: {' → '.join(t['question'] for t in turns)}\n"
                  f"    read as: {row['resolved']} | {row['answer']} | gold {last['answer_contains']}", file=sys.stderr)
    by_type = defaultdict(lambda: {"n": 0, **{way: 0 for way in ways}})
    for row in rows:
        group = by_type[row["type"]]
        group["n"] += 1
        for way in ways:
            group[way] += row[way]
    summary = {t: {k: (v / by_type[t]["n"] if k != "n" else v) for k, v in by_type[t].items()} for t in TYPES if t in by_type}
    dependent = [r for r in rows if r["type"] in DEPENDENT]
    summary["dependent (all four)"] = {"n": len(dependent), **{w: sum(r[w] for r in dependent) / max(1, len(dependent))
                                                              for w in ways}}
    return {"summary": summary, "rows": rows}


def render_set(name: str, about: str, results: dict) -> list[str]:
    lines = [f"## `benchmarks/{name}`: {len(results['rows'])} conversations, {about}", "",
             "| last turn | n | alone | previous question glued in front | ours (history) |", "|---|---|---|---|---|"]
    for kind, m in results["summary"].items():
        lines.append(f"| {kind} | {m['n']} | {m['alone']:.3f} | {m['naive']:.3f} | {m['ours']:.3f} |")
    misses = [r for r in results["rows"] if not r["ours"]]
    new = [r for r in results["rows"] if r["type"] == "new_topic" and r["alone"]]
    latencies = sorted(r["latency_ms"] for r in results["rows"])
    lines += ["", f"New topics answered right alone that stay right with the history: {sum(r['ours'] for r in new)}/{len(new)}. "
              f"Latency of the last turn with its history: median {latencies[len(latencies) // 2]:.0f} ms, "
              f"max {latencies[-1]:.0f} ms (a follow-up may be searched once per reading).", "",
              f"Still wrong ({len(misses)}):", ""]
    if name in BLIND_SETS:
        lines[-2] = f"Still wrong: {len(misses)} (not listed, so the set stays blind)."
        return lines[:-1] + [baseline_line(name), ""]
    lines += [f"- {r['id']} ({r['type']}) “{r['question']}” read as “{r['resolved']}”: {r['answer']}" for r in misses]
    return lines + [""]


def baseline_line(name: str) -> str:
    """The blind set's figures when it was written (benchmarks/<set>_baseline.json), or ""."""
    path = BENCH / name.replace(".jsonl", "_baseline.json")
    if not path.exists():
        return ""
    recorded = json.loads(path.read_text(encoding="utf-8"))
    summary = recorded["by_type"]["summary"]
    return (f"\nWhen it was written ({recorded['commit'].split(':')[0]}), ours: dependent "
            f"{summary['dependent (all four)']['ours']:.3f}, new topics {summary['new_topic']['ours']:.3f}, "
            f"out-of-scope follow-ups {summary['out_of_scope_followup']['ours']:.3f}.")


def render_blind_pool(all_results: dict) -> list[str]:
    """Every blind set's last turns together: the figure least bent by any one helper's style."""
    rows = [row for name, results in all_results.items() if name in BLIND_SETS for row in results["rows"]]
    if not rows:
        return []
    groups = [(kind, [r for r in rows if r["type"] == kind]) for kind in TYPES]
    groups.append(("dependent (all four)", [r for r in rows if r["type"] in DEPENDENT]))
    lines = [f"## The {sum(1 for n in all_results if n in BLIND_SETS)} blind sets together: {len(rows)} conversations", "",
             "| last turn | n | alone | previous question glued in front | ours (history) |", "|---|---|---|---|---|"]
    for kind, members in groups:
        if members:
            lines.append(f"| {kind} | {len(members)} | " + " | ".join(
                f"{sum(r[way] for r in members) / len(members):.3f}" for way in ("alone", "naive", "ours")) + " |")
    return lines + [""]


def render(all_results: dict, seconds: float) -> str:
    lines = ["# Follow-up questions", "",
             f"Generated by `python -m benchmarks.conversations` on {time.strftime('%Y-%m-%d')} in {seconds:.0f} s; "
             "the last turn of each conversation is scored; `check_conversations.py` verifies every gold string.", "",
             "Targets: dependent follow-ups ≥ .85, new topics ≥ .90, out-of-scope follow-ups refused ≥ .85.", ""]
    lines += render_blind_pool(all_results)
    for name, results in all_results.items():
        lines += render_set(name, SETS[name][1], results)
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    encoder = load_encoder(DEFAULT.encoder)
    assistant = Assistant(load_index(index_for(ROOT / "documents", "own", DEFAULT)), encoder, DEFAULT.tuning)
    started = time.perf_counter()
    results = {name: run(assistant, load_conversations(path), args.verbose and name not in BLIND_SETS)
               for name, (path, _) in SETS.items() if path.exists()}
    seconds = time.perf_counter() - started
    recorded = {name: r if name not in BLIND_SETS else
                {**r, "rows": [{k: row[k] for k in BLIND_ROW_FIELDS} for row in r["rows"]]}
                for name, r in results.items()}
    (BENCH / "conversations_results.json").write_text(json.dumps(recorded, ensure_ascii=False, indent=1), encoding="utf-8")
    report = render(results, seconds)
    (BENCH / "CONVERSATIONS.md").write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
