"""Everything the organizer dashboard shows, in one JSON document.

Sources (absent keys read as zero / none, so a queue without a shop or survey still works):
- the queue view (length, pointer, rate, measured outflow);
- ``admissions_by_minute`` (:mod:`waitroom.queue.history`): admissions and skipped places per
  minute, drawn apart (a skipped place is a fan who had gone, not an admission);
- ``rate_changes`` (:mod:`waitroom.queue.rate_history`): the rate in force over time;
- ``active_sessions`` (sorted set, score = expiry unix s) and ``abandoned_total`` (abuse guard);
- the stock per event and its totals (:mod:`waitroom.queue.stock`, reported by the site) and
  ``sales_per_minute``; the survey counts of the fan pages (:mod:`waitroom.fan.survey_answers`);
- the audit log, in words (:mod:`waitroom.organizer.audit_words`).
"""

from __future__ import annotations

import math
import time
from datetime import tzinfo
from typing import Any

from redis.asyncio import Redis

from waitroom.fan.survey_definitions import Survey
from waitroom.organizer import audit
from waitroom.organizer.audit_words import readable
from waitroom.organizer.survey_results import survey_results
from waitroom.queue.history import PointerTotals, admissions_history_key, parse_history
from waitroom.queue.rate_history import rate_changes, set_rate_series
from waitroom.queue.stock import stock_document
from waitroom.queue.view import QueueView
from waitroom.storage.keys import QueueKeys

SERIES_MINUTES = 30
SELL_OUT_WINDOW_MINUTES = 5
AUDIT_ENTRIES_SHOWN = 20


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _int_map(raw: dict[Any, Any]) -> dict[int, int]:
    result: dict[int, int] = {}
    for name, value in raw.items():
        try:
            result[int(_text(name))] = int(float(_text(value)))
        except ValueError:
            continue
    return result


def admissions_series(
    history: dict[int, PointerTotals], now_minute: int
) -> tuple[list[int], list[int]]:
    """Admissions and skipped places per minute for the last SERIES_MINUTES minutes (oldest
    first): differences of the totals recorded at the end of each minute, carried over minutes
    without a record."""
    minutes = range(now_minute - SERIES_MINUTES, now_minute + 1)
    known = sorted(history)
    carried: dict[int, PointerTotals | None] = {}
    last: PointerTotals | None = None
    index = 0
    for minute in range(minutes.start - 1, minutes.stop):
        while index < len(known) and known[index] <= minute:
            last = history[known[index]]
            index += 1
        carried[minute] = last
    admitted, skipped = [], []
    for minute in minutes:
        current, previous = carried[minute], carried[minute - 1]
        if current is None or previous is None:
            admitted.append(0)
            skipped.append(0)
            continue
        admitted.append(max(0, current.admitted - previous.admitted))
        skipped.append(max(0, current.skipped - previous.skipped))
    return admitted, skipped


def sales_series(sales_by_minute: dict[int, int], now_minute: int) -> list[int]:
    return [
        sales_by_minute.get(minute, 0)
        for minute in range(now_minute - SERIES_MINUTES, now_minute + 1)
    ]


def predicted_sell_out(
    remaining: int | None, sales: list[int], now_seconds: float
) -> dict[str, Any] | None:
    """When the tickets left run out at the measured sales rate (None: nothing to forecast).

    The rate is tickets sold over the last SELL_OUT_WINDOW_MINUTES minutes (the complete ones
    and the one under way), counted from the first minute with a sale when the sale began
    within the window, so its first minutes are not diluted by the quiet before; at least one
    minute. Refunds count as negative sales."""
    if remaining is None or remaining <= 0:
        return None
    recent = sales[-(SELL_OUT_WINDOW_MINUTES + 1) :]
    first_sale = next((index for index, count in enumerate(recent) if count > 0), None)
    if first_sale is None:
        return None
    into_minute = (now_seconds % 60) / 60
    elapsed_minutes = max(1.0, len(recent) - 1 - first_sale + into_minute)
    sold = sum(recent[first_sale:])
    rate_per_minute = sold / elapsed_minutes
    if rate_per_minute <= 0:
        return None
    seconds = remaining / rate_per_minute * 60
    return {
        "seconds": round(seconds, 1),
        "at": round(now_seconds + seconds, 1),
        "remaining": remaining,
        "sales_per_minute": round(rate_per_minute, 2),
        "window_minutes": round(elapsed_minutes, 2),
        "method": (
            f"{remaining} tickets left ÷ {rate_per_minute:.1f} sold per minute "
            f"(measured over the last {math.ceil(elapsed_minutes)} min)"
        ),
    }


async def live_document(
    redis: Redis,
    view: QueueView,
    surveys: tuple[Survey, ...],
    zone: tzinfo,
    now_seconds: float | None = None,
) -> dict[str, Any]:
    now = time.time() if now_seconds is None else now_seconds
    snapshot = view.snapshot
    queue_id = snapshot.queue_id
    keys = QueueKeys(queue_id)
    now_minute = int(now // 60)
    first_minute = now_minute - SERIES_MINUTES
    async with redis.pipeline(transaction=False) as pipe:
        pipe.zcount(keys.active_sessions, f"({now}", "+inf")
        pipe.get(keys.abandoned_total)
        pipe.hgetall(keys.stock)
        pipe.hgetall(keys.stock_events)
        pipe.smembers(keys.stock_removed)
        pipe.hgetall(keys.sales_per_minute)
        pipe.hgetall(admissions_history_key(queue_id))
        pipe.hmget(keys.counters, "priority_tail", "priority_serving")
        (
            active,
            abandoned,
            totals_raw,
            events_raw,
            removed_raw,
            sales_raw,
            history_raw,
            lane,
        ) = await pipe.execute()
    audit_entries = await audit.entries(redis, queue_id, AUDIT_ENTRIES_SHOWN)
    changes = await rate_changes(redis, queue_id, first_minute * 60)
    config = snapshot.config
    outflow_per_minute = view.outflow_per_second * 60
    wait_rate = outflow_per_minute or float(config.rate_per_minute)
    stock = stock_document(totals_raw, events_raw, removed_raw)
    sales = sales_series(_int_map(sales_raw), now_minute)
    remaining = stock.get("remaining_total") if stock else None
    cap = config.active_shopper_cap
    admitted, skipped = admissions_series(parse_history(history_raw), now_minute)
    return {
        "queue_id": queue_id,
        "now": round(now, 3),
        "state": config.state.value,
        "prequeue": not snapshot.opened,
        "opens_at": config.opens_at,
        "rate_per_minute": config.rate_per_minute,
        "measured_outflow_per_minute": round(outflow_per_minute, 2),
        "queue_length": snapshot.queue_length,
        "prequeue_length": snapshot.prequeue_length,
        # the pointer may run up to `burst` places past the last place handed out
        "admitted_total": min(snapshot.serving, snapshot.tail),
        # fans let in: places passed, less the skipped ones, plus the priority lane's
        "fans_admitted_total": max(
            0, min(snapshot.serving, snapshot.tail) - int(abandoned or 0) + int(lane[1] or 0)
        ),
        "priority_waiting": max(0, int(lane[0] or 0) - int(lane[1] or 0)),
        "priority_admitted_total": int(lane[1] or 0),
        "last_fan_wait_seconds": (
            round(snapshot.queue_length / wait_rate * 60, 1) if wait_rate > 0 else None
        ),
        "abandoned_total": int(abandoned or 0),
        "active_shoppers": int(active),
        "active_shopper_cap": cap,
        "stock": stock,
        "predicted_sell_out": predicted_sell_out(
            remaining if isinstance(remaining, int) else None, sales, now
        ),
        "survey_results": await survey_results(redis, queue_id, surveys),
        "series": {
            "minute_start": first_minute * 60,
            "admissions_per_minute": admitted,
            "skipped_per_minute": skipped,
            "set_rate_per_minute": set_rate_series(changes, first_minute, now_minute, now),
            "sales_per_minute": sales,
        },
        "audit": [readable(entry, zone) for entry in audit_entries],
    }
