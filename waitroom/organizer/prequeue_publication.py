"""Public record of the fair pre-queue opening: ``GET /api/v1/queues/{queue_id}/prequeue``.

Before opening: the seed commitment and the sorted hashed ids of the fans in the pre-queue.
After opening: also the revealed seed, the first place given to the pre-queue and the hashed ids
in the order they were placed. The after-opening document is computed once and stored
(``prequeue_publication``); the before-opening list is cached in-process for a few seconds.
Verify with :func:`waitroom.queue.shuffle_verify.verify_shuffle` or ``waitroom verify-shuffle``.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import Response

from waitroom.admission import QueueSnapshot
from waitroom.fan.session import checked_queue_id
from waitroom.queue.shuffle_verify import hashed_visitor_id
from waitroom.storage.keys import QueueKeys
from waitroom.web.runtime import runtime_of

BEFORE_OPENING_CACHE_SECONDS = 5.0


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def before_opening(redis: Redis, snapshot: QueueSnapshot) -> dict[str, Any]:
    queue_id = snapshot.queue_id
    visitor_ids = await redis.lrange(QueueKeys(queue_id).prequeue, 0, -1)
    hashed = sorted(hashed_visitor_id(queue_id, _text(visitor)) for visitor in visitor_ids)
    return {
        "queue_id": queue_id,
        "opened": False,
        "opens_at": snapshot.config.opens_at,
        "shuffle_seed_sha256": snapshot.config.shuffle_seed_sha256,
        "count": len(hashed),
        "hashed_visitor_ids": hashed,
    }


async def after_opening(redis: Redis, snapshot: QueueSnapshot) -> bytes:
    queue_id = snapshot.queue_id
    keys = QueueKeys(queue_id)
    stored = await redis.get(keys.prequeue_publication)
    if stored is not None:
        return stored if isinstance(stored, bytes) else str(stored).encode()
    base_raw, size_raw = await redis.hmget(keys.counters, "prequeue_base", "prequeue_size")
    base, size = int(base_raw or 0), int(size_raw or 0)
    placed: list[tuple[int, str]] = []
    if size:
        async for visitor, position_raw in redis.hscan_iter(keys.visitors, count=1000):
            position = int(position_raw)
            if base < position <= base + size:
                placed.append((position, hashed_visitor_id(queue_id, _text(visitor))))
    placed.sort()
    document = {
        "queue_id": queue_id,
        "opened": True,
        "opens_at": snapshot.config.opens_at,
        "shuffle_seed_sha256": snapshot.config.shuffle_seed_sha256,
        "shuffle_seed": snapshot.config.shuffle_seed,
        "count": len(placed),
        "first_position": base + 1,
        "ordered_hashed_visitor_ids": [hashed for _, hashed in placed],
        "hashed_visitor_ids": sorted(hashed for _, hashed in placed),
    }
    payload = orjson.dumps(document)
    await redis.set(keys.prequeue_publication, payload, nx=True)
    return payload


def _app_cache(request: Request) -> dict[str, tuple[float, bytes]]:
    state = request.app.state
    cache: dict[str, tuple[float, bytes]] | None = getattr(state, "prequeue_cache", None)
    if cache is None:
        cache = {}
        state.prequeue_cache = cache
    return cache


async def publication_endpoint(request: Request) -> Response:
    runtime = runtime_of(request)
    queue_id = checked_queue_id(request.path_params["queue_id"])
    view = await runtime.views.get(queue_id)
    snapshot = view.snapshot
    if snapshot.opened:
        payload = await after_opening(runtime.redis, snapshot)
    else:
        cache = _app_cache(request)
        cached = cache.get(queue_id)
        now = time.monotonic()
        if cached is not None and now - cached[0] < BEFORE_OPENING_CACHE_SECONDS:
            payload = cached[1]
        else:
            payload = orjson.dumps(await before_opening(runtime.redis, snapshot))
            cache[queue_id] = (now, payload)
    return Response(
        payload, media_type="application/json", headers={"cache-control": "public, max-age=5"}
    )
