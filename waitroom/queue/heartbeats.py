"""Heartbeats: which places still have a page polling, at about one bit per fan.

The status poll is the hot path and must not write to Redis. Each process collects the
positions it saw polling in a set and flushes them once per interval with one script call per
queue (``heartbeat.lua``), which sets their bits in the current window's bitmap. The admission
script skips places without a bit in the current or previous window (see ``advance.lua``).
"""

from __future__ import annotations

import asyncio
import logging
import time

from redis.asyncio import Redis

from service_kit.lua import lua_source
from waitroom.queue.availability import REDIS_ERRORS
from waitroom.storage.keys import QueueKeys

FLUSH_CHUNK = 5000
logger = logging.getLogger(__name__)


def _script(name: str) -> str:
    return lua_source("waitroom.storage", name)


class HeartbeatRecorder:
    def __init__(self, redis: Redis, flush_interval_seconds: float) -> None:
        self.redis = redis
        self.flush_interval_seconds = flush_interval_seconds
        self._flush_script = redis.register_script(
            _script("abandonment") + _script("advance") + _script("heartbeat")
        )
        self._pending: dict[str, set[int]] = {}
        self._last_flush = time.monotonic()
        self._tasks: set[asyncio.Task[int]] = set()

    def seen(self, queue_id: str, position: int) -> None:
        """Records a poll (in memory); starts a background flush when one is due."""
        if position <= 0:
            return
        pending = self._pending.get(queue_id)
        if pending is None:
            pending = self._pending[queue_id] = set()
        pending.add(position)
        now = time.monotonic()
        if now - self._last_flush >= self.flush_interval_seconds:
            self._last_flush = now
            task = asyncio.get_running_loop().create_task(self.flush())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def flush(self) -> int:
        """Writes every pending heartbeat; returns the number of positions written."""
        pending, self._pending = self._pending, {}
        written = 0
        for queue_id, positions in pending.items():
            keys = QueueKeys(queue_id)
            ordered = sorted(positions)
            for start in range(0, len(ordered), FLUSH_CHUNK):
                chunk = ordered[start : start + FLUSH_CHUNK]
                try:
                    written += int(
                        await self._flush_script(
                            keys=[keys.config, keys.counters, keys.visitors, keys.prequeue],
                            args=chunk,
                        )
                    )
                except REDIS_ERRORS as error:
                    # fans poll again; losing one interval only delays their next bit
                    logger.warning("heartbeat flush failed for %s: %s", queue_id, error)
                    break
        return written

    async def close(self) -> None:
        for task in list(self._tasks):
            await task


async def was_skipped(redis: Redis, queue_id: str, position: int) -> bool:
    """True when the pointer passed this place because its page had stopped polling."""
    if position <= 0:
        return False
    try:
        return bool(await redis.getbit(QueueKeys(queue_id).part("skipped"), position))
    except REDIS_ERRORS:
        return True  # fail closed: no pass while the store cannot tell
