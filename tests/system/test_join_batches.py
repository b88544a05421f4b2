"""Joins of one queue that arrive together share script calls, and each keeps its own answer:
one place per visitor, places in arrival order, join limits per client within a call."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from service_kit.redis_client import redis_from_url
from waitroom.admission import AdmissionStore
from waitroom.queue.availability import REDIS_ERRORS
from waitroom.storage.embedded_redis import EmbeddedRedis
from waitroom.storage.keys import QueueKeys
from waitroom.storage.script_replies import JoinLimited, JoinLimits, JoinReply, JoinWindow


async def script_calls(redis: Redis) -> int:
    stats = await redis.info("commandstats")
    return int(stats.get("cmdstat_evalsha", {}).get("calls", 0))


def limits_of(queue_id: str, address: str, per_address: int) -> JoinLimits:
    keys = QueueKeys(queue_id)
    return JoinLimits(
        JoinWindow(keys.join_limit("address", address), per_address, 60_000),
        JoinWindow(keys.join_limit("network", "203.0.113.0/24"), 1000, 60_000),
    )


async def test_a_surge_of_joins_shares_calls_and_gets_distinct_places(
    redis: Redis, unique_id: str
) -> None:
    store = AdmissionStore(redis, default_burst=5)
    await store.configure(unique_id, {"rate_per_minute": 0})
    before = await script_calls(redis)
    replies = await asyncio.gather(
        *(store.join(unique_id, f"fan-{index}") for index in range(300))
    )
    calls = await script_calls(redis) - before
    positions = [reply.position for reply in replies if isinstance(reply, JoinReply)]
    assert positions == list(range(1, 301))  # arrival order, one place each
    assert 2 <= calls <= 10  # the first alone, the rest together (at most 200 per call)
    again = await asyncio.gather(store.join(unique_id, "fan-7"), store.join(unique_id, "fan-7"))
    assert [reply.position for reply in again if isinstance(reply, JoinReply)] == [8, 8]
    assert (await store.snapshot(unique_id)).tail == 300


async def test_join_limits_hold_inside_one_call(redis: Redis, unique_id: str) -> None:
    store = AdmissionStore(redis, default_burst=5)
    await store.configure(unique_id, {"rate_per_minute": 0})
    replies = await asyncio.gather(
        *(
            store.join(unique_id, f"fan-{index}", limits_of(unique_id, "203.0.113.7", 5))
            for index in range(12)
        ),
        store.join(unique_id, "other", limits_of(unique_id, "203.0.113.8", 5)),
    )
    limited = [reply for reply in replies if isinstance(reply, JoinLimited)]
    assert len(limited) == 7 and {reply.scope for reply in limited} == {"address"}
    assert all(0 < reply.retry_after_ms <= 60_000 for reply in limited)
    assert isinstance(replies[-1], JoinReply)  # another address of the network is not limited
    assert (await store.snapshot(unique_id)).tail == 6


async def test_a_joiner_who_goes_away_leaves_the_others_their_answers(
    redis: Redis, unique_id: str
) -> None:
    store = AdmissionStore(redis, default_burst=5)
    await store.configure(unique_id, {"rate_per_minute": 0})
    first = asyncio.ensure_future(store.join(unique_id, "first"))
    await asyncio.sleep(0)  # the first call is in flight; the next ones wait for it
    waiting = [asyncio.ensure_future(store.join(unique_id, f"fan-{index}")) for index in range(5)]
    await asyncio.sleep(0)
    waiting[2].cancel()
    replies = await asyncio.gather(first, *waiting, return_exceptions=True)
    assert isinstance(replies[3], asyncio.CancelledError)
    answered = [reply for reply in replies if isinstance(reply, JoinReply)]
    assert len(answered) == 5 and len({reply.position for reply in answered}) == 5
    assert (await store.join(unique_id, "later")).position == 6  # type: ignore[union-attr]


async def test_a_store_outage_fails_every_join_of_the_call_and_blocks_no_later_one(
    own_redis: EmbeddedRedis, unique_id: str
) -> None:
    redis = redis_from_url(own_redis.url)
    try:
        store = AdmissionStore(redis, default_burst=5)
        await store.configure(unique_id, {"rate_per_minute": 0})
        own_redis.kill()
        failed = await asyncio.gather(
            *(store.join(unique_id, f"fan-{index}") for index in range(20)),
            return_exceptions=True,
        )
        assert all(isinstance(reply, REDIS_ERRORS) for reply in failed), failed
        own_redis.restart()  # same port, same AOF: the queue is back
        replies = await asyncio.gather(
            *(store.join(unique_id, f"fan-{index}") for index in range(20))
        )
        assert sorted(reply.position for reply in replies if isinstance(reply, JoinReply)) == (
            list(range(1, 21))
        )
    finally:
        await redis.aclose()
