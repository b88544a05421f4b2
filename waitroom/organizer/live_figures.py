"""Everything the organizer dashboard shows, in one JSON document.

Sources (absent keys read as zero / none, so a queue without a shop or survey still works):
- the queue view (length, pointer, rate, measured outflow) and ``serving_by_minute``;
- ``active_sessions`` (sorted set, score = expiry unix s) and ``abandoned_total`` (abuse guard);
- the stock per event and its totals (:mod:`waitroom.queue.stock`, reported by the site) and
  ``sales_per_minute``; ``survey_results`` hash (fan pages);
- the audit log, replayed to draw the configured rate over time.
"""

from __future__ import annotations

import time
from typing import Any

from redis.asyncio import Redis

from waitroom.organizer import audit
from waitroom.queue.history import serving_history_key
from waitroom.queue.stock import stock_document
from waitroom.queue.view import QueueView
from waitroom.storage.keys import QueueKeys

SERIES_MINUTES = 30
SELL_OUT_WINDOW_MINUTES = 5


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _number(value: str) -> int | float | str:
    try:
        return int(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return value


def _int_map(raw: dict[Any, Any]) -> dict[int, int]:
    result: dict[int, int] = {}
    for name, value in raw.items():
        try:
            result[int(_text(name))] = int(float(_text(value)))
        except ValueError:
            continue
    return result


def admissions_series(pointer_by_minute: dict[int, int], now_minute: int) -> list[int]:
    """Admissions per minute for the last SERIES_MINUTES minutes (oldest first)."""
    minutes = range(now_minute - SERIES_MINUTES, now_minute + 1)
    known = sorted(pointer_by_minute)
    carried: dict[int, int | None] = {}
    last: int | None = None
    index = 0
    for minute in range(minutes.start - 1, minutes.stop):
        while index < len(known) and known[index] <= minute:
            last = pointer_by_minute[known[index]]
            index += 1
        carried[minute] = last
    series = []
    for minute in minutes:
        current, previous = carried[minute], carried[minute - 1]
        series.append(
            max(0, current - previous) if current is not None and previous is not None else 0
        )
    return series


def set_rate_series(
    entries: list[dict[str, Any]], current_rate: int, current_state: str, now_minute: int
) -> list[int]:
    """The configured rate at the end of each minute, replayed from the audit log."""
    changes = sorted(entries, key=lambda entry: float(entry.get("at", 0)))
    series = []
    for minute in range(now_minute - SERIES_MINUTES, now_minute + 1):
        end = (minute + 1) * 60
        rate: int | None = None
        state: str | None = None
        for entry in changes:
            if float(entry.get("at", 0)) > end:
                break
            fields = entry.get("changes") or {}
            if isinstance(fields.get("rate_per_minute"), int):
                rate = fields["rate_per_minute"]
            if isinstance(fields.get("state"), str):
                state = fields["state"]
        if rate is None:
            rate = current_rate
        if (state or current_state) != "open":
            rate = 0
        series.append(rate)
    return series


def sales_series(sales_by_minute: dict[int, int], now_minute: int) -> list[int]:
    return [
        sales_by_minute.get(minute, 0)
        for minute in range(now_minute - SERIES_MINUTES, now_minute + 1)
    ]


def predicted_sell_out(
    remaining: int | None, sales: list[int], now_seconds: float
) -> dict[str, float] | None:
    """remaining / recent sales rate (complete minutes of the last window plus this one)."""
    if remaining is None or remaining <= 0:
        return None
    recent = sales[-(SELL_OUT_WINDOW_MINUTES + 1) :]
    elapsed_minutes = SELL_OUT_WINDOW_MINUTES + (now_seconds % 60) / 60
    rate_per_minute = sum(recent) / elapsed_minutes
    if rate_per_minute <= 0:
        return None
    seconds = remaining / rate_per_minute * 60
    return {"seconds": round(seconds, 1), "at": round(now_seconds + seconds, 1)}


async def live_document(
    redis: Redis, view: QueueView, now_seconds: float | None = None
) -> dict[str, Any]:
    now = time.time() if now_seconds is None else now_seconds
    snapshot = view.snapshot
    queue_id = snapshot.queue_id
    keys = QueueKeys(queue_id)
    pipe = redis.pipeline(transaction=False)
    pipe.zcount(keys.part("active_sessions"), f"({now}", "+inf")
    pipe.get(keys.part("abandoned_total"))
    pipe.hgetall(keys.part("stock"))
    pipe.hgetall(keys.part("stock_events"))
    pipe.smembers(keys.part("stock_removed"))
    pipe.hgetall(keys.part("sales_per_minute"))
    pipe.hgetall(keys.part("survey_results"))
    pipe.hgetall(serving_history_key(queue_id))
    pipe.hmget(keys.counters, "priority_tail", "priority_serving")
    (
        active,
        abandoned,
        totals_raw,
        events_raw,
        removed_raw,
        sales_raw,
        survey_raw,
        history_raw,
        lane,
    ) = await pipe.execute()
    audit_entries = await audit.entries(redis, queue_id, 200)
    now_minute = int(now // 60)
    config = snapshot.config
    outflow_per_minute = view.outflow_per_second * 60
    wait_rate = outflow_per_minute or float(config.rate_per_minute)
    stock = stock_document(totals_raw, events_raw, removed_raw)
    sales = sales_series(_int_map(sales_raw), now_minute)
    remaining = stock.get("remaining_total") if stock else None
    cap = config.active_shopper_cap
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
        "survey_results": {
            _text(name): _number(_text(value)) for name, value in survey_raw.items()
        },
        "series": {
            "minute_start": (now_minute - SERIES_MINUTES) * 60,
            "admissions_per_minute": admissions_series(_int_map(history_raw), now_minute),
            "set_rate_per_minute": set_rate_series(
                audit_entries, config.rate_per_minute, config.state.value, now_minute
            ),
            "sales_per_minute": sales,
        },
        "audit": audit_entries[:20],
    }
