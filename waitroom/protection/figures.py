"""Abuse/fault figures of a queue for organizers: alerts, abandonment, active shop sessions."""

from __future__ import annotations

import time
from typing import Any

from waitroom.queue.availability import REDIS_ERRORS
from waitroom.storage.keys import QueueKeys
from waitroom.web.runtime import Runtime


async def protection_figures(runtime: Runtime, queue_id: str) -> dict[str, Any]:
    """``alerts`` (e.g. state lost), ``abandoned_total``, ``abandonment_rate`` (share of
    places passed by the pointer that had been abandoned) and ``active_sessions``."""
    keys = QueueKeys(queue_id)
    guard = runtime.views.state_guard
    try:
        async with runtime.redis.pipeline(transaction=False) as pipe:
            pipe.get(keys.abandoned_total)
            pipe.hget(keys.counters, "serving")
            pipe.zcount(keys.active_sessions, int(time.time()), "+inf")
            abandoned_raw, serving_raw, active = await pipe.execute()
        alerts = await guard.alerts(queue_id) if guard is not None else []
    except REDIS_ERRORS:
        return {"alerts": [{"kind": "store_unavailable"}]}
    abandoned = int(abandoned_raw or 0)
    passed = int(serving_raw or 0)
    return {
        "alerts": alerts,
        "abandoned_total": abandoned,
        "abandonment_rate": round(abandoned / passed, 4) if passed else 0.0,
        "active_sessions": int(active),
    }
