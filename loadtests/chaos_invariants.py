"""What must hold after a chaos run, checked from the stores and from the fans' own records.

- **places_unique**: no place was handed out twice: no two fans were given the same place by a
  join (clients), and no two visitors hold the same place in the store;
- **admissions_bounded**: the serving pointer never moved more than ``rate * time + burst``
  between any two samples (Redis time), and no fan was admitted at a place beyond
  ``rate * (time since the queue opened) + burst``;
- **no_oversell**: per tier, sold <= capacity and remaining + held + sold = capacity in the
  store, and the tickets of the stored orders match the sold figures;
- **acknowledged_orders_kept**: every order a fan got a 201 for is in the store, with its tickets;
- **errors_stop**: after each fault ended, the last error came within the bound;
- **errors_after_return**: after a store came back, at most one failed request per process
  of the apps that use it (its first, on a pooled connection to the dead server:
  docs/operations.md); after a worker restart, none;
- **queue_never_not_found**: no fan was told "queue not found" (404) for the run's queue, not
  even by the first joins after the queue Redis came back empty;
- **baseline_clean**: no error before the first fault;
- **no_500**: no answer was a 500 (an unhandled error; a store outage must give 503).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from loadtests.invariants import InvariantResult
from loadtests.request_log import RequestRecord
from loadtests.sampler import QueueSample

ROUNDING_PLACES = 1.0


@dataclass(frozen=True)
class Join:
    at: float
    position: int
    fan: str


def duplicate_joins(joins: Sequence[Join]) -> list[Join]:
    """Joins that got a place an earlier join of another fan already had."""
    first_fan: dict[int, str] = {}
    duplicates = []
    for join in sorted(joins, key=lambda item: item.at):
        holder = first_fan.setdefault(join.position, join.fan)
        if holder != join.fan:
            duplicates.append(join)
    return duplicates


def check_places_unique(joins: Sequence[Join], stored_positions: Sequence[int]) -> InvariantResult:
    duplicates = duplicate_joins(joins)
    stored = Counter(position for position in stored_positions if position > 0)
    stored_twice = {position: n for position, n in stored.items() if n > 1}
    ok = not duplicates and not stored_twice
    detail = (
        f"{len(joins)} joins by fans, {len(duplicates)} got a place another fan already had; "
        f"{len(stored)} places in the store, {len(stored_twice)} held by two visitors or more"
    )
    if duplicates:
        detail += f"; e.g. places {sorted({join.position for join in duplicates})[:10]}"
    return InvariantResult(
        "places_unique", ok, detail,
        {
            "joins": len(joins), "duplicate_joins": len(duplicates),
            "duplicate_places": sorted({join.position for join in duplicates}),
            "stored_places": len(stored), "stored_twice": len(stored_twice),
        },
    )


def pointer_excess(samples: Sequence[QueueSample], rate_per_minute: int, burst: int) -> float:
    """The most the pointer moved beyond ``rate * elapsed + burst`` between any two samples."""
    worst = float("-inf")
    lowest: float | None = None  # min over earlier samples of serving - rate * t
    for sample in sorted(samples, key=lambda item: item.redis_ms):
        level = sample.serving - rate_per_minute * sample.redis_ms / 60_000
        if lowest is not None:
            worst = max(worst, level - lowest - burst)
        lowest = level if lowest is None else min(lowest, level)
    return worst if worst != float("-inf") else 0.0


def fan_admission_excess(
    admitted: Sequence[tuple[float, int]], opened_at: float, rate_per_minute: int, burst: int
) -> float:
    """How far the highest admitted place ran beyond ``rate * (t - opened) + burst``."""
    return max(
        (
            position - (rate_per_minute * max(0.0, at - opened_at) / 60 + burst)
            for at, position in admitted
        ),
        default=0.0,
    )


def check_admissions_bounded(
    samples: Sequence[QueueSample],
    admitted: Sequence[tuple[float, int]],
    opened_at: float,
    rate_per_minute: int,
    burst: int,
) -> InvariantResult:
    store_excess = pointer_excess(samples, rate_per_minute, burst)
    fan_excess = fan_admission_excess(admitted, opened_at, rate_per_minute, burst)
    ok = bool(samples) and store_excess <= ROUNDING_PLACES and fan_excess <= ROUNDING_PLACES
    detail = (
        f"rate x time + burst ({rate_per_minute}/min, burst {burst}) never exceeded by more "
        f"than one place: pointer {store_excess:+.2f} places at worst over {len(samples)} "
        f"samples; {len(admitted)} fans admitted, highest place {fan_excess:+.2f} at worst"
    )
    return InvariantResult(
        "admissions_bounded", ok, detail,
        {
            "samples": len(samples), "pointer_excess_places": round(store_excess, 3),
            "fans_admitted": len(admitted), "fan_excess_places": round(fan_excess, 3),
        },
    )


def check_no_oversell(
    event: dict[str, Any], stock: dict[str, int], orders: dict[str, dict[str, Any]]
) -> InvariantResult:
    ticket_tiers = Counter(
        str(ticket.get("tier_id"))
        for order in orders.values()
        for ticket in order.get("tickets", [])
    )
    problems = []
    tiers = {}
    for tier in event.get("tiers", []):
        tier_id = tier["tier_id"]
        capacity, sold = int(tier["capacity"]), int(tier["sold"])
        balance = int(tier["remaining"]) + int(tier["held"]) + sold
        tiers[tier_id] = {
            "capacity": capacity, "sold": sold, "tickets_in_orders": ticket_tiers[tier_id]
        }
        if sold > capacity:
            problems.append(f"{tier_id}: {sold} sold of {capacity}")
        if balance != capacity:
            problems.append(f"{tier_id}: remaining + held + sold = {balance} != {capacity}")
        if ticket_tiers[tier_id] != sold:
            problems.append(f"{tier_id}: {ticket_tiers[tier_id]} tickets in orders, {sold} sold")
    total_sold = stock.get("sold_total")
    if total_sold is not None and total_sold != sum(ticket_tiers.values()):
        problems.append(f"store sold_total {total_sold} != {sum(ticket_tiers.values())} tickets")
    detail = "; ".join(
        f"{tier_id}: {figures['sold']} sold of {figures['capacity']}"
        for tier_id, figures in tiers.items()
    ) + f"; {len(orders)} orders in the store"
    if problems:
        detail += "; " + "; ".join(problems)
    return InvariantResult("no_oversell", bool(tiers) and not problems, detail, {"tiers": tiers})


def check_acknowledged_orders(
    bought: Sequence[dict[str, Any]], orders: dict[str, dict[str, Any]]
) -> InvariantResult:
    missing = [entry for entry in bought if entry["order_id"] not in orders]
    wrong = [
        entry for entry in bought
        if entry["order_id"] in orders
        and len(orders[entry["order_id"]].get("tickets", [])) != int(entry.get("tickets", 0))
    ]
    ok = not missing and not wrong
    detail = (
        f"{len(bought)} orders acknowledged to fans (201), {len(missing)} missing from the store, "
        f"{len(wrong)} with other tickets than acknowledged; "
        f"{len(orders) - (len(bought) - len(missing))} more orders in the store than acknowledged "
        "(answers lost in a fault, or made by the reconciler)"
    )
    return InvariantResult(
        "acknowledged_orders_kept", ok, detail,
        {"acknowledged": len(bought), "missing": [entry["order_id"] for entry in missing][:20],
         "stored": len(orders)},
    )


def check_errors_stop(recoveries: dict[str, float], bound_seconds: float) -> InvariantResult:
    """``recoveries``: per fault, seconds from its end to its last error (0: none after)."""
    late = {name: seconds for name, seconds in recoveries.items() if seconds > bound_seconds}
    detail = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in recoveries.items())
    return InvariantResult(
        "errors_stop", not late,
        f"last error after each fault's end (bound {bound_seconds:g} s): {detail or 'no faults'}",
        {"recovery_seconds": recoveries, "bound_seconds": bound_seconds},
    )


def check_errors_after_return(
    errors_after: dict[str, tuple[int, int]],
) -> InvariantResult:
    """``errors_after``: per fault, (errors after its end, errors allowed)."""
    over = {name: counts for name, counts in errors_after.items() if counts[0] > counts[1]}
    detail = ", ".join(
        f"{name} {errors} (allowed {allowed})" for name, (errors, allowed) in errors_after.items()
    )
    return InvariantResult(
        "errors_after_return", not over,
        f"errors after each fault's end: {detail or 'no faults'}",
        {"errors_after_end": {name: list(counts) for name, counts in errors_after.items()}},
    )


def check_queue_never_not_found(
    requests: Sequence[RequestRecord], probes: Sequence[int]
) -> InvariantResult:
    answered = sum(1 for record in requests if record.error.endswith("queue-not-found"))
    probed = sum(1 for status in probes if status == 404)
    return InvariantResult(
        "queue_never_not_found", answered == 0 and probed == 0,
        f"{answered} fan requests and {probed} of {len(probes)} joins sent the moment the "
        "queue Redis came back were answered 404 queue-not-found",
        {"fan_requests": answered, "probe_joins": probed, "probes": len(probes)},
    )


def check_baseline_clean(requests: Sequence[RequestRecord]) -> InvariantResult:
    errors = Counter(record.status for record in requests if record.failed)
    return InvariantResult(
        "baseline_clean", not errors,
        f"{len(requests)} requests before the first fault, errors by status: {dict(errors)}",
        {"requests": len(requests), "errors": dict(errors)},
    )


def check_no_500(requests: Sequence[RequestRecord]) -> InvariantResult:
    by_name: dict[str, int] = defaultdict(int)
    for record in requests:
        if record.status == 500:
            by_name[record.name] += 1
    return InvariantResult(
        "no_500", not by_name,
        f"{sum(by_name.values())} answers with status 500 (by request: {dict(by_name)})",
        {"by_request": dict(by_name)},
    )
