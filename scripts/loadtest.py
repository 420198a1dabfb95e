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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.stats import percentile  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


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
    parser.add_argument("--trace-memory", action="store_true",
                        help="run the server under tracemalloc (scripts/memtrace_server.py) and write the "
                             "allocation sites that grew each minute to benchmarks/cache/memtrace.txt; not recorded")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "LOAD.md"))
    args = parser.parse_args()

    import requests
    from gradio_client import Client

    from tests.conftest import free_port, wait_ready

    questions = [json.loads(line)["question"] for line in
                 (ROOT / "benchmarks" / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    port = free_port()
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"loadtest-{port}"
    env = dict(os.environ, ASSISTANT_PORT=str(port), ASSISTANT_HOST="127.0.0.1",
               ASSISTANT_DATA_DIR=str(tmp / "data"), ASSISTANT_INDEX_DIR=str(tmp / "index"),
               ASSISTANT_RATE_LIMIT_PER_MINUTE=str(args.rate_limit), ASSISTANT_LOG_QUESTIONS="0")
    command = [sys.executable, "app.py"]
    if args.trace_memory:
        trace_file = ROOT / "benchmarks" / "cache" / "memtrace.txt"
        trace_file.parent.mkdir(parents=True, exist_ok=True)
        trace_file.unlink(missing_ok=True)
        env["ASSISTANT_MEMTRACE_FILE"] = str(trace_file)
        command = [sys.executable, "scripts/memtrace_server.py"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    results = {"api": [], "gradio": []}
    errors = {"api": [], "gradio": []}
    limited = {"api": 0, "gradio": 0}
    memory = []
    lock = threading.Lock()
    try:
        wait_ready(url + "/api/health")
        for q in questions[:5]:  # warm up
            requests.post(url + "/api/ask", json={"question": q}, timeout=60)
        memory.append((0.0, rss_mb(server.pid)))
        if args.trace_memory:
            os.kill(server.pid, signal.SIGUSR1)  # start tracing
        deadline = time.time() + args.seconds
        started = time.time()

        def client_headers(seed):
            return {"X-Forwarded-For": f"10.0.{seed // 250}.{seed % 250 + 1}"} if args.distinct_clients else {}

        answered_by = {}

        def api_client(seed):
            rng = random.Random(seed)
            session = requests.Session()
            session.headers.update(client_headers(seed))
            while time.time() < deadline:
                t = time.perf_counter()
                try:
                    r = session.post(url + "/api/ask", json={"question": rng.choice(questions)}, timeout=120)
                    with lock:
                        if r.status_code == 200 and "answer" in r.json():
                            results["api"].append(time.perf_counter() - t)
                            answered_by[seed] = answered_by.get(seed, 0) + 1
                        elif r.status_code == 429:
                            limited["api"] += 1
                        else:
                            errors["api"].append(r.status_code)
                except Exception as exc:  # counted, not raised: the run goes on
                    with lock:
                        errors["api"].append(type(exc).__name__)

        def gradio_client(seed):
            rng = random.Random(seed)
            client = Client(url + "/", verbose=False, headers=client_headers(seed))
            while time.time() < deadline:
                t = time.perf_counter()
                try:
                    out = client.predict(rng.choice(questions), api_name="/ask")
                    with lock:
                        if isinstance(out, dict) and out.get("mode") == "rate_limited":
                            limited["gradio"] += 1
                        elif isinstance(out, dict) and "answer" in out:
                            results["gradio"].append(time.perf_counter() - t)
                            answered_by[seed] = answered_by.get(seed, 0) + 1
                        else:
                            errors["gradio"].append("bad result")
                except Exception as exc:
                    with lock:
                        errors["gradio"].append(type(exc).__name__)

        def client_for(i):
            if args.paths == "both":
                return api_client if i % 2 == 0 else gradio_client
            return api_client if args.paths == "api" else gradio_client

        threads = [threading.Thread(target=client_for(i), args=(i,), daemon=True) for i in range(args.clients)]
        for thread in threads:
            thread.start()
        next_trace = started + 60
        while any(t.is_alive() for t in threads) and time.time() < deadline + 180:
            time.sleep(5)
            memory.append((time.time() - started, rss_mb(server.pid)))
            if args.trace_memory and time.time() >= next_trace:
                os.kill(server.pid, signal.SIGUSR1)
                next_trace += 60
        elapsed = time.time() - started
    finally:
        server.terminate()
        server.wait(timeout=60)

    done = len(results["api"]) + len(results["gradio"])
    all_latencies = results["api"] + results["gradio"]
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
        f"{' --distinct-clients' if args.distinct_clients else ''}`",
        "",
        "| path | answered | throughput (q/s) | p50 ms | p95 ms | p99 ms | errors | 429 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in ("api", "gradio"):
        lat = [x * 1000 for x in results[name]]
        lines.append(f"| {'POST /api/ask' if name == 'api' else 'Gradio queue (gradio_client)'} | {len(lat)} | "
                     f"{len(lat) / elapsed:.1f} | {percentile(lat, 50):.0f} | {percentile(lat, 95):.0f} | "
                     f"{percentile(lat, 99):.0f} | {len(errors[name])} | {limited[name]} |")
    lat = [x * 1000 for x in all_latencies]
    lines += [f"| all | {done} | {done / elapsed:.1f} | {percentile(lat, 50):.0f} | {percentile(lat, 95):.0f} | "
              f"{percentile(lat, 99):.0f} | {len(errors['api']) + len(errors['gradio'])} | {sum(limited.values())} |",
              "",
              f"Server RSS: {memory[0][1]:.0f} MB after warm-up, {max(m for _, m in memory):.0f} MB peak, "
              f"{memory[-1][1]:.0f} MB at the end; mean {first_half:.0f} MB in the first half of the run, "
              f"{second_half:.0f} MB in the second.",
              ""]
    if answered_by:
        counts = [answered_by.get(i, 0) for i in range(args.clients)]
        lines += [f"Answers per client: min {min(counts)}, median {statistics.median(counts):.0f}, max {max(counts)}"
                  f"{f' (limit {args.rate_limit} a minute per client)' if args.rate_limit else ''}.", ""]
    per_minute = {}
    for t, m in memory:
        per_minute[int(t // 60)] = m  # last sample of each minute
    if len(per_minute) > 2:
        lines += ["RSS at the end of each minute (MB): " + ", ".join(f"{m:.0f}" for _, m in sorted(per_minute.items())), ""]
    if errors["api"] or errors["gradio"]:
        lines.append(f"Errors seen: {sorted(set(map(str, errors['api'] + errors['gradio'])))}\n")
    report = "\n".join(lines)
    print(report)
    if args.trace_memory:
        print(f"allocation growth per minute: {ROOT / 'benchmarks' / 'cache' / 'memtrace.txt'} (run not recorded)")
        return 0 if not (errors["api"] or errors["gradio"]) else 1
    out = Path(args.output)
    header = "# Load and soak results\n\nTraffic to 127.0.0.1 only; server and clients share the 2 cores.\n\n"
    previous = out.read_text(encoding="utf-8") if out.exists() else header
    out.write_text(previous + "\n" + report, encoding="utf-8")
    return 0 if not (errors["api"] or errors["gradio"]) else 1


if __name__ == "__main__":
    sys.exit(main())
