"""The in-process queue view: one view per refresh, handed out without I/O only while fresh."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from waitroom.admission import AdmissionStore
from waitroom.errors import QueueUnavailable
from waitroom.queue.view import QueueViewCache

REFRESH_SECONDS = 0.2


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
    views = QueueViewCache(store, REFRESH_SECONDS)
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
