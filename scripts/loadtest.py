"""Load and soak test: many concurrent clients against `python app.py` on 127.0.0.1 only.

    python scripts/loadtest.py --clients 50 --seconds 60            # load
    python scripts/loadtest.py --clients 50 --seconds 600 --soak    # 10-minute soak

Half the clients POST /api/ask, half go through the Gradio queue with gradio_client.
Reports throughput, p50/p95/p99 latency, errors (429 rate-limit answers counted apart),
and the server's memory (RSS) sampled during the run; appends to benchmarks/LOAD.md.
Every loop is bounded by --seconds and the script stops the server itself.
"""

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.stats import percentile  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def load_questions() -> list[str]:
    return [json.loads(line)["question"] for line in
            (ROOT / "benchmarks" / "questions.jsonl").read_text(encoding="utf-8").splitlines()]


def start_server(port: int, tmp: Path, rate_limit: int = 0, command: list[str] | None = None,
                 extra_env: dict | None = None) -> subprocess.Popen:
    """`python app.py` (or `command`) on 127.0.0.1:`port`, its index and data under `tmp`."""
    env = dict(os.environ, ASSISTANT_PORT=str(port), ASSISTANT_HOST="127.0.0.1",
               ASSISTANT_DATA_DIR=str(tmp / "data"), ASSISTANT_INDEX_DIR=str(tmp / "index"),
               ASSISTANT_RATE_LIMIT_PER_MINUTE=str(rate_limit), ASSISTANT_LOG_QUESTIONS="0")
    env.update(extra_env or {})
    return subprocess.Popen(command or [sys.executable, "app.py"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def warm_up(url: str, questions: list[str]) -> None:
    import requests

    from tests.conftest import wait_ready

    wait_ready(url + "/api/health")
    for q in questions[:5]:
        requests.post(url + "/api/ask", json={"question": q}, timeout=60)


@dataclass
class LoadRun:
    """What the clients of one run saw: latencies (s) of answered questions per path."""

    results: dict = field(default_factory=lambda: {"api": [], "gradio": []})
    errors: dict = field(default_factory=lambda: {"api": [], "gradio": []})
    limited: dict = field(default_factory=lambda: {"api": 0, "gradio": 0})
    answered_by: dict = field(default_factory=dict)
    elapsed: float = 0.0
    gradio_http: bool = False  # the Gradio clients were GradioHTTP, not gradio_client


class GradioHTTP:
    """The Gradio queue's own HTTP API for one question at a time, as curl would use it: POST
    /gradio_api/call/ask, then read the event's stream until "complete". The same queue and
    function as gradio_client's predict(api_name="/ask"), with little work in the client. One
    session per client, as a browser tab or a gradio_client has (without one, Gradio makes a
    session's state for every question)."""

    def __init__(self, url: str, headers: dict | None = None):
        import uuid

        import requests

        self.url = url.rstrip("/") + "/gradio_api/call/ask"
        self.session = requests.Session()
        self.session.headers.update(headers or {})
        self.session_hash = uuid.uuid4().hex[:11]

    def predict(self, question: str):
        posted = self.session.post(self.url, json={"data": [question, None, None], "session_hash": self.session_hash},
                                   timeout=120)
        posted.raise_for_status()
        with self.session.get(f"{self.url}/{posted.json()['event_id']}", stream=True, timeout=120) as stream:
            event = None
            for line in stream.iter_lines(decode_unicode=True):
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    data = json.loads(line[5:])
                    if event == "error":
                        raise RuntimeError(f"gradio error: {data}")
                    return data[0]
        raise RuntimeError("stream ended without a result")


def run_clients(url: str, questions: list[str], clients: int, seconds: float, paths: str = "both",
                distinct_clients: bool = False, on_tick=None, tick: float = 5.0,
                gradio_http: bool = False) -> LoadRun:
    """`clients` threads asking in a closed loop for `seconds`: half POST /api/ask, half the
    Gradio queue (gradio_client, api_name /ask; with `gradio_http`, the queue's HTTP API through
    `GradioHTTP`), or all on one path (`paths`). The clock starts once every client has its
    session (a gradio_client reads the app's config first). `on_tick(t)` is called every
    `tick` seconds while they run (t: seconds since the start)."""
    import requests
    from gradio_client import Client

    run = LoadRun(gradio_http=gradio_http)
    lock = threading.Lock()
    deadline = [time.time() + seconds]  # set again when every client is ready
    ready = threading.Barrier(clients + 1, action=lambda: deadline.__setitem__(0, time.time() + seconds))

    def client_headers(seed):
        return {"X-Forwarded-For": f"10.0.{seed // 250}.{seed % 250 + 1}"} if distinct_clients else {}

    def wait_for_start():
        try:
            ready.wait(timeout=300)
        except threading.BrokenBarrierError:
            pass

    def api_client(seed):
        rng = random.Random(seed)
        session = requests.Session()
        session.headers.update(client_headers(seed))
        wait_for_start()
        while time.time() < deadline[0]:
            t = time.perf_counter()
            try:
                r = session.post(url + "/api/ask", json={"question": rng.choice(questions)}, timeout=120)
                with lock:
                    if r.status_code == 200 and "answer" in r.json():
                        run.results["api"].append(time.perf_counter() - t)
                        run.answered_by[seed] = run.answered_by.get(seed, 0) + 1
                    elif r.status_code == 429:
                        run.limited["api"] += 1
                    else:
                        run.errors["api"].append(r.status_code)
            except Exception as exc:  # counted, not raised: the run goes on
                with lock:
                    run.errors["api"].append(type(exc).__name__)

    def gradio_client(seed):
        rng = random.Random(seed)
        try:
            if gradio_http:
                client = GradioHTTP(url, client_headers(seed))
            else:
                client = Client(url + "/", verbose=False, headers=client_headers(seed))
        except Exception as exc:
            with lock:
                run.errors["gradio"].append(type(exc).__name__)
            client = None
        wait_for_start()
        while client is not None and time.time() < deadline[0]:
            t = time.perf_counter()
            try:
                question = rng.choice(questions)
                out = client.predict(question) if gradio_http else client.predict(question, api_name="/ask")
                with lock:
                    if isinstance(out, dict) and out.get("mode") == "rate_limited":
                        run.limited["gradio"] += 1
                    elif isinstance(out, dict) and "answer" in out:
                        run.results["gradio"].append(time.perf_counter() - t)
                        run.answered_by[seed] = run.answered_by.get(seed, 0) + 1
                    else:
                        run.errors["gradio"].append("bad result")
            except Exception as exc:
                with lock:
                    run.errors["gradio"].append(type(exc).__name__)

    def client_for(i):
        if paths == "both":
            return api_client if i % 2 == 0 else gradio_client
        return api_client if paths == "api" else gradio_client

    threads = [threading.Thread(target=client_for(i), args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    wait_for_start()
    started = deadline[0] - seconds
    next_tick = started + tick
    while any(t.is_alive() for t in threads) and time.time() < deadline[0] + 180:
        time.sleep(0.2)
        if time.time() >= next_tick:
            if on_tick is not None:
                on_tick(time.time() - started)
            next_tick += tick
    run.elapsed = time.time() - started
    return run


def path_rows(run: LoadRun) -> list[str]:
    """Table rows (see TABLE_HEADER): one per path and one for all answers."""
    rows = []
    for name in ("api", "gradio"):
        lat = [x * 1000 for x in run.results[name]]
        label = "POST /api/ask" if name == "api" else (
            "Gradio queue (HTTP call API)" if run.gradio_http else "Gradio queue (gradio_client)")
        rows.append(f"| {label} | {len(lat)} | "
                    f"{len(lat) / run.elapsed:.1f} | {percentile(lat, 50):.0f} | {percentile(lat, 95):.0f} | "
                    f"{percentile(lat, 99):.0f} | {len(run.errors[name])} | {run.limited[name]} |")
    lat = [x * 1000 for x in run.results["api"] + run.results["gradio"]]
    done = len(lat)
    rows.append(f"| all | {done} | {done / run.elapsed:.1f} | {percentile(lat, 50):.0f} | {percentile(lat, 95):.0f} | "
                f"{percentile(lat, 99):.0f} | {len(run.errors['api']) + len(run.errors['gradio'])} | "
                f"{sum(run.limited.values())} |")
    return rows


TABLE_HEADER = ["| path | answered | throughput (q/s) | p50 ms | p95 ms | p99 ms | errors | 429 |",
                "|---|---|---|---|---|---|---|---|"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--soak", action="store_true", help="label the run as a soak (use --seconds 600)")
    parser.add_argument("--rate-limit", type=int, default=0, help="ASSISTANT_RATE_LIMIT_PER_MINUTE for the server (0 = off)")
    parser.add_argument("--distinct-clients", action="store_true",
                        help="give every client its own address in X-Forwarded-For (uvicorn trusts it from "
                             "127.0.0.1, as behind deploy/nginx-assistant.conf), so the per-client rate limit "
                             "sees 50 clients instead of one")
    parser.add_argument("--paths", choices=("both", "api", "gradio"), default="both",
                        help="which clients to run: half and half (default), or all on one path")
    parser.add_argument("--gradio-http", action="store_true",
                        help="Gradio clients use the queue's HTTP API (POST /gradio_api/call/ask, then its event "
                             "stream) instead of gradio_client, whose own CPU per question is larger")
    parser.add_argument("--trace-memory", action="store_true",
                        help="run the server under tracemalloc (scripts/memtrace_server.py) and write the "
                             "allocation sites that grew each minute to benchmarks/cache/memtrace.txt; not recorded")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "LOAD.md"))
    args = parser.parse_args()

    from tests.conftest import free_port

    questions = load_questions()
    port = free_port()
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"loadtest-{port}"
    command, extra_env = None, {}
    if args.trace_memory:
        trace_file = ROOT / "benchmarks" / "cache" / "memtrace.txt"
        trace_file.parent.mkdir(parents=True, exist_ok=True)
        trace_file.unlink(missing_ok=True)
        extra_env["ASSISTANT_MEMTRACE_FILE"] = str(trace_file)
        command = [sys.executable, "scripts/memtrace_server.py"]
    server = start_server(port, tmp, args.rate_limit, command, extra_env)
    url = f"http://127.0.0.1:{port}"
    memory = []
    try:
        warm_up(url, questions)
        memory.append((0.0, rss_mb(server.pid)))
        if args.trace_memory:
            os.kill(server.pid, signal.SIGUSR1)  # start tracing
        next_trace = [60.0]

        def on_tick(elapsed):
            memory.append((elapsed, rss_mb(server.pid)))
            if args.trace_memory and elapsed >= next_trace[0]:
                os.kill(server.pid, signal.SIGUSR1)
                next_trace[0] += 60

        run = run_clients(url, questions, args.clients, args.seconds, args.paths, args.distinct_clients, on_tick,
                          gradio_http=args.gradio_http)
    finally:
        server.terminate()
        server.wait(timeout=60)

    half = len(memory) // 2
    first_half = statistics.mean(m for _, m in memory[1:half + 1]) if half else memory[0][1]
    second_half = statistics.mean(m for _, m in memory[half + 1:]) if len(memory) > half + 1 else memory[-1][1]
    lines = [
        f"## {'Soak' if args.soak else 'Load'}: {args.clients} clients for {args.seconds} s "
        f"({time.strftime('%Y-%m-%d %H:%M')}, rate limit {'off' if not args.rate_limit else args.rate_limit})",
        "",
        f"Command: `python scripts/loadtest.py --clients {args.clients} --seconds {args.seconds}"
        f"{' --soak' if args.soak else ''}{' --rate-limit ' + str(args.rate_limit) if args.rate_limit else ''}"
        f"{' --paths ' + args.paths if args.paths != 'both' else ''}"
        f"{' --distinct-clients' if args.distinct_clients else ''}{' --gradio-http' if args.gradio_http else ''}`",
        "",
        *TABLE_HEADER,
        *path_rows(run),
        "",
        f"Server RSS: {memory[0][1]:.0f} MB after warm-up, {max(m for _, m in memory):.0f} MB peak, "
        f"{memory[-1][1]:.0f} MB at the end; mean {first_half:.0f} MB in the first half of the run, "
        f"{second_half:.0f} MB in the second.",
        "",
    ]
    if run.answered_by:
        counts = [run.answered_by.get(i, 0) for i in range(args.clients)]
        lines += [f"Answers per client: min {min(counts)}, median {statistics.median(counts):.0f}, max {max(counts)}"
                  f"{f' (limit {args.rate_limit} a minute per client)' if args.rate_limit else ''}.", ""]
    per_minute = {}
    for t, m in memory:
        per_minute[int(t // 60)] = m  # last sample of each minute
    if len(per_minute) > 2:
        lines += ["RSS at the end of each minute (MB): " + ", ".join(f"{m:.0f}" for _, m in sorted(per_minute.items())), ""]
    if run.errors["api"] or run.errors["gradio"]:
        lines.append(f"Errors seen: {sorted(set(map(str, run.errors['api'] + run.errors['gradio'])))}\n")
    report = "\n".join(lines)
    print(report)
    if args.trace_memory:
        print(f"allocation growth per minute: {ROOT / 'benchmarks' / 'cache' / 'memtrace.txt'} (run not recorded)")
        return 0 if not (run.errors["api"] or run.errors["gradio"]) else 1
    out = Path(args.output)
    header = "# Load and soak results\n\nTraffic to 127.0.0.1 only; server and clients share the 2 cores.\n\n"
    previous = out.read_text(encoding="utf-8") if out.exists() else header
    out.write_text(previous + "\n" + report, encoding="utf-8")
    return 0 if not (run.errors["api"] or run.errors["gradio"]) else 1


if __name__ == "__main__":
    sys.exit(main())
