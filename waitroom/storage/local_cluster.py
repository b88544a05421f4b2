"""Start a real Redis Cluster on loopback from the embedded ``redis-server`` binary.

Used by the tests, the scaling benchmark and the chaos suite: three (or more) masters, each a
plain ``redis-server --cluster-enabled yes`` subprocess with its own data directory and free port,
joined with ``redis-cli --cluster create``; optionally with replicas (``replicas_per_master``),
so that killing a master promotes its replica (Redis Cluster failover), as in production.
Nothing here is used by a production deployment, which runs a managed or operator-run
Redis/Valkey cluster (docs/deployment.md).
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

from redis.crc import key_slot

from service_kit.process_signals import StopRequested, stop_on_signals
from waitroom.errors import EmbeddedRedisError
from waitroom.storage.embedded_redis import EmbeddedRedis, redis_binary, stop_process

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


@dataclass(frozen=True)
class ClusterNodeView:
    """One line of ``CLUSTER NODES`` as a live node sees it."""

    node_id: str
    port: int
    flags: frozenset[str]
    master_id: str
    link_state: str
    slot_ranges: tuple[tuple[int, int], ...]

    @property
    def is_master(self) -> bool:
        return "master" in self.flags and not self.is_failed

    @property
    def is_failed(self) -> bool:
        return bool(self.flags & {"fail", "fail?", "noaddr"})

    def owns(self, slot: int) -> bool:
        return any(first <= slot <= last for first, last in self.slot_ranges)


def parse_cluster_nodes(text: str) -> list[ClusterNodeView]:
    """Parse ``CLUSTER NODES`` output (import/migration markers in brackets are skipped)."""
    views = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 8:
            continue
        address = parts[1].split("@", 1)[0]
        ranges = []
        for item in parts[8:]:
            if item.startswith("["):
                continue
            first, _, last = item.partition("-")
            ranges.append((int(first), int(last or first)))
        views.append(
            ClusterNodeView(
                node_id=parts[0],
                port=int(address.rsplit(":", 1)[1]),
                flags=frozenset(parts[2].split(",")),
                master_id=parts[3],
                link_state=parts[7],
                slot_ranges=tuple(ranges),
            )
        )
    return views


@dataclass
class LocalRedisCluster:
    """``masters`` redis-server processes in cluster mode, each with ``replicas_per_master``
    replicas; use as a context manager. ``node_timeout_ms`` is how long a master may be
    unreachable before its replica takes over (Redis's ``cluster-node-timeout``)."""

    masters: int = 3
    replicas_per_master: int = 0
    node_timeout_ms: int = 5000
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
            for index in range(self.masters * (1 + self.replicas_per_master)):
                port = free_cluster_port(taken)
                taken |= {port, port + CLUSTER_BUS_PORT_OFFSET}
                node = EmbeddedRedis(
                    port=port,
                    data_dir=root / f"node-{index}",
                    extra_args=(
                        "--cluster-enabled", "yes",
                        "--cluster-config-file", str(root / f"node-{index}" / "nodes.conf"),
                        "--cluster-node-timeout", str(self.node_timeout_ms),
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
            "--cluster-replicas", str(self.replicas_per_master), "--cluster-yes",
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
            if all(self._cluster_state_ok(node.port) for node in self.nodes) and (
                self._replicas_in_sync()
            ):
                return
            time.sleep(0.05)
        raise EmbeddedRedisError("the local cluster did not reach cluster_state:ok in time")

    def _replicas_in_sync(self) -> bool:
        """Every master has its replicas, and each replica has finished its first sync."""
        views = self.topology()
        replicas = [view for view in views if "slave" in view.flags]
        if len(replicas) != self.masters * self.replicas_per_master:
            return False
        return all(
            b"master_link_status:up" in _cli(view.port, "info", "replication")
            for view in replicas
        )

    @staticmethod
    def _cluster_state_ok(port: int) -> bool:
        return b"cluster_state:ok" in _cli(port, "cluster", "info")

    # -- faults: which node serves a key, kill it, watch the failover -------------------------
    def topology(self) -> list[ClusterNodeView]:
        """The cluster as the first live node sees it (empty when no node answers)."""
        for node in self.nodes:
            if node.process is not None:
                output = _cli(node.port, "cluster", "nodes")
                if output:
                    return parse_cluster_nodes(output.decode(errors="replace"))
        return []

    def node_on_port(self, port: int) -> EmbeddedRedis:
        for node in self.nodes:
            if node.port == port:
                return node
        raise EmbeddedRedisError(f"no node of this cluster on port {port}")

    def master_for_key(self, key: str) -> EmbeddedRedis:
        """The live master that owns ``key``'s slot."""
        slot = key_slot(key.encode())
        for view in self.topology():
            if view.is_master and view.owns(slot):
                return self.node_on_port(view.port)
        raise EmbeddedRedisError(f"no live master owns slot {slot}")

    def replicas_of(self, master: EmbeddedRedis) -> list[EmbeddedRedis]:
        views = self.topology()
        master_ids = {view.node_id for view in views if view.port == master.port}
        return [
            self.node_on_port(view.port)
            for view in views
            if "slave" in view.flags and view.master_id in master_ids
        ]

    def wait_for_new_master(
        self, key: str, old_master: EmbeddedRedis, timeout_seconds: float = 30.0
    ) -> EmbeddedRedis:
        """After ``old_master`` died: wait until another node serves ``key``'s slot as master
        and the cluster is ``ok`` again on every live node; returns the new master."""
        slot = key_slot(key.encode())
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            live = [node for node in self.nodes if node.process is not None]
            for node in live:
                if node.port == old_master.port:
                    continue
                mine = [
                    view
                    for view in parse_cluster_nodes(
                        _cli(node.port, "cluster", "nodes").decode(errors="replace")
                    )
                    if "myself" in view.flags
                ]
                if mine and mine[0].is_master and mine[0].owns(slot) and all(
                    self._cluster_state_ok(other.port) for other in live
                ):
                    return node
            time.sleep(0.05)
        raise EmbeddedRedisError(f"no replica took over slot {slot} in {timeout_seconds} s")

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


def _cli(port: int, *command: str) -> bytes:
    """``redis-cli -p PORT COMMAND...`` output (empty when the node does not answer)."""
    try:
        result = subprocess.run(
            [str(redis_binary("redis-cli")), "-p", str(port), *command],
            capture_output=True, timeout=5, check=False,
        )
    except subprocess.TimeoutExpired:
        return b""
    return result.stdout if result.returncode == 0 else b""


def main(argv: list[str] | None = None) -> int:
    """``python -m waitroom.storage.local_cluster COMMAND...``: run COMMAND with ``REDIS_URL`` set
    to a fresh three-master local cluster (e.g. the whole test suite:
    ``... python -m pytest -q``)."""
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
