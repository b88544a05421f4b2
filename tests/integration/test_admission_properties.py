"""Property-based tests of the admission engine (hypothesis, real Redis, real Lua)."""

from __future__ import annotations

import asyncio
import secrets

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service_kit.redis_client import redis_from_url
from waitroom.admission import AdmissionStore
from waitroom.storage.keys import QueueKeys

PROPERTY_SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def fresh_queue_id() -> str:
    return "p" + secrets.token_hex(6)


@PROPERTY_SETTINGS
@given(
    visitors=st.lists(st.sampled_from([f"visitor{n:02d}" for n in range(12)]), max_size=40),
    burst=st.integers(min_value=1, max_value=5),
)
def test_one_place_per_visitor_and_places_are_dense(
    redis_url: str, visitors: list[str], burst: int
) -> None:
    async def scenario() -> None:
        redis = redis_from_url(redis_url)
        try:
            store = AdmissionStore(redis, default_burst=burst)
            queue_id = fresh_queue_id()
            await store.configure(queue_id, {"rate_per_minute": 0, "burst": burst})
            places: dict[str, int] = {}
            for visitor in visitors:
                result = await store.join(queue_id, visitor)
                assert places.setdefault(visitor, result.position) == result.position
            assert sorted(places.values()) == list(range(1, len(places) + 1))
            snapshot = await store.snapshot(queue_id)
            assert snapshot.tail == len(places)
            assert snapshot.serving <= snapshot.tail + burst
        finally:
            await redis.aclose()

    asyncio.run(scenario())


@PROPERTY_SETTINGS
@given(
    fans=st.integers(min_value=1, max_value=40),
    left=st.sets(st.integers(min_value=1, max_value=40)),
    burst=st.integers(min_value=1, max_value=5),
)
def test_gone_fans_never_use_capacity(
    redis_url: str, fans: int, left: set[int], burst: int
) -> None:
    """However places are abandoned, the pointer skips exactly those and admits every live fan;
    it still stops ``burst`` places past the tail."""
    left = {place for place in left if place <= fans}

    async def scenario() -> None:
        redis = redis_from_url(redis_url)
        try:
            store = AdmissionStore(redis, default_burst=burst)
            queue_id = fresh_queue_id()
            await store.configure(
                queue_id, {"rate_per_minute": 0, "burst": burst, "abandon_after_seconds": 0}
            )
            for number in range(fans):
                await store.join(queue_id, f"fan{number}")
            keys = QueueKeys(queue_id)
            for place in left:
                await redis.setbit(keys.left, place, 1)
            await store.configure(queue_id, {"rate_per_minute": 10_000_000})
            await asyncio.sleep(0.01)
            snapshot = await store.snapshot(queue_id)
            assert snapshot.serving == fans + burst
            assert int(await redis.get(keys.abandoned_total) or 0) == len(left)
            for place in range(1, fans + 1):
                skipped = await redis.getbit(keys.skipped, place)
                assert skipped == (1 if place in left else 0)
        finally:
            await redis.aclose()

    asyncio.run(scenario())


@PROPERTY_SETTINGS
@given(rates=st.lists(st.integers(min_value=0, max_value=600_000), min_size=1, max_size=6))
def test_the_pointer_never_goes_back_nor_past_the_burst(redis_url: str, rates: list[int]) -> None:
    """No admitted place is ever taken back (the pointer's reach into the places handed out
    never shrinks); the pointer stays within the burst of the tail, and at rate 0 (paused) it
    keeps no room past the tail at all."""

    async def scenario() -> None:
        redis = redis_from_url(redis_url)
        try:
            store = AdmissionStore(redis, default_burst=3)
            queue_id = fresh_queue_id()
            await store.configure(queue_id, {"rate_per_minute": 0})
            previous = 0
            for number, rate in enumerate(rates):
                await store.join(queue_id, f"fan{number}")
                await store.configure(queue_id, {"rate_per_minute": rate})
                snapshot = await store.snapshot(queue_id)
                admitted = min(snapshot.serving, snapshot.tail)
                assert previous <= admitted and snapshot.serving <= snapshot.tail + 3
                if rate == 0:
                    assert snapshot.serving <= snapshot.tail
                previous = admitted
        finally:
            await redis.aclose()

    asyncio.run(scenario())
