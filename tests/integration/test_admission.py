"""The admission engine against a real Redis: exact rate, burst cap, pause, pre-queue."""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.asyncio import Redis

from service_kit.errors import InvalidInput
from service_kit.redis_client import redis_from_url
from waitroom.admission import AdmissionStore, validate_config_update
from waitroom.errors import QueueNotFound, QueueNotJoinable
from waitroom.queue.shuffle_verify import hashed_visitor_id, shuffle_order
from waitroom.storage.keys import QueueKeys


async def settled_at_ms(redis: Redis, queue_id: str) -> int:
    return int(await redis.hget(QueueKeys(queue_id).counters, "last_ms") or 0)


async def join_many(
    store: AdmissionStore, queue_id: str, count: int, prefix: str = "fan"
) -> list[int]:
    results = await asyncio.gather(
        *(store.join(queue_id, f"{prefix}-{index:06d}-visitor") for index in range(count))
    )
    return [result.position for result in results]


async def test_positions_are_unique_and_dense_under_concurrency(
    redis: Redis, unique_id: str
) -> None:
    store = AdmissionStore(redis, default_burst=5)
    await store.configure(unique_id, {"rate_per_minute": 0})
    positions = await join_many(store, unique_id, 1000)
    assert sorted(positions) == list(range(1, 1001))


async def test_rejoin_returns_the_same_place(redis: Redis, unique_id: str) -> None:
    store = AdmissionStore(redis, default_burst=5)
    await store.configure(unique_id, {"rate_per_minute": 0})
    results = await asyncio.gather(*(store.join(unique_id, "same-visitor-0001") for _ in range(50)))
    assert {result.position for result in results} == {1}
    assert sum(result.is_new for result in results) == 1
    assert (await store.snapshot(unique_id)).tail == 1


async def test_serving_pointer_moves_at_exactly_the_rate(
    redis: Redis, redis_url: str, unique_id: str
) -> None:
    """Many concurrent advancing clients (like many processes) still admit exactly rate x time."""
    rate_per_minute = 6000
    store = AdmissionStore(redis, default_burst=5)
    await store.configure(unique_id, {"rate_per_minute": 0})
    await join_many(store, unique_id, 400)
    await store.configure(unique_id, {"rate_per_minute": rate_per_minute})
    started_ms = await settled_at_ms(redis, unique_id)
    second_client = redis_from_url(redis_url)
    try:
        other_store = AdmissionStore(second_client, default_burst=5)
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            await asyncio.gather(store.snapshot(unique_id), other_store.snapshot(unique_id))
            await asyncio.sleep(0.003)
        final = await other_store.snapshot(unique_id)
    finally:
        await second_client.aclose()
    expected = (final.redis_now_ms - started_ms) * rate_per_minute // 60000
    assert final.serving == expected
    assert 150 <= final.serving <= 260


async def test_idle_queue_banks_only_the_burst(redis: Redis, unique_id: str) -> None:
    store = AdmissionStore(redis, default_burst=5)
    await store.configure(unique_id, {"rate_per_minute": 60000, "burst": 3})
    await asyncio.sleep(0.3)
    assert (await store.snapshot(unique_id)).serving == 3
    positions = await join_many(store, unique_id, 10)
    snapshot = await store.snapshot(unique_id)
    assert sorted(positions) == list(range(1, 11))
    assert snapshot.serving <= snapshot.tail + 3


async def test_pause_stops_and_resume_does_not_burst(redis: Redis, unique_id: str) -> None:
    store = AdmissionStore(redis, default_burst=5)
    await store.configure(unique_id, {"rate_per_minute": 0})
    await join_many(store, unique_id, 300)
    await store.configure(unique_id, {"rate_per_minute": 6000, "state": "paused"})
    await asyncio.sleep(0.5)
    assert (await store.snapshot(unique_id)).serving == 0
    await store.configure(unique_id, {"state": "open"})
    resumed_ms = await settled_at_ms(redis, unique_id)
    await asyncio.sleep(0.3)
    snapshot = await store.snapshot(unique_id)
    assert snapshot.serving == (snapshot.redis_now_ms - resumed_ms) * 6000 // 60000


async def test_rate_change_settles_at_the_old_rate(redis: Redis, unique_id: str) -> None:
    store = AdmissionStore(redis, default_burst=5)
    await store.configure(unique_id, {"rate_per_minute": 0})
    await join_many(store, unique_id, 500)
    await store.configure(unique_id, {"rate_per_minute": 6000})
    first_ms = await settled_at_ms(redis, unique_id)
    await asyncio.sleep(0.4)
    await store.configure(unique_id, {"rate_per_minute": 12000})
    second_ms = await settled_at_ms(redis, unique_id)
    at_change = int(await redis.hget(QueueKeys(unique_id).counters, "serving") or 0)
    credit = int(float(await redis.hget(QueueKeys(unique_id).counters, "credit") or 0))
    assert at_change == (second_ms - first_ms) * 6000 // 60000
    await asyncio.sleep(0.3)
    snapshot = await store.snapshot(unique_id)
    expected = at_change + (credit + (snapshot.redis_now_ms - second_ms) * 12000) // 60000
    assert snapshot.serving == expected


async def test_prequeue_gets_a_seeded_random_order_then_fifo(redis: Redis, unique_id: str) -> None:
    store = AdmissionStore(redis, default_burst=5)
    await store.configure(unique_id, {"rate_per_minute": 0, "opens_at": time.time() + 0.6})
    early = [f"early-{index:04d}-visitor" for index in range(40)]
    results = [await store.join(unique_id, visitor) for visitor in early]
    assert {result.position for result in results} == {0}
    assert {result.outcome for result in results} == {"prequeue"}
    snapshot = await store.snapshot(unique_id)
    assert snapshot.in_prequeue and snapshot.prequeue_length == 40
    await asyncio.sleep(0.7)
    late = await store.join(unique_id, "late-arrival-visitor")
    assert late.position == 41
    seed = (await redis.hget(QueueKeys(unique_id).config, "shuffle_seed") or b"").decode()
    by_hash = {hashed_visitor_id(unique_id, visitor): visitor for visitor in early}
    expected_order = [by_hash[hashed] for hashed in shuffle_order(seed, by_hash)]
    for place, visitor in enumerate(expected_order, start=1):
        assert await store.position_of(unique_id, visitor) == place
    assert [await store.position_of(unique_id, visitor) for visitor in early] != list(range(1, 41))


@pytest.mark.parametrize("state", ["closed", "sold_out"])
async def test_closed_queue_takes_no_new_fans(redis: Redis, unique_id: str, state: str) -> None:
    store = AdmissionStore(redis, default_burst=5)
    await store.configure(unique_id, {"rate_per_minute": 60})
    kept = await store.join(unique_id, "already-in-visitor")
    await store.configure(unique_id, {"state": state})
    with pytest.raises(QueueNotJoinable):
        await store.join(unique_id, "newcomer-visitor-01")
    assert (await store.join(unique_id, "already-in-visitor")).position == kept.position


async def test_unknown_queue(redis: Redis, unique_id: str) -> None:
    store = AdmissionStore(redis, default_burst=5)
    with pytest.raises(QueueNotFound):
        await store.snapshot(unique_id)
    with pytest.raises(QueueNotFound):
        await store.join(unique_id, "someone-visitor-1")


@pytest.mark.parametrize(
    "fields",
    [
        {"rate_per_minute": -1},
        {"rate_per_minute": "60"},
        {"rate_per_minute": True},
        {"rate_per_minute": 10**12},
        {"burst": 0},
        {"state": "exploded"},
        {"opens_at": "tomorrow"},
        {"redirect_url": "javascript:alert(1)"},
        {"name": ["a"]},
        {"unknown_field": 1},
    ],
)
def test_bad_organizer_input_is_rejected(fields: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        validate_config_update(fields)
