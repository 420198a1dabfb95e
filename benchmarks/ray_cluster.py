"""A throwaway loopback-only Ray cluster for the Ray tests and benchmark, stopped by its PIDs.

`ray stop` would stop every Ray on the machine, other people's too, so the cluster is
started in a session of its own and exactly that session's processes are signalled.
`--node-ip-address=127.0.0.1` alone is not enough: Ray turns 127.0.0.1 into the machine's
network address and its GCS and raylet then listen on all interfaces;
RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 keeps the node on loopback (every port on 127.0.0.1).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

AUTH_TOKEN = Path.home() / ".ray" / "auth_token"
LOOPBACK_PREFIXES = ("127.", "[::ffff:127.", "[::1]")


@dataclass
class LocalCluster:
    address: str  # host:port of the GCS, for ray.init / --ray
    temp_dir: Path
    session: int  # session id of `ray start` (= its pid); every cluster process shares it
    start_seconds: float

    def pids(self) -> list[int]:
        """Live processes of this cluster: those in its session, or naming its temp dir."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()  # after "(comm)": state, ppid, pgrp, session, …
            if fields[0] == "Z":  # zombies are dead already (this container's init reaps them late)
                continue
            if int(fields[3]) == self.session or str(self.temp_dir) in cmdline:
                found.append(int(entry.name))
        return found

    def listeners(self) -> list[str]:
        """`ss -ltnp` lines of sockets this cluster listens on."""
        pids = set(self.pids())
        out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
        return [line for line in out.splitlines() if any(f"pid={pid}," in line for pid in pids)]

    def public_listeners(self) -> list[str]:
        """Listening sockets of this cluster bound to anything but loopback."""
        return [line for line in self.listeners() if not line.split()[3].startswith(LOOPBACK_PREFIXES)]


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports: the probes stay bound until all are chosen (two probes
    opened one after the other may be given the same port)."""
    with contextlib.ExitStack() as stack:
        probes = [stack.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]


def cluster_env() -> dict[str, str]:
    """Environment for the cluster and for anything connecting to it from this machine."""
    return {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
            "OMP_WAIT_POLICY": "PASSIVE", "HF_HUB_OFFLINE": "1"}


@contextlib.contextmanager
def local_ray_cluster(num_cpus: int = 2, object_store_mb: int = 200) -> Iterator[LocalCluster]:
    """Start `ray start --head` on loopback, yield it, then stop its processes and remove its files."""
    # Unix socket paths are limited to 107 bytes and Ray nests sessions/…/sockets/plasma_store
    # under the temp dir, so a pytest tmp_path is too deep: a short dir in /tmp instead.
    temp_dir = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))
    token_existed = AUTH_TOKEN.exists()
    started = time.perf_counter()
    process = cluster = None
    try:
        for _ in range(2):  # a second try only after a port race (below)
            if cluster is not None:
                stop(cluster)  # what the failed start left running
            port, client_port = free_ports(2)
            command = [sys.executable, "-m", "ray.scripts.scripts", "start", "--head",
                       "--node-ip-address=127.0.0.1", f"--port={port}", f"--ray-client-server-port={client_port}",
                       f"--temp-dir={temp_dir}", f"--num-cpus={num_cpus}",
                       f"--object-store-memory={object_store_mb * 1024 * 1024}",
                       "--include-dashboard=false", "--disable-usage-stats"]
            process = subprocess.Popen(command, env=cluster_env(), start_new_session=True, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            cluster = LocalCluster(f"127.0.0.1:{port}", temp_dir, process.pid, 0.0)
            output, _ = process.communicate(timeout=120)
            # Ray picks its other components' ports itself; one may take a port chosen here
            # between the probe and the start ("…port number … used by other components"):
            # a race, tried once more with new ports.
            if process.returncode == 0 or "used by other components" not in output:
                break
        if process.returncode != 0:
            raise RuntimeError(f"ray start failed ({process.returncode}):\n{output[-3000:]}")
        cluster.start_seconds = time.perf_counter() - started
        yield cluster
    finally:
        if process is not None and process.poll() is None:
            process.kill()
        if cluster is not None:
            stop(cluster)
        shutil.rmtree(temp_dir, ignore_errors=True)
        if not token_existed and AUTH_TOKEN.exists():  # only ever remove what this cluster wrote
            AUTH_TOKEN.unlink()
            with contextlib.suppress(OSError):
                AUTH_TOKEN.parent.rmdir()


def stop(cluster: LocalCluster, grace: float = 2.0) -> None:
    """SIGTERM the cluster's processes, SIGKILL what is left after `grace` seconds (the GCS
    server and raylet were seen still shutting down 15 s after SIGTERM: no point waiting)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in cluster.pids():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        deadline = time.monotonic() + (grace if sig == signal.SIGTERM else 5.0)
        while cluster.pids() and time.monotonic() < deadline:
            time.sleep(0.2)
