"""A background loop of one process: runs a round every few seconds until stopped, and stops
with a bounded wait (a round stuck in a network call never holds up a shutdown)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from redis.exceptions import RedisError

STOP_TIMEOUT_SECONDS = 15.0


class PeriodicWork:
    """Starts at once (call from inside the running loop, e.g. an app's lifespan).

    Stops on an event rather than on ``Task.cancel``: a cancellation that lands inside a
    Redis call's timeout block can be absorbed there (redis/redis-py#2551)."""

    def __init__(
        self,
        round_function: Callable[[], Awaitable[object]],
        interval_seconds: float,
        logger: logging.Logger,
        name: str,
    ) -> None:
        self._round = round_function
        self._interval_seconds = interval_seconds
        self._logger = logger
        self._name = name
        self._stop = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self._round()
            except (RedisError, OSError) as error:
                self._logger.warning("%s round failed: %s", self._name, error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._interval_seconds)

    async def stop(self, timeout_seconds: float = STOP_TIMEOUT_SECONDS) -> None:
        self._stop.set()
        done, _ = await asyncio.wait({self._task}, timeout=timeout_seconds)
        if not done:
            self._logger.warning("%s round still running at shutdown: cancelled", self._name)
            self._task.cancel()
        elif not self._task.cancelled() and self._task.exception() is not None:
            self._logger.error("%s failed", self._name, exc_info=self._task.exception())
