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

from waitroom.queue.availability import REDIS_ERRORS
from waitroom.storage.scripts import QueueScripts

FLUSH_CHUNK = 5000
logger = logging.getLogger(__name__)


class HeartbeatRecorder:
    def __init__(self, scripts: QueueScripts, flush_interval_seconds: float) -> None:
        self.scripts = scripts
        self.flush_interval_seconds = flush_interval_seconds
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
            ordered = sorted(positions)
            for start in range(0, len(ordered), FLUSH_CHUNK):
                chunk = ordered[start : start + FLUSH_CHUNK]
                try:
                    written += await self.scripts.heartbeat(queue_id, chunk)
                except REDIS_ERRORS as error:
                    # fans poll again; losing one interval only delays their next bit
                    logger.warning("heartbeat flush failed for %s: %s", queue_id, error)
                    break
        return written

    async def close(self) -> None:
        for task in list(self._tasks):
            await task
