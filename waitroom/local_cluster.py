"""Start a real Redis Cluster on loopback from the embedded ``redis-server`` binary.

Used by the tests and the scaling benchmark: three (or more) masters, each a plain
``redis-server --cluster-enabled yes`` subprocess with its own data directory and free port,
joined with ``redis-cli --cluster create``. Nothing here is used by a production deployment,
which runs a managed or operator-run Redis/Valkey cluster (docs/deployment.md).
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from waitroom.embedded_redis import EmbeddedRedis, EmbeddedRedisError, redis_binary, stop_process
from waitroom.process_signals import StopRequested, stop_on_signals

CLUSTER_SLOTS = 16384
CLUSTER_BUS_PORT_OFFSET = 10000


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_cluster_port(taken: set[int]) -> int:
    """A loopback port whose cluster bus port (port + 10000) is free too (Redis needs both)."""
    for _ in range(1000):
        port = random.randint(20000, 45000)
        bus_port = port + CLUSTER_BUS_PORT_OFFSET
        if taken & {port, bus_port}:
            continue
        if _bindable(port) and _bindable(bus_port):
            return port
    raise EmbeddedRedisError("no free loopback port pair for a cluster node")


@dataclass
class LocalRedisCluster:
    """``masters`` redis-server processes in cluster mode, no replicas; use as a context manager."""

    masters: int = 3
    nodes: list[EmbeddedRedis] = field(default_factory=list, init=False)
    _temporary_dir: tempfile.TemporaryDirectory[str] | None = field(default=None, init=False)

    @property
    def seed_url(self) -> str:
        """A ``redis+cluster://`` URL naming one node (the client discovers the rest)."""
        return f"redis+cluster://127.0.0.1:{self.nodes[0].port}"

    @property
    def node_urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    def start(self, timeout_seconds: float = 20.0) -> LocalRedisCluster:
        if self.masters < 3:
            raise ValueError("redis-cli --cluster create needs at least three masters")
        self._temporary_dir = tempfile.TemporaryDirectory(prefix="waitroom-cluster-")
        root = Path(self._temporary_dir.name)
        try:
            taken: set[int] = set()
            for index in range(self.masters):
                port = free_cluster_port(taken)
                taken |= {port, port + CLUSTER_BUS_PORT_OFFSET}
                node = EmbeddedRedis(
                    port=port,
                    data_dir=root / f"node-{index}",
                    extra_args=(
                        "--cluster-enabled", "yes",
                        "--cluster-config-file", str(root / f"node-{index}" / "nodes.conf"),
                        "--cluster-node-timeout", "5000",
                    ),
                )
                self.nodes.append(node.start())
            self._create(timeout_seconds)
            self._wait_until_ok(timeout_seconds)
        except BaseException:
            self.stop()
            raise
        return self

    def _create(self, timeout_seconds: float) -> None:
        addresses = [f"127.0.0.1:{node.port}" for node in self.nodes]
        command = [
            str(redis_binary("redis-cli")), "--cluster", "create", *addresses,
            "--cluster-replicas", "0", "--cluster-yes",
        ]
        result = subprocess.run(
            command, capture_output=True, timeout=timeout_seconds, check=False
        )
        if result.returncode != 0:
            output = (result.stdout + result.stderr).decode(errors="replace")
            raise EmbeddedRedisError(f"redis-cli --cluster create failed: {output}")

    def _wait_until_ok(self, timeout_seconds: float) -> None:
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if all(self._cluster_state_ok(node.port) for node in self.nodes):
                return
            time.sleep(0.05)
        raise EmbeddedRedisError("the local cluster did not reach cluster_state:ok in time")

    @staticmethod
    def _cluster_state_ok(port: int) -> bool:
        result = subprocess.run(
            [str(redis_binary("redis-cli")), "-p", str(port), "cluster", "info"],
            capture_output=True, timeout=5, check=False,
        )
        return b"cluster_state:ok" in result.stdout

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
        self.nodes = []
        if self._temporary_dir is not None:
            self._temporary_dir.cleanup()
            self._temporary_dir = None

    def __enter__(self) -> LocalRedisCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """``python -m waitroom.local_cluster COMMAND...``: run COMMAND with ``REDIS_URL`` set to a
    fresh three-master local cluster (e.g. the whole test suite: ``... python -m pytest -q``)."""
    command = list(sys.argv[1:] if argv is None else argv)
    if not command:
        print(main.__doc__, file=sys.stderr)
        return 2
    try:
        # SIGTERM / SIGINT: the command is stopped first, then the cluster (exit 0)
        with stop_on_signals(), LocalRedisCluster() as cluster:
            environment = {**os.environ, "REDIS_URL": cluster.seed_url}
            child = subprocess.Popen(command, env=environment)
            try:
                return child.wait()
            finally:
                stop_process(child)  # a no-op once it has exited
    except StopRequested:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
