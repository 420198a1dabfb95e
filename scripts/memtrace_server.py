"""Run `python app.py` with tracemalloc on, for finding memory growth (a developer tool).

    python scripts/loadtest.py --seconds 600 --soak --trace-memory

The first SIGUSR1 starts tracing; each later one appends the 12 allocation sites holding
most memory allocated since then and still alive to $ASSISTANT_MEMTRACE_FILE. tracemalloc slows the server, so
throughput figures from such a run are not comparable with normal runs.
"""

import os
import signal
import sys
import threading
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import assistant  # noqa: E402,F401  (sets OMP_WAIT_POLICY before numeric libraries load)

_out = Path(os.environ.get("ASSISTANT_MEMTRACE_FILE", "memtrace.txt"))


def _dump(signum, frame):
    # Tracing starts at the first signal (after warm-up), so the model and index loaded at
    # start are not traced: every later snapshot holds only what was allocated since and is
    # still alive, which is where a leak shows.
    if not tracemalloc.is_tracing():
        tracemalloc.start(10)
        return

    def work():
        snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        stats = snapshot.statistics("traceback")
        with _out.open("a", encoding="utf-8") as f:
            f.write(f"\n=== alive since tracing started: {sum(s.size for s in stats) / 1e6:.2f} MB "
                    f"in {sum(s.count for s in stats)} blocks\n")
            for stat in stats[:12]:
                f.write(f"{stat.size / 1e3:.0f} kB in {stat.count} blocks\n")
                for line in stat.traceback.format()[-10:]:
                    f.write(f"    {line}\n")
    threading.Thread(target=work, daemon=True).start()  # not inside the signal handler


signal.signal(signal.SIGUSR1, _dump)

from assistant.web import serve  # noqa: E402

serve()
