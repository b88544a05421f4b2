"""Per-minute record of what the serving pointer did, for the dashboard's admissions chart.

The pointer passes two kinds of places: fans who are let in (admissions) and places whose fan had
gone (abandoned or left: skipped without using the rate, see ``lua/abandonment.lua``); fans in
the priority lane are let in without moving it. Each process's view cache calls
:meth:`ServingHistory.maybe_record` after a refresh; at most once per ``RECORD_INTERVAL_SECONDS``
per queue it reads, in one transaction (a consistent snapshot), the places passed (the pointer,
never beyond the last place handed out), ``abandoned_total`` and ``priority_serving``, and
writes them under the current minute (hash ``admissions_by_minute``: minute -> "passed,skipped,
priority", expiring after two days). In minute m: admissions = (passed + priority - skipped)(m) -
(...)(m - 1), skipped places = skipped(m) - skipped(m - 1).
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

from redis.asyncio import Redis
from redis.exceptions import RedisError

from waitroom.storage.keys import QueueKeys

RECORD_INTERVAL_SECONDS = 5.0
HISTORY_TTL_SECONDS = 2 * 24 * 3600


class PointerTotals(NamedTuple):
    """Totals since the queue began, as recorded at the end of a minute."""

    passed: int
    """Places the serving pointer passed (admitted or skipped), at most the last place given."""
    skipped: int
    """Places passed because their fan had gone (``abandoned_total``)."""
    priority: int
    """Fans let in from the priority lane (``priority_serving``)."""

    @property
    def admitted(self) -> int:
        return self.passed - self.skipped + self.priority


def admissions_history_key(queue_id: str) -> str:
    return QueueKeys(queue_id).admissions_by_minute


def _whole(value: Any) -> int:
    try:
        return int(value.decode() if isinstance(value, bytes) else value or 0)
    except ValueError:
        return 0


def parse_history(raw: dict[Any, Any]) -> dict[int, PointerTotals]:
    """The stored hash as minute -> totals (unreadable entries are left out)."""
    history: dict[int, PointerTotals] = {}
    for minute_raw, value_raw in raw.items():
        try:
            minute = int(minute_raw.decode() if isinstance(minute_raw, bytes) else minute_raw)
            text = value_raw.decode() if isinstance(value_raw, bytes) else str(value_raw)
            passed, skipped, priority = (int(part) for part in text.split(","))
        except ValueError:
            continue
        history[minute] = PointerTotals(passed, skipped, priority)
    return history


class ServingHistory:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._last_recorded: dict[str, float] = {}

    async def maybe_record(self, queue_id: str, redis_now_ms: int) -> None:
        now = time.monotonic()
        if now - self._last_recorded.get(queue_id, float("-inf")) < RECORD_INTERVAL_SECONDS:
            return
        self._last_recorded[queue_id] = now
        keys = QueueKeys(queue_id)
        try:
            async with self.redis.pipeline(transaction=True) as read:
                read.hmget(keys.counters, "serving", "tail", "priority_serving")
                read.get(keys.abandoned_total)
                (serving, tail, priority), skipped = await read.execute()
            totals = PointerTotals(
                min(_whole(serving), _whole(tail)), _whole(skipped), _whole(priority)
            )
            key = admissions_history_key(queue_id)
            async with self.redis.pipeline(transaction=False) as write:
                write.hset(
                    key,
                    str(redis_now_ms // 60_000),
                    f"{totals.passed},{totals.skipped},{totals.priority}",
                )
                write.expire(key, HISTORY_TTL_SECONDS)
                await write.execute()
        except (RedisError, OSError):
            return  # a missed sample only thins the chart; the queue itself is unaffected
