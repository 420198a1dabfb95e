"""Gradio-queue answers under load: how the Gradio path's latency depends on the queue's
concurrency limit, and where an event's time goes.

    python -m benchmarks.scale_load            # 50 clients, 25 s per setting (about 5 minutes)
    python -m benchmarks.scale_load --quick    # a smoke run: the configured setting, 10 clients, 5 s

For each concurrency limit of the ask events (assistant/web.py QUEUE_CONCURRENCY: the chat's
submit, send and follow-up buttons and the API's "ask"), one server (`python app.py` with that
value set) over a prepared index on a free 127.0.0.1 port; 50 clients in a closed loop, half
POST /api/ask and half the Gradio queue through gradio_client (scripts/loadtest.py's clients),
rate limit off. At the configured value the paths are then measured apart (all 50 clients on
one path, and one client alone on each), with the server's and the clients' CPU time per
answer: the cost of an event, not only its wait. Clients and server share the machine's cores,
as they did in benchmarks/LOAD.md. Nothing here asserts a timing.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = (4, 8, 16, 32)  # concurrency limits compared (None would be unlimited)


def _configured() -> int | None:
    import ast

    # Read from the source, so this module does not import the web app (and Gradio).
    for line in (ROOT / "assistant" / "web.py").read_text(encoding="utf-8").splitlines():
        if line.startswith("QUEUE_CONCURRENCY"):
            return ast.literal_eval(line.split("=", 1)[1].split("#", 1)[0].strip())
    raise RuntimeError("QUEUE_CONCURRENCY not found in assistant/web.py")


def _server_command(concurrency: int | None) -> list[str]:
    """`python app.py` with the queue's concurrency limit set to `concurrency`."""
    return [sys.executable, "-c",
            f"import assistant.web as web; web.QUEUE_CONCURRENCY = {concurrency!r}; web.serve()"]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(url: str, pid: int, questions, clients: int, seconds: float, paths: str, http: bool = False) -> dict:
    """One load run, with the server's and this process's (the clients') CPU seconds and the load."""
    from scripts.loadtest import run_clients

    load = os.getloadavg()[0]
    server_cpu, client_cpu = _cpu_seconds(pid), time.process_time()
    run = run_clients(url, questions, clients, seconds, paths, gradio_http=http)
    answered = len(run.results["api"]) + len(run.results["gradio"])
    return {"run": run, "load": load, "answered": answered,
            "server_cpu": _cpu_seconds(pid) - server_cpu, "client_cpu": time.process_time() - client_cpu}


def _ms(values: list[float], q: float) -> str:
    from benchmarks.stats import percentile

    return f"{percentile([v * 1000 for v in values], q):.0f}" if values else "–"


def _serve(work: Path, concurrency: int | None, questions, jobs) -> list[dict]:
    """Start a server with this concurrency limit, run each (clients, seconds, paths) of `jobs`."""
    from scripts.loadtest import start_server, warm_up
    from tests.conftest import free_port

    port = free_port()
    (work / str(port)).mkdir()
    shutil.copytree(work / "index", work / str(port) / "index", symlinks=True)
    server = start_server(port, work / str(port), command=_server_command(concurrency))
    url = f"http://127.0.0.1:{port}"
    try:
        warm_up(url, questions)
        return [_measure(url, server.pid, questions, *job) for job in jobs]
    finally:
        server.terminate()
        server.wait(timeout=60)


def _client_name(http: bool) -> str:
    return "HTTP call API" if http else "gradio_client"


def run(quick: bool = False) -> str:
    from benchmarks.scale_start import prepare_index
    from scripts.loadtest import load_questions

    configured = _configured()
    clients, seconds = (10, 4) if quick else (50, 25)
    apart_seconds, alone_seconds = (2, 2) if quick else (15, 10)
    settings = [configured] if quick else sorted(set(SETTINGS) | {configured}, key=lambda c: (c is None, c or 0))
    questions = load_questions()
    work = Path(tempfile.mkdtemp(prefix="scale-load-"))
    mixed, apart = [], []
    try:
        prepare_index(work)
        for concurrency in settings:
            jobs = [(clients, seconds, "both", False)]
            if concurrency == configured:
                jobs += [(clients, seconds, "both", True)] if not quick else []
                jobs += [(clients, apart_seconds, "api", False), (clients, apart_seconds, "gradio", False),
                         (clients, apart_seconds, "gradio", True), (1, alone_seconds, "api", False),
                         (1, alone_seconds, "gradio", False), (1, alone_seconds, "gradio", True)]
            print(f"[scale_load] concurrency {concurrency}: {len(jobs)} runs", file=sys.stderr, flush=True)
            for job, measured in zip(jobs, _serve(work, concurrency, questions, jobs)):
                (mixed if job[2] == "both" else apart).append((concurrency, job, measured))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    mode = " --quick" if quick else ""
    lines = ["## Gradio queue under load", "",
             f"`python -m benchmarks.scale_load{mode}` on {time.strftime('%Y-%m-%d %H:%M')} ({os.cpu_count()} cores, "
             f"CPU only). Each setting: a fresh `python app.py` with QUEUE_CONCURRENCY (assistant/web.py: the ask "
             f"events' `concurrency_limit` and the queue's `default_concurrency_limit`) set as shown, then "
             f"{clients} clients for {seconds} s in a closed loop, half POST /api/ask, half the Gradio queue "
             "(api_name /ask) through gradio_client or, where the table says so, the queue's HTTP call API "
             "(scripts/loadtest.py's `GradioHTTP`: POST /gradio_api/call/ask, then the event's stream); rate "
             "limit off. The clients are scripts/loadtest.py's `run_clients`, as "
             f"`python scripts/loadtest.py --clients {clients} --seconds {seconds} [--gradio-http]` runs them; "
             f"they share the cores with the server. Configured now: {configured}. Load avg: the 1-minute "
             "load average as the run started (other work shares the machine).", "",
             "| concurrency limit | Gradio client | API p50 / p95 ms | Gradio p50 / p95 ms | Gradio p50 ÷ API p50 | "
             "throughput API / Gradio / all (q/s) | server CPU ms per answer | errors | load avg |",
             "|---|---|---|---|---|---|---|---|---|"]
    for concurrency, (_, _, _, http), m in mixed:
        run = m["run"]
        api, gradio = run.results["api"], run.results["gradio"]
        ratio = (f"{(sorted(gradio)[len(gradio) // 2] / sorted(api)[len(api) // 2]):.1f}×"
                 if api and gradio else "–")
        errors = len(run.errors["api"]) + len(run.errors["gradio"])
        mark = " (configured)" if concurrency == configured else ""
        lines.append(f"| {concurrency}{mark} | {_client_name(http)} | {_ms(api, 50)} / {_ms(api, 95)} | "
                     f"{_ms(gradio, 50)} / {_ms(gradio, 95)} | {ratio} | {len(api) / run.elapsed:.1f} / "
                     f"{len(gradio) / run.elapsed:.1f} / {m['answered'] / run.elapsed:.1f} | "
                     f"{1000 * m['server_cpu'] / max(1, m['answered']):.1f} | {errors} | {m['load']:.2f} |")
    lines += ["", f"Each path apart, at the configured limit ({configured}): all clients on one path "
              "(`--paths api|gradio`), then one client alone. CPU per answer: the server's (all its threads) "
              "and the clients' (this process), per answered question.", "",
              "| path | clients | seconds | answered | q/s | p50 ms | p95 ms | server CPU ms per answer | "
              "client CPU ms per answer | errors | load avg |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for _, (n, secs, path, http), m in apart:
        run = m["run"]
        values = run.results[path]
        answered = max(1, len(values))
        label = "POST /api/ask" if path == "api" else f"Gradio queue ({_client_name(http)})"
        lines.append(f"| {label} | {n} | {secs} | {len(values)} | {len(values) / run.elapsed:.1f} | "
                     f"{_ms(values, 50)} | {_ms(values, 95)} | {1000 * m['server_cpu'] / answered:.1f} | "
                     f"{1000 * m['client_cpu'] / answered:.1f} | {len(run.errors[path])} | {m['load']:.2f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv[1:]))
