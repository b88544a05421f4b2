"""Audit log of organizer changes: who, what, when (a capped Redis list per queue, newest first)."""

from __future__ import annotations

import time
from typing import Any

import orjson
from redis.asyncio import Redis

from waitroom.storage.keys import QueueKeys

AUDIT_LOG_MAX_ENTRIES = 1000


async def record(
    redis: Redis, queue_id: str, actor: str, action: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """Append one entry and keep the newest ``AUDIT_LOG_MAX_ENTRIES``."""
    entry = {"at": round(time.time(), 3), "actor": actor, "action": action, "changes": changes}
    key = QueueKeys(queue_id).audit
    pipe = redis.pipeline(transaction=True)
    pipe.lpush(key, orjson.dumps(entry))
    pipe.ltrim(key, 0, AUDIT_LOG_MAX_ENTRIES - 1)
    await pipe.execute()
    return entry


async def entries(redis: Redis, queue_id: str, limit: int = 50) -> list[dict[str, Any]]:
    raw = await redis.lrange(QueueKeys(queue_id).audit, 0, max(0, limit - 1))
    result: list[dict[str, Any]] = []
    for item in raw:
        try:
            entry = orjson.loads(item)
        except orjson.JSONDecodeError:
            continue
        if isinstance(entry, dict):
            result.append(entry)
    return result
