"""Sale side of a surge: the stock totals the waiting room keeps from the shop's reports
(``waitroom/queue/stock.py``), sampled during the run, and the sale invariants checked after it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from loadtests.invariants import InvariantResult
from waitroom.storage.keys import QueueKeys


@dataclass(frozen=True, slots=True)
class StockSample:
    wall_time: float
    capacity: int
    remaining: int
    held: int
    sold: int


async def sample_stock_until(
    redis: Redis, queue_id: str, interval_seconds: float, stop: asyncio.Event
) -> list[StockSample]:
    key = QueueKeys(queue_id).stock
    samples: list[StockSample] = []
    while True:
        raw = await redis.hmget(
            key, ["capacity_total", "remaining_total", "held_total", "sold_total"]
        )
        values = [int(value) for value in raw if value is not None]
        if len(values) == 4:
            samples.append(StockSample(time.time(), *values))
        if stop.is_set():
            return samples
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_seconds)


def check_stock_balance(
    samples: Sequence[StockSample], event: dict[str, Any]
) -> InvariantResult:
    """sold + held + remaining = capacity, per tier at the end and in total all along."""
    broken = [s for s in samples if s.remaining + s.held + s.sold != s.capacity]
    tiers = event.get("tiers", [])
    broken_tiers = [
        tier["tier_id"]
        for tier in tiers
        if tier["remaining"] + tier["held"] + tier["sold"] != tier["capacity"]
    ]
    sold = sum(tier["sold"] for tier in tiers)
    capacity = sum(tier["capacity"] for tier in tiers)
    ok = not broken and not broken_tiers and bool(samples)
    detail = f"{sold} sold of {capacity}; {len(samples)} stock samples balanced"
    if broken or broken_tiers:
        detail = f"unbalanced: {len(broken)} samples, tiers {broken_tiers}"
    if not samples:
        detail += " (the shop published no stock figures)"
    return InvariantResult(
        "stock_balance", ok, detail, {"sold": sold, "capacity": capacity, "samples": len(samples)}
    )


def check_buyer_limit(
    counters: Iterable[int], fan_totals: Sequence[int], greedy_bought: int, limit: int
) -> InvariantResult:
    """No buyer over the limit: the shop's per-buyer counters, what fans got, greedy retries."""
    over_counters = [value for value in counters if value > limit]
    over_fans = [total for total in fan_totals if total > limit]
    ok = not over_counters and not over_fans and greedy_bought == 0
    detail = (
        f"limit {limit}: {len(over_counters)} buyer counters over it, {len(over_fans)} fans over "
        f"it, {greedy_bought} greedy second purchases accepted"
    )
    return InvariantResult(
        "buyer_limit", ok, detail, {"fans": len(fan_totals), "most": max(fan_totals, default=0)}
    )


def check_sold_matches_orders(sold: int, fan_totals: Sequence[int]) -> InvariantResult:
    """Every ticket the shop counts as sold was confirmed to a fan, and the reverse."""
    bought = sum(fan_totals)
    histogram = dict(sorted(Counter(fan_totals).items()))
    return InvariantResult(
        "sold_matches_orders",
        bought == sold,
        f"shop sold {sold}, fans were confirmed {bought}; tickets per fan: {histogram}",
        {"sold": sold, "confirmed_to_fans": bought},
    )
