"""The in-process queue view: one view per refresh, handed out without I/O only while fresh."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest
from redis.asyncio import Redis

from waitroom.admission import AdmissionStore
from waitroom.errors import QueueUnavailable
from waitroom.queue.view import QueueViewCache
from waitroom.storage.embedded_redis import EmbeddedRedis

REFRESH_SECONDS = 0.5
"""Long enough that a busy machine does not pause the test between a read and its check."""


async def test_fresh_view_only_between_refreshes(redis: Redis, unique_id: str) -> None:
    store = AdmissionStore(redis, default_burst=5)
    await store.configure(unique_id, {"rate_per_minute": 1, "state": "open"})
    place = (await store.join(unique_id, "fan-000001-visitor")).position
    views = QueueViewCache(store, REFRESH_SECONDS)
    assert views.fresh(unique_id) is None  # never read: the caller reads it
    view = await views.get(unique_id)
    assert views.fresh(unique_id) is view  # the same view until the next refresh
    assert await views.get(unique_id) is view
    assert view.snapshot.tail >= place
    views.invalidate(unique_id)
    assert views.fresh(unique_id) is None
    refreshed = await views.get(unique_id)
    assert refreshed is not view and views.fresh(unique_id) is refreshed
    await asyncio.sleep(REFRESH_SECONDS * 1.5)
    assert views.fresh(unique_id) is None  # due for a refresh
    await store.configure(unique_id, {"state": "paused"})
    paused = await views.get(unique_id)
    assert views.fresh(unique_id) is paused  # every state has a view; the fan status decides
    assert paused.snapshot.config.state.value == "paused"
    assert views.fresh("never-read-" + unique_id) is None


async def test_no_fresh_view_right_after_the_store_failed(redis: Redis, unique_id: str) -> None:
    store = AdmissionStore(redis, default_burst=5)
    await store.configure(unique_id, {"rate_per_minute": 1, "state": "open"})
    # a refresh interval no pause of a busy machine outlasts: the view read is still fresh
    views = QueueViewCache(store, refresh_seconds=30.0)
    await views.get(unique_id)
    assert views.fresh(unique_id) is not None
    # the store becomes unreachable (nothing listens on port 1)
    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    views.store = AdmissionStore(unreachable, default_burst=5)
    views.invalidate(unique_id)
    try:
        with pytest.raises(QueueUnavailable):
            await views.get(unique_id)
        # the last good view is not handed out while the store is failing
        assert views.fresh(unique_id) is None
        assert views.last_known(unique_id) is not None  # still there for the fail-closed answer
    finally:
        await unreachable.aclose()


async def test_reads_right_after_the_store_returns_are_not_refused(
    own_redis: EmbeddedRedis, unique_id: str
) -> None:
    """A read failed moments ago; once Redis listens again, the next reads go through (one
    of them checks Redis for everybody), not refused until the failure is a refresh old."""
    client = Redis.from_url(own_redis.url, socket_timeout=2)
    store = AdmissionStore(client, default_burst=5)
    await store.configure(unique_id, {"rate_per_minute": 1, "state": "open"})
    views = QueueViewCache(store, refresh_seconds=5.0)
    try:
        await views.get(unique_id)
        own_redis.kill()
        views.invalidate(unique_id)
        with pytest.raises(QueueUnavailable):
            await views.get(unique_id)
        own_redis.restart()  # with its data (AOF, fsync always)
        answers = await asyncio.gather(
            *(views.get(unique_id) for _ in range(50)), return_exceptions=True
        )
        assert [answer for answer in answers if isinstance(answer, BaseException)] == []
    finally:
        await client.aclose()


async def test_while_redis_hangs_one_read_waits_for_it_and_the_others_are_refused_soon(
    own_redis: EmbeddedRedis, unique_id: str
) -> None:
    """Redis stopped answering (SIGSTOP: connections are accepted, nothing is answered) after
    a failed read: one read checks it and waits for the client's timeout; the others are
    refused within about a refresh interval instead of all waiting for that timeout."""
    client = Redis.from_url(own_redis.url, socket_timeout=3)
    store = AdmissionStore(client, default_burst=5)
    await store.configure(unique_id, {"rate_per_minute": 1, "state": "open"})
    views = QueueViewCache(store, refresh_seconds=0.2)
    await views.get(unique_id)
    own_redis.kill()
    views.invalidate(unique_id)
    with pytest.raises(QueueUnavailable):
        await views.get(unique_id)
    own_redis.restart()
    assert own_redis.process is not None
    await client.connection_pool.disconnect()  # the probe must open a connection and wait
    os.kill(own_redis.process.pid, signal.SIGSTOP)
    try:
        probe = asyncio.create_task(views.get(unique_id))
        await asyncio.sleep(0.05)  # the probe is waiting for the frozen Redis
        started = time.monotonic()
        others = await asyncio.gather(
            *(views.get(unique_id) for _ in range(20)), return_exceptions=True
        )
        assert all(isinstance(answer, QueueUnavailable) for answer in others), others
        assert time.monotonic() - started < 1.0
        assert not probe.done()
    finally:
        os.kill(own_redis.process.pid, signal.SIGCONT)
    await asyncio.wait_for(probe, 5)  # Redis answers again: the probe's read succeeds
    assert (await views.get(unique_id)).snapshot.queue_id == unique_id
    await client.aclose()
