"""The faults a chaos run injects, one after another, while fans keep coming.

Each fault kills something with SIGKILL (a crash, not a shutdown) and brings it back the way
production would: Redis restarted on the same port and data directory (or empty: the data is
lost), a uvicorn worker restarted by uvicorn's own supervisor, a cluster master replaced by its
replica (Redis Cluster failover). A fault returns the moment it ended: when the store or
process was back (or the replica promoted) and able to serve again.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from loadtests.chaos_system import STARTUP_TIMEOUT_SECONDS, ChaosSystem
from loadtests.servers import ServeProcess
from waitroom.storage.embedded_redis import EmbeddedRedis
from waitroom.storage.keys import QueueKeys

WORKER_RESTART_TIMEOUT_SECONDS = 30.0
PROBE_JOINS = 3


@dataclass
class FaultTimes:
    injected: float
    """Unix seconds of the kill."""
    ended: float
    """Unix seconds when the component was back."""
    notes: list[str] = field(default_factory=list)
    probes: list[int] = field(default_factory=list)
    """HTTP statuses of the joins sent the moment the component was back (0: no answer)."""


FaultAction = Callable[[ChaosSystem, float], Awaitable[FaultTimes]]


@dataclass(frozen=True)
class Fault:
    name: str
    scenario: str
    """``standalone`` (one queue Redis) or ``cluster`` (the queue store is a Redis Cluster)."""
    description: str
    action: FaultAction
    store_users: tuple[str, ...] = ()
    """The apps that talk to what this fault kills (a store, or the waiting room for the
    shop's connector): after it returns, each of their processes may fail its first request
    (docs/operations.md); nothing else may fail."""


async def _kill_and_restart(server: EmbeddedRedis, down_seconds: float, empty: bool) -> FaultTimes:
    injected = time.time()
    await asyncio.to_thread(server.kill)
    await asyncio.sleep(down_seconds)
    notes = []
    if empty:
        assert server.data_dir is not None
        removed = [item for item in server.data_dir.iterdir() if item.suffix in {".aof", ".rdb"}]
        for item in removed:
            item.unlink()
        names = ", ".join(item.name for item in removed) or "none"
        notes.append(f"data files removed before the restart: {names}")
    await asyncio.to_thread(server.restart)
    return FaultTimes(injected, time.time(), notes)


def _store(system: ChaosSystem) -> EmbeddedRedis:
    if system.queue_redis is None:
        raise ValueError("this fault needs the standalone queue Redis")
    return system.queue_redis


async def queue_redis_kill(system: ChaosSystem, down_seconds: float) -> FaultTimes:
    return await _kill_and_restart(_store(system), down_seconds, empty=False)


async def queue_redis_empty(system: ChaosSystem, down_seconds: float) -> FaultTimes:
    """Restarted empty; the first joins after it come from new fans (an app, no page, no
    token) before anyone polls: the queue must not answer them "queue not found"."""
    times = await _kill_and_restart(_store(system), down_seconds, empty=True)
    answers = await _probe_joins(system, PROBE_JOINS)
    times.probes = [status for status, _ in answers]
    times.notes.append(
        "joins sent the moment Redis was back answered "
        + ", ".join(f"{status} {kind}".strip() for status, kind in answers)
    )
    return times


async def _probe_joins(system: ChaosSystem, count: int) -> list[tuple[int, str]]:
    """(status, problem type of a refusal) of ``count`` joins, each by a new fan."""
    url = f"{system.waitroom.base_url}/api/v1/queues/{system.queue_id}/join"
    answers: list[tuple[int, str]] = []
    for _ in range(count):
        async with httpx.AsyncClient(timeout=10) as client:  # a new fan each time
            try:
                response = await client.post(url)
            except httpx.HTTPError as error:
                answers.append((0, type(error).__name__))
                continue
        kind = ""
        if response.status_code >= 400:
            kind = str(response.json().get("type", "")).rsplit("/", 1)[-1] or response.text[:80]
        answers.append((response.status_code, kind))
    return answers


async def sale_redis_kill(system: ChaosSystem, down_seconds: float) -> FaultTimes:
    return await _kill_and_restart(system.sale_redis, down_seconds, empty=False)


async def _kill_worker(server: ServeProcess) -> FaultTimes:
    """SIGKILL one worker; uvicorn's supervisor starts a new one. Ends when the new worker
    process is running (requests keep going to the surviving worker meanwhile)."""
    before = server.worker_pids()
    if not before:
        raise RuntimeError("no worker process to kill")
    victim = before[0]
    injected = time.time()
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + WORKER_RESTART_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        now = server.worker_pids()
        if victim not in now and len(now) >= len(before):
            new = sorted(set(now) - set(before))
            return FaultTimes(
                injected, time.time(),
                [f"worker {victim} killed; uvicorn's supervisor started worker {new}"],
            )
        await asyncio.sleep(0.05)
    raise RuntimeError(f"the killed worker {victim} was not replaced (uvicorn did not restart it)")


async def waitroom_worker_kill(system: ChaosSystem, down_seconds: float) -> FaultTimes:
    return await _kill_worker(system.waitroom)


async def shop_worker_kill(system: ChaosSystem, down_seconds: float) -> FaultTimes:
    return await _kill_worker(system.shop)


async def waitroom_restart(system: ChaosSystem, down_seconds: float) -> FaultTimes:
    """SIGKILL the whole waiting room (supervisor and workers) and start it again on the same
    port, as an init system would, while fans shop: ends when it is ready again. The shop's
    connector calls (claims, session checks and ends, stock reports) meet it gone and back."""
    server = system.waitroom
    workers = len(server.worker_pids())
    injected = time.time()
    await asyncio.to_thread(server.kill)
    await asyncio.to_thread(server.start, STARTUP_TIMEOUT_SECONDS)
    ended = time.time()
    return FaultTimes(
        injected, ended,
        [f"the waiting room (supervisor and {workers} workers) killed; started again on the "
         f"same port, ready after {ended - injected:.1f} s"],
    )


async def cluster_master_kill(system: ChaosSystem, down_seconds: float) -> FaultTimes:
    """SIGKILL the master that owns the queue's slot; ends when its replica is promoted and the
    cluster is ``ok``. The old master is then restarted and rejoins as a replica."""
    cluster = system.cluster
    if cluster is None:
        raise ValueError("this fault needs the cluster queue store")
    key = QueueKeys(system.queue_id).config
    master = await asyncio.to_thread(cluster.master_for_key, key)
    replicas = await asyncio.to_thread(cluster.replicas_of, master)
    injected = time.time()
    await asyncio.to_thread(master.kill)
    promoted = await asyncio.to_thread(cluster.wait_for_new_master, key, master)
    ended = time.time()
    await asyncio.to_thread(master.restart)
    return FaultTimes(
        injected, ended,
        [
            f"master :{master.port} killed (replicas {[node.port for node in replicas]}); "
            f"replica :{promoted.port} promoted after {ended - injected:.1f} s "
            f"(cluster-node-timeout {system.settings.cluster_node_timeout_ms} ms); "
            f"the old master restarted and rejoined as a replica",
        ],
    )


BOTH_APPS = ("waitroom", "shop")  # the shop reads passes and publishes stock in the queue store

FAULTS: dict[str, Fault] = {
    fault.name: fault
    for fault in (
        Fault("queue-redis-kill", "standalone",
              "kill -9 of the queue Redis, restarted with its data (AOF)", queue_redis_kill,
              BOTH_APPS),
        Fault("queue-redis-empty", "standalone",
              "kill -9 of the queue Redis, restarted empty (data lost)", queue_redis_empty,
              BOTH_APPS),
        Fault("sale-redis-kill", "standalone",
              "kill -9 of the sale Redis, restarted from its AOF (appendfsync always)",
              sale_redis_kill, ("shop",)),
        Fault("waitroom-worker-kill", "standalone",
              "kill -9 of one waiting-room uvicorn worker", waitroom_worker_kill),
        Fault("shop-worker-kill", "standalone",
              "kill -9 of one shop uvicorn worker", shop_worker_kill),
        Fault("waitroom-restart", "standalone",
              "kill -9 of the whole waiting room, started again on the same port",
              waitroom_restart, ("shop",)),
        Fault("cluster-master-kill", "cluster",
              "kill -9 of the cluster master owning the queue's slot (replica promoted)",
              cluster_master_kill, BOTH_APPS),
    )
}
