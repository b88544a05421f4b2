"""The admission rate as it was set over time, for the dashboard's "set" line.

Every change of what the queue admits (the organizer's rate, state or opening time, a sell-out
or reopening by stock, an autotune step) appends the queue's settings after the change, with
the time, to the capped list ``rate_changes`` (newest first). The rate in force at a moment t is
then the entry's ``rate_per_minute`` when its ``state`` is ``open`` and t is past its
``opens_at``, else 0 (paused, closed, sold out, still in the pre-queue). Each minute of the
chart shows the time-weighted average over that minute, so a change at 10:00:30 from 60 to 0
draws 30 for the minute 10:00, which is what the pointer could admit in it.
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

import orjson
from redis.asyncio import Redis

from waitroom.admission import QueueConfig
from waitroom.storage.keys import QueueKeys

RATE_CHANGES_KEPT = 2000


class RateChange(NamedTuple):
    at: float
    rate_per_minute: int
    state: str
    opens_at: float
    source: str
    """Who changed it: ``organizer``, ``stock`` or ``autotune``."""

    def rate_at(self, moment: float) -> float:
        """The rate this setting admits at ``moment`` (0 when it admits nobody)."""
        if self.state != "open" or moment < self.opens_at:
            return 0.0
        return float(self.rate_per_minute)


def rate_changes_key(queue_id: str) -> str:
    return QueueKeys(queue_id).rate_changes


async def record_rate(
    redis: Redis, queue_id: str, config: QueueConfig, source: str, at: float | None = None
) -> RateChange:
    """Append the queue's settings ``config`` (read after the change) to its rate history."""
    change = RateChange(
        round(time.time() if at is None else at, 3),
        config.rate_per_minute,
        config.state.value,
        config.opens_at,
        source,
    )
    key = rate_changes_key(queue_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.lpush(key, orjson.dumps(change._asdict()))
        pipe.ltrim(key, 0, RATE_CHANGES_KEPT - 1)
        await pipe.execute()
    return change


async def rate_changes(redis: Redis, queue_id: str, since: float) -> list[RateChange]:
    """The changes from the last one before ``since`` on, oldest first."""
    raw = await redis.lrange(rate_changes_key(queue_id), 0, RATE_CHANGES_KEPT - 1)
    changes: list[RateChange] = []
    for item in raw:  # newest first
        change = _parse(item)
        if change is None:
            continue
        changes.append(change)
        if change.at <= since:
            break
    changes.reverse()
    return changes


def _parse(item: Any) -> RateChange | None:
    try:
        data = orjson.loads(item)
        return RateChange(
            float(data["at"]),
            int(data["rate_per_minute"]),
            str(data["state"]),
            float(data["opens_at"]),
            str(data.get("source", "")),
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


def set_rate_series(
    changes: list[RateChange], first_minute: int, last_minute: int, now_seconds: float
) -> list[float | None]:
    """The average rate in force in each minute ``first_minute..last_minute`` (unix minutes),
    up to ``now_seconds`` for the current one; None before the first known change."""
    series: list[float | None] = []
    for minute in range(first_minute, last_minute + 1):
        start = minute * 60.0
        end = min(start + 60.0, now_seconds)
        if end <= start:
            series.append(None)
            continue
        series.append(_average(changes, start, end))
    return series


def _average(changes: list[RateChange], start: float, end: float) -> float | None:
    """Time-weighted average over [start, end) of the rate in force; None when nothing was
    known for any of it. A setting with an opening time inside the span counts from there."""
    total = 0.0
    known = 0.0
    for index, change in enumerate(changes):
        begins = max(change.at, start)
        ends = min(changes[index + 1].at if index + 1 < len(changes) else end, end)
        if ends <= begins:
            continue
        # the opening time splits the span: nothing before it, the rate after it
        opening = min(max(change.opens_at, begins), ends)
        total += change.rate_at(ends) * (ends - opening) if change.state == "open" else 0.0
        known += ends - begins
    if known <= 0:
        return None
    return round(total / known, 2)
