"""Stock per event, reported by the protected site, and the queue state it decides.

Keys of the queue (hash tag ``{q:<id>}``):
- ``stock_events``: hash event id -> the event's figures (JSON: ``remaining``, ``capacity``,
  ``sold``, ``held``, ``tiers``, ``version``, ``updated_at``);
- ``stock``: hash of the totals over the events (``remaining_total``, ``capacity_total``,
  ``sold_total``, ``held_total``, ``events``, ``condition``, ``updated_at``); the ``view``
  script reads ``remaining_total`` with the queue snapshot (the fans' hint);
- ``sales_per_minute``: hash unix minute -> tickets sold (all events; refunds negative);
- ``stock_removed``: set of event ids the organizer removed from the queue.

Every write is one Lua step (``stock_report`` / ``stock_remove`` with the ``stock_state``
prelude) that stores the figures, recomputes the totals and decides the state: sold out when
every event the queue fronts has ``remaining == 0``; back to the state it had when stock
returns, unless the organizer set a state since.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis

from waitroom.errors import EventRemoved, QueueNotFound
from waitroom.queue.stock_reports import EventStockReport
from waitroom.storage.keys import QueueKeys
from waitroom.storage.scripts import QueueScripts

SALES_PER_MINUTE_TTL_SECONDS = 7 * 24 * 3600
TOTAL_FIELDS = ("remaining_total", "capacity_total", "sold_total", "held_total")


@dataclass(frozen=True, slots=True)
class StockOutcome:
    queue_state: str
    remaining_total: int
    state_changed: bool
    """The step sold the queue out, or reopened it."""
    stale: bool = False
    """The report was older (``version``) than the figures kept: only its sales counted."""
    removed: bool = False
    """A removal took figures away (the event had reported)."""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class QueueStock:
    """One per process, on the process's script loader."""

    def __init__(self, scripts: QueueScripts) -> None:
        self.scripts = scripts
        self.redis = scripts.redis

    async def report(self, queue_id: str, report: EventStockReport) -> StockOutcome:
        """Store one event's figures and settle the queue's state. Raises QueueNotFound,
        EventRemoved."""
        now = time.time()
        reply = await self.scripts.stock_report(
            queue_id,
            report.event_id,
            orjson.dumps(report.document(now)),
            report.version,
            now,
            SALES_PER_MINUTE_TTL_SECONDS,
            report.sold_by_minute,
        )
        if reply.outcome == "missing":
            raise QueueNotFound(queue_id)
        if reply.outcome == "removed":
            raise EventRemoved(queue_id, report.event_id)
        return StockOutcome(reply.state, reply.remaining_total, reply.changed, reply.flag)

    async def remove(self, queue_id: str, event_id: str) -> StockOutcome:
        """The queue no longer fronts ``event_id``: its figures go and its reports are refused
        until :meth:`restore`. Raises QueueNotFound."""
        reply = await self.scripts.stock_remove(queue_id, event_id, time.time())
        if reply.outcome == "missing":
            raise QueueNotFound(queue_id)
        return StockOutcome(
            reply.state, reply.remaining_total, reply.changed, removed=reply.flag
        )

    async def restore(self, queue_id: str, event_id: str) -> bool:
        """Accept ``event_id``'s reports again (its figures return with the next one)."""
        return bool(await self.redis.srem(QueueKeys(queue_id).stock_removed, event_id))


async def stock_figures(redis: Redis, queue_id: str) -> dict[str, Any] | None:
    """The stock per event and the totals, for organizers; None before any report."""
    keys = QueueKeys(queue_id)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hgetall(keys.stock)
        pipe.hgetall(keys.stock_events)
        pipe.smembers(keys.stock_removed)
        totals_raw, events_raw, removed_raw = await pipe.execute()
    return stock_document(totals_raw, events_raw, removed_raw)


def stock_document(
    totals_raw: dict[Any, Any], events_raw: dict[Any, Any], removed_raw: set[Any]
) -> dict[str, Any] | None:
    removed = sorted(_text(item) for item in removed_raw)
    if not events_raw and not removed:
        return None
    totals = {_text(name): _text(value) for name, value in totals_raw.items()}
    events: list[dict[str, Any]] = []
    for raw in events_raw.values():
        try:
            figures = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        if isinstance(figures, dict):
            events.append(figures)
    events.sort(key=lambda figures: str(figures.get("event_id", "")))
    return {
        # totals over the events; None when no event reports (every one was removed)
        **{name: _whole(totals.get(name)) for name in TOTAL_FIELDS},
        "sold_out": totals.get("condition") == "sold_out",
        "updated_at": _seconds(totals.get("updated_at")),
        "events": events,
        "removed_event_ids": removed,
    }


def _whole(value: str | None) -> int | None:
    try:
        return None if value is None else int(float(value))
    except ValueError:
        return None


def _seconds(value: str | None) -> float | None:
    try:
        return None if value is None else float(value)
    except ValueError:
        return None
