#!/usr/bin/env python3
"""Validate a conversation set, benchmarks/conversations.jsonl by default (stdlib only).

Usage: python benchmarks/check_conversations.py [PATH.jsonl]

Checks: JSON schema, unique ids, allowed types, found/not-found turn consistency,
every answer_contains string and gold_sentence is an exact substring of the named
document in documents/, last-turn expectations per type, and minimum counts by
type and by number of turns. Prints a summary; exits 1 on any failure.
"""
import json
import os
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DOC_DIR = os.path.join(ROOT, "documents")
DATA = os.path.join(HERE, "conversations.jsonl")

MIN_TOTAL = 48
MIN_THREE_TURN = 10
MIN_BY_TYPE = {
    "ellipsis": 9,
    "pronoun": 9,
    "narrowing": 8,
    "sibling": 6,
    "new_topic": 8,
    "out_of_scope_followup": 7,
}
CONV_KEYS = {"id", "type", "turns"}
OPTIONAL_CONV_KEYS = {"standalone_rewrite"}
TURN_KEYS = {"question", "expect_found", "doc", "answer_contains", "gold_sentence"}


def load_docs():
    docs = {}
    for name in sorted(os.listdir(DOC_DIR)):
        if name.endswith(".txt"):
            with open(os.path.join(DOC_DIR, name), encoding="utf-8") as f:
                docs[name] = f.read()
    return docs


def check_turn(turn, where, docs, errors):
    if not isinstance(turn, dict):
        errors.append(f"{where}: turn is not an object")
        return
    keys = set(turn)
    if keys != TURN_KEYS:
        errors.append(f"{where}: keys {sorted(keys)} != {sorted(TURN_KEYS)}")
        return
    qtext = turn["question"]
    if not isinstance(qtext, str) or not qtext.strip():
        errors.append(f"{where}: empty question")
    if not isinstance(turn["expect_found"], bool):
        errors.append(f"{where}: expect_found must be bool")
        return
    ac = turn["answer_contains"]
    if not isinstance(ac, list) or not all(isinstance(a, str) for a in ac):
        errors.append(f"{where}: answer_contains must be a list of strings")
        return
    if turn["expect_found"]:
        doc = turn["doc"]
        if doc not in docs:
            errors.append(f"{where}: unknown doc {doc!r}")
            return
        text = docs[doc]
        if not ac:
            errors.append(f"{where}: found turn needs answer_contains")
        for a in ac:
            if not a.strip():
                errors.append(f"{where}: empty answer_contains string")
            elif a not in text:
                errors.append(f"{where}: answer_contains {a!r} not in {doc}")
        gold = turn["gold_sentence"]
        if not isinstance(gold, str) or not gold.strip():
            errors.append(f"{where}: found turn needs gold_sentence")
        elif gold not in text:
            errors.append(f"{where}: gold_sentence not in {doc}: {gold[:40]!r}...")
        elif ac and not any(a in gold for a in ac):
            errors.append(f"{where}: no answer_contains string occurs in gold_sentence")
    else:
        if turn["doc"] is not None:
            errors.append(f"{where}: not-found turn must have doc null")
        if ac:
            errors.append(f"{where}: not-found turn must have empty answer_contains")
        if turn["gold_sentence"] is not None:
            errors.append(f"{where}: not-found turn must have gold_sentence null")


def main(path=DATA):
    errors = []
    docs = load_docs()
    if not docs:
        print(f"FAIL: no documents found in {DOC_DIR}")
        return 1
    convs = []
    with open(path, encoding="utf-8") as f:
        for ln, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                convs.append((ln, json.loads(line)))
            except json.JSONDecodeError as e:
                errors.append(f"line {ln}: invalid JSON ({e})")

    ids = Counter()
    by_type = Counter()
    by_turns = Counter()
    by_doc = Counter()
    for ln, c in convs:
        where = f"line {ln}"
        if not isinstance(c, dict) or not CONV_KEYS <= set(c) <= CONV_KEYS | OPTIONAL_CONV_KEYS:
            errors.append(f"{where}: conversation keys must be {sorted(CONV_KEYS)} (optional: standalone_rewrite)")
            continue
        where = f"{c['id']} (line {ln})"
        ids[c["id"]] += 1
        if c["type"] not in MIN_BY_TYPE:
            errors.append(f"{where}: unknown type {c['type']!r}")
        by_type[c["type"]] += 1
        rewrite = c.get("standalone_rewrite", "given")
        if not isinstance(rewrite, str) or not rewrite.strip():
            errors.append(f"{where}: empty standalone_rewrite")
        turns = c["turns"]
        if not isinstance(turns, list) or not 2 <= len(turns) <= 3:
            errors.append(f"{where}: must have 2 or 3 turns")
            continue
        by_turns[len(turns)] += 1
        for i, t in enumerate(turns, 1):
            check_turn(t, f"{where} turn {i}", docs, errors)
        last = turns[-1]
        if not isinstance(last, dict) or "expect_found" not in last:
            continue
        if c["type"] == "out_of_scope_followup":
            if last["expect_found"] is not False:
                errors.append(f"{where}: out_of_scope last turn must expect_found false")
        elif last["expect_found"] is not True:
            errors.append(f"{where}: {c['type']} last turn must expect_found true")
        if c["type"] != "new_topic" and c["type"] != "out_of_scope_followup":
            # context-dependent follow-ups should stay within a document used earlier
            earlier_docs = {t.get("doc") for t in turns[:-1] if isinstance(t, dict)}
            if last.get("doc") not in earlier_docs:
                errors.append(f"{where}: follow-up answer doc not used in earlier turns")
        if c["type"] == "out_of_scope_followup" and any(
            isinstance(t, dict) and not t.get("expect_found") for t in turns[:-1]
        ):
            errors.append(f"{where}: earlier turns of out_of_scope conversation should be answerable")
        by_doc[last.get("doc")] += 1

    for i, n in ids.items():
        if n > 1:
            errors.append(f"duplicate id {i}")
    # The minimum counts are the main set's design; other sets (held-out, blind) are only validated.
    if path != DATA:
        pass
    elif len(convs) < MIN_TOTAL:
        errors.append(f"only {len(convs)} conversations (< {MIN_TOTAL})")
    for t, n in MIN_BY_TYPE.items():
        if path == DATA and by_type[t] < n:
            errors.append(f"type {t}: {by_type[t]} (< {n})")
    if path == DATA and by_turns[3] < MIN_THREE_TURN:
        errors.append(f"three-turn conversations: {by_turns[3]} (< {MIN_THREE_TURN})")

    print(f"conversations: {len(convs)}")
    print("by type:")
    for t in MIN_BY_TYPE:
        print(f"  {t:24s} {by_type[t]:3d}  (min {MIN_BY_TYPE[t]})")
    print("by number of turns:", ", ".join(f"{k} turns: {v}" for k, v in sorted(by_turns.items())))
    print("last-turn doc:", ", ".join(f"{k}: {v}" for k, v in sorted(by_doc.items(), key=lambda kv: str(kv[0]))))
    if errors:
        print(f"\nFAILED with {len(errors)} error(s):")
        for e in errors:
            print("  -", e)
        return 1
    print("\nOK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else DATA))
