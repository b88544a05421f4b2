"""Per-minute record of the serving pointer, for the dashboard's "admissions per minute" chart.

Each process's view cache calls :meth:`ServingHistory.maybe_record` after a refresh; it writes at
most once per ``RECORD_INTERVAL_SECONDS`` per queue (hash ``serving_by_minute``: minute -> pointer,
expiring after two days). Admissions in minute m = pointer(m) - pointer(m - 1).
"""

from __future__ import annotations

import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from waitroom.storage.keys import QueueKeys

RECORD_INTERVAL_SECONDS = 5.0
HISTORY_TTL_SECONDS = 2 * 24 * 3600


def serving_history_key(queue_id: str) -> str:
    return QueueKeys(queue_id).serving_by_minute


class ServingHistory:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._last_recorded: dict[str, float] = {}

    async def maybe_record(self, queue_id: str, redis_now_ms: int, serving: int) -> None:
        now = time.monotonic()
        if now - self._last_recorded.get(queue_id, float("-inf")) < RECORD_INTERVAL_SECONDS:
            return
        self._last_recorded[queue_id] = now
        key = serving_history_key(queue_id)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(key, str(redis_now_ms // 60_000), serving)
        pipe.expire(key, HISTORY_TTL_SECONDS)
        try:
            await pipe.execute()
        except (RedisError, OSError):
            return  # a missed sample only thins the chart; the queue itself is unaffected
