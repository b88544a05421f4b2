"""The in-process queue view hands out a waiting frame only while the view is fresh."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from waitroom.admission import AdmissionStore
from waitroom.errors import QueueUnavailable
from waitroom.queue.view import QueueViewCache

REFRESH_SECONDS = 0.2


async def test_waiting_frame_only_from_a_fresh_view_of_an_open_queue(
    redis: Redis, unique_id: str
) -> None:
    store = AdmissionStore(redis, default_burst=5)
    await store.configure(unique_id, {"rate_per_minute": 1, "state": "open"})
    place = (await store.join(unique_id, "fan-000001-visitor")).position
    views = QueueViewCache(store, REFRESH_SECONDS)
    assert views.waiting_frame(unique_id) is None  # never read: the caller reads it
    view = await views.get(unique_id)
    frame = views.waiting_frame(unique_id)
    assert frame is not None
    assert (frame.serving, frame.tail, frame.epoch) == (
        view.snapshot.serving,
        view.snapshot.tail,
        view.snapshot.epoch,
    )
    assert frame.holds(view.snapshot.epoch, place) == (place > view.snapshot.serving)
    views.invalidate(unique_id)
    assert views.waiting_frame(unique_id) is None
    await views.get(unique_id)
    assert views.waiting_frame(unique_id) is not None
    await asyncio.sleep(REFRESH_SECONDS * 1.5)
    assert views.waiting_frame(unique_id) is None  # due for a refresh
    await store.configure(unique_id, {"state": "paused"})
    await views.get(unique_id)
    assert views.waiting_frame(unique_id) is None  # nobody waits in a paused queue


async def test_no_frame_right_after_the_store_failed(redis: Redis, unique_id: str) -> None:
    store = AdmissionStore(redis, default_burst=5)
    await store.configure(unique_id, {"rate_per_minute": 1, "state": "open"})
    views = QueueViewCache(store, REFRESH_SECONDS)
    await views.get(unique_id)
    assert views.waiting_frame(unique_id) is not None
    # the store becomes unreachable (nothing listens on port 1)
    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    views.store = AdmissionStore(unreachable, default_burst=5)
    views.invalidate(unique_id)
    try:
        with pytest.raises(QueueUnavailable):
            await views.get(unique_id)
        # the last good frame is not handed out while the store is failing
        assert views.waiting_frame(unique_id) is None
    finally:
        await unreachable.aclose()
