"""Invariants checked after each surge. Each check returns an :class:`InvariantResult`.

- admissions follow the set rate: between two samples with the same settings, an open queue that
  is not capped by its burst admits ``rate * elapsed`` places (Redis time) within one place, and a
  paused queue admits none; over each constant-rate stretch the error is within 1 % (or 1 place);
- no position issued twice: the visitors hash holds every place 1..tail exactly once;
- no 5xx answers, and the failure ratio stays under the threshold (locust statistics).
"""

from __future__ import annotations

import csv
import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtests.sampler import QueueSample

RATE_TOLERANCE = 0.01
ROUNDING_PLACES = 1.0 + 1e-6


@dataclass(frozen=True)
class InvariantResult:
    name: str
    ok: bool
    detail: str
    figures: dict[str, Any] = field(default_factory=dict)


def _same_settings(first: QueueSample, second: QueueSample) -> bool:
    return (first.state, first.rate_per_minute, first.burst, first.opens_at) == (
        second.state, second.rate_per_minute, second.burst, second.opens_at
    )


def expected_admissions(first: QueueSample, second: QueueSample) -> float | None:
    """Places the pointer must move between two samples, or None when the interval says
    nothing exact (settings changed, or the burst cap may have held the pointer back)."""
    if not _same_settings(first, second) or second.redis_ms < first.redis_ms:
        return None
    if second.serving >= first.tail + first.burst:
        return None  # the pointer may have reached the cap (tail + burst): no exact figure
    if first.state != "open" or first.rate_per_minute == 0:
        return 0.0
    opens_ms = first.opens_at * 1000
    start_ms = max(first.redis_ms, opens_ms)
    if second.redis_ms <= start_ms:
        return 0.0
    return first.rate_per_minute * (second.redis_ms - start_ms) / 60_000


def check_admission_rate(samples: Sequence[QueueSample]) -> InvariantResult:
    stretches: list[tuple[int, float, float]] = []  # (rate, admitted, expected)
    worst_interval = 0.0
    checked_ms = 0
    current: list[float] | None = None
    current_rate = -1
    frozen_moves = 0
    for first, second in itertools.pairwise(samples):
        expected = expected_admissions(first, second)
        if expected is None:
            if current is not None:
                stretches.append((current_rate, current[0], current[1]))
            current = None
            continue
        admitted = second.serving - first.serving
        worst_interval = max(worst_interval, abs(admitted - expected))
        if expected == 0 and admitted != 0:
            frozen_moves += admitted  # paused or not open yet: the pointer must not move
        checked_ms += second.redis_ms - first.redis_ms
        if current is None or current_rate != first.rate_per_minute:
            if current is not None:
                stretches.append((current_rate, current[0], current[1]))
            current, current_rate = [0.0, 0.0], first.rate_per_minute
        current[0] += admitted
        current[1] += expected
    if current is not None:
        stretches.append((current_rate, current[0], current[1]))
    bad = [
        (rate, admitted, expected)
        for rate, admitted, expected in stretches
        if abs(admitted - expected) > max(ROUNDING_PLACES, RATE_TOLERANCE * expected)
    ]
    total_admitted = sum(admitted for _, admitted, _ in stretches)
    total_expected = sum(expected for _, _, expected in stretches)
    figures = {
        "checked_seconds": round(checked_ms / 1000, 2),
        "stretches": [
            {"rate_per_minute": rate, "admitted": admitted, "expected": round(expected, 2)}
            for rate, admitted, expected in stretches
        ],
        "admitted_in_checked_time": total_admitted,
        "expected_in_checked_time": round(total_expected, 2),
        "worst_interval_error_places": round(worst_interval, 3),
        "admitted_while_paused": frozen_moves,
    }
    if checked_ms == 0:
        return InvariantResult("admission_rate", False, "no interval could be checked", figures)
    ok = not bad and worst_interval <= ROUNDING_PLACES and frozen_moves == 0
    detail = (
        f"{total_admitted:.0f} admitted vs {total_expected:.1f} expected at the set rates over "
        f"{checked_ms / 1000:.1f} s in {len(stretches)} stretches (each within one place or "
        f"1 %); worst interval off by {worst_interval:.2f} places"
    )
    if bad:
        detail += f"; stretches off by more than 1 %: {bad}"
    if frozen_moves:
        detail += f"; {frozen_moves} admitted while paused or before opening"
    return InvariantResult("admission_rate", ok, detail, figures)


def check_unique_positions(positions: Iterable[int], tail: int) -> InvariantResult:
    placed = [position for position in positions if position > 0]
    counts = Counter(placed)
    duplicates = {position: count for position, count in counts.items() if count > 1}
    missing = tail - len(counts)
    out_of_range = [position for position in counts if position > tail]
    ok = not duplicates and missing == 0 and not out_of_range
    detail = f"{len(placed)} places for tail {tail}"
    if duplicates:
        detail += f"; issued twice: {dict(list(duplicates.items())[:10])}"
    if missing:
        detail += f"; {missing} places of 1..tail held by nobody"
    if out_of_range:
        detail += f"; beyond the tail: {out_of_range[:10]}"
    return InvariantResult(
        "unique_positions", ok, detail, {"places": len(placed), "tail": tail}
    )


def check_admitted_fans(admitted_positions: Sequence[int]) -> InvariantResult:
    """Fan side: no two fans were admitted holding the same place."""
    duplicates = [position for position, n in Counter(admitted_positions).items() if n > 1]
    return InvariantResult(
        "fans_hold_distinct_places",
        not duplicates,
        f"{len(admitted_positions)} fans admitted"
        + (f"; same place twice: {duplicates[:10]}" if duplicates else ""),
        {"admitted_fans": len(admitted_positions)},
    )


def read_locust_totals(stats_csv: Path, failures_csv: Path) -> dict[str, int]:
    requests = failures = server_errors = 0
    with stats_csv.open(newline="", encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            if row["Name"] == "Aggregated":
                requests = int(row["Request Count"])
                failures = int(row["Failure Count"])
    if failures_csv.exists():
        with failures_csv.open(newline="", encoding="utf-8") as stream:
            for row in csv.DictReader(stream):
                if "server error" in row["Error"]:
                    server_errors += int(row["Occurrences"])
    return {"requests": requests, "failures": failures, "server_errors": server_errors}


def check_http(totals: dict[str, int], max_failure_ratio: float) -> list[InvariantResult]:
    requests = max(1, totals["requests"])
    ratio = totals["failures"] / requests
    return [
        InvariantResult(
            "no_5xx",
            totals["server_errors"] == 0,
            f"{totals['server_errors']} answers with a 5xx status",
            {"server_errors": totals["server_errors"]},
        ),
        InvariantResult(
            "failure_ratio",
            totals["requests"] > 0 and ratio <= max_failure_ratio,
            f"{totals['failures']} failures in {totals['requests']} requests "
            f"({ratio:.4%}, threshold {max_failure_ratio:.2%})",
            {**totals, "failure_ratio": round(ratio, 6)},
        ),
    ]
