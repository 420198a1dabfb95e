"""Run `python app.py` with tracemalloc on, for finding memory growth (a developer tool).

    python scripts/loadtest.py --seconds 600 --soak --trace-memory

On SIGUSR1 the server writes the 15 allocation sites that grew most since the first
snapshot to $ASSISTANT_MEMTRACE_FILE (appending). tracemalloc slows the server, so
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

tracemalloc.start(12)
_baseline = []
_out = Path(os.environ.get("ASSISTANT_MEMTRACE_FILE", "memtrace.txt"))


def _dump(signum, frame):
    def work():
        snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        if not _baseline:
            _baseline.append(snapshot)
            with _out.open("a", encoding="utf-8") as f:
                f.write(f"baseline: {sum(s.size for s in snapshot.statistics('filename')) / 1e6:.1f} MB traced\n")
            return
        stats = snapshot.compare_to(_baseline[0], "traceback")
        with _out.open("a", encoding="utf-8") as f:
            total = sum(s.size_diff for s in stats)
            f.write(f"\n=== growth since baseline: {total / 1e6:+.2f} MB traced\n")
            for stat in stats[:15]:
                f.write(f"{stat.size_diff / 1e3:+.0f} kB in {stat.count_diff:+d} blocks\n")
                for line in stat.traceback.format()[-12:]:
                    f.write(f"    {line}\n")
    threading.Thread(target=work, daemon=True).start()  # not inside the signal handler


signal.signal(signal.SIGUSR1, _dump)

from assistant.web import serve  # noqa: E402

serve()
