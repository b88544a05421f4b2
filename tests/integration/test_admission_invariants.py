"""Admission invariants, run against one Redis node and against a three-master Redis Cluster.

On the cluster the queues are chosen so their hash tags live on different masters, so each
invariant also shows that one queue's scripts run on one slot while queues spread over shards.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from service_kit.redis_client import is_cluster_url, redis_from_url
from tests.support.cluster import queue_ids_on_distinct_masters
from waitroom.admission import AdmissionStore, QueueSnapshot

QUEUE_COUNT = 3


@pytest.fixture
async def clients(any_redis_url: str) -> AsyncIterator[list[Redis]]:
    """Two independent clients (as two processes would hold) on the same Redis or cluster."""
    opened = [redis_from_url(any_redis_url), redis_from_url(any_redis_url)]
    try:
        yield opened
    finally:
        for client in opened:
            await client.aclose()


@pytest.fixture
async def queue_ids(any_redis_url: str, clients: list[Redis]) -> list[str]:
    prefix = "inv" + secrets.token_hex(2)
    if is_cluster_url(any_redis_url):
        return await queue_ids_on_distinct_masters(clients[0], QUEUE_COUNT, prefix)
    return [f"{prefix}{index}" for index in range(QUEUE_COUNT)]


def stores(clients: list[Redis]) -> list[AdmissionStore]:
    return [AdmissionStore(client, default_burst=10) for client in clients]


async def test_concurrent_joins_get_unique_contiguous_places(
    clients: list[Redis], queue_ids: list[str]
) -> None:
    first, second = stores(clients)
    visitors = [f"v{index}" for index in range(60)]
    for queue_id in queue_ids:
        await first.configure(queue_id, {"rate_per_minute": 0})
    joins = [
        store.join(queue_id, visitor)
        for queue_id in queue_ids
        for visitor in visitors
        for store in (first, second)  # every visitor joins twice, through both clients
    ]
    results = await asyncio.gather(*joins)
    for index, queue_id in enumerate(queue_ids):
        per_queue = results[index * 120 : (index + 1) * 120]
        positions = {}
        for visitor_index, visitor in enumerate(visitors):
            twice = per_queue[visitor_index * 2 : visitor_index * 2 + 2]
            assert twice[0].position == twice[1].position, "a rejoin must keep the place"
            positions[visitor] = twice[0].position
        assert sorted(positions.values()) == list(range(1, len(visitors) + 1)), queue_id
        assert sum(result.is_new for result in per_queue) == len(visitors)
        snapshot = await second.snapshot(queue_id)
        assert snapshot.tail == len(visitors)
    assert sorted(await first.queue_ids()) == sorted(
        set(await second.queue_ids()) | set(queue_ids)
    )


async def test_serving_pointer_moves_at_the_exact_rate_whoever_calls(
    clients: list[Redis], queue_ids: list[str]
) -> None:
    rate_per_minute = 6000  # 100 per second
    first, second = stores(clients)
    for queue_id in queue_ids:
        await first.configure(queue_id, {"rate_per_minute": 0, "burst": 1_000_000})
        await asyncio.gather(*(first.join(queue_id, f"v{index}") for index in range(400)))
    starts = [await first.configure(q, {"rate_per_minute": rate_per_minute}) for q in queue_ids]
    assert starts == [False] * len(queue_ids)
    before = [await first.snapshot(queue_id) for queue_id in queue_ids]

    async def hammer(store: AdmissionStore, queue_id: str, until: float) -> int:
        calls = 0
        while time.monotonic() < until:
            await store.snapshot(queue_id)
            calls += 1
        return calls

    until = time.monotonic() + 1.2
    calls = await asyncio.gather(
        *(hammer(store, queue_id, until) for store in (first, second) for queue_id in queue_ids)
    )
    assert min(calls) > 1
    after = [await second.snapshot(queue_id) for queue_id in queue_ids]
    for start, end in zip(before, after, strict=True):
        assert_exact_rate(start, end, rate_per_minute)
        assert end.serving <= end.tail


def assert_exact_rate(start: QueueSnapshot, end: QueueSnapshot, rate_per_minute: int) -> None:
    """Admissions between two reads equal rate x elapsed (Redis clock), up to the carried part."""
    elapsed_ms = end.redis_now_ms - start.redis_now_ms
    expected = rate_per_minute * elapsed_ms / 60_000
    admitted = end.serving - start.serving
    assert expected - 1 < admitted < expected + 1, (start.queue_id, admitted, expected)


async def test_idle_queue_banks_no_more_than_the_burst(
    clients: list[Redis], queue_ids: list[str]
) -> None:
    first, second = stores(clients)
    for queue_id in queue_ids:
        await first.configure(queue_id, {"rate_per_minute": 600_000, "burst": 5})
        for index in range(3):
            await second.join(queue_id, f"v{index}")
    await asyncio.sleep(0.2)  # 2,000 places' worth of time at this rate
    for queue_id in queue_ids:
        snapshot = await second.snapshot(queue_id)
        assert (snapshot.tail, snapshot.serving) == (3, 3 + 5)


async def test_pause_stops_admission_and_resume_releases_no_banked_capacity(
    clients: list[Redis], queue_ids: list[str]
) -> None:
    first, second = stores(clients)
    rate_per_minute = 60_000  # 1,000 per second
    for queue_id in queue_ids:
        await first.configure(queue_id, {"rate_per_minute": 0, "burst": 1_000_000})
        await asyncio.gather(*(first.join(queue_id, f"v{index}") for index in range(300)))
        await first.configure(queue_id, {"rate_per_minute": rate_per_minute, "state": "paused"})
    paused = [await second.snapshot(queue_id) for queue_id in queue_ids]
    await asyncio.sleep(0.3)
    still = [await second.snapshot(queue_id) for queue_id in queue_ids]
    assert [s.serving for s in still] == [s.serving for s in paused]
    for queue_id in queue_ids:
        await second.configure(queue_id, {"state": "open"})
    resumed = [await first.snapshot(queue_id) for queue_id in queue_ids]
    for pause_end, now in zip(still, resumed, strict=True):
        # only the time since the resume counts, not the 0.3 s spent paused (300 places)
        assert now.serving - pause_end.serving < 150


async def test_prequeue_opens_in_the_committed_shuffle_order(
    clients: list[Redis], queue_ids: list[str]
) -> None:
    first, second = stores(clients)
    opens_at = time.time() + 0.6
    visitors = [f"early{index}" for index in range(25)]
    for queue_id in queue_ids:
        await first.configure(queue_id, {"rate_per_minute": 60, "opens_at": opens_at})
        results = await asyncio.gather(*(second.join(queue_id, v) for v in visitors))
        assert {result.outcome for result in results} == {"prequeue"}
    await asyncio.sleep(max(0.0, opens_at - time.time()) + 0.1)
    for queue_id in queue_ids:
        snapshot = await first.snapshot(queue_id)
        assert snapshot.opened and snapshot.tail == len(visitors)
        seed = snapshot.config.shuffle_seed
        assert hashlib.sha256(seed.encode()).hexdigest() == snapshot.config.shuffle_seed_sha256
        expected = sorted(visitors, key=lambda v: published_order_key(seed, queue_id, v))
        places = {v: await second.position_of(queue_id, v) for v in visitors}
        assert sorted(visitors, key=lambda v: places[v] or 0) == expected
        assert sorted(places.values()) == list(range(1, len(visitors) + 1))


def published_order_key(seed: str, queue_id: str, visitor_id: str) -> tuple[str, str]:
    """The published pre-queue order: sha1(seed || hashed id), ties by the hashed id."""
    hashed = hashlib.sha1(f"waitroom-prequeue:{queue_id}:{visitor_id}".encode()).hexdigest()
    return hashlib.sha1((seed + hashed).encode()).hexdigest(), hashed
