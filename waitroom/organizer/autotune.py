"""Autotune: the admission rate follows the shop's health, within the organizer's range.

One decision per interval (:mod:`waitroom.organizer.autotune_loop`) from the site's own
figures (:mod:`waitroom.queue.site_health`: p95 latency and error share of checkouts and
holds), like TCP's congestion control (additive increase, multiplicative decrease):

- **down fast**: when any operation is slower than the target p95 or fails more often than the
  error limit, the rate is halved (never below the minimum);
- **up slowly**: when every operation is well inside both (p95 at most ``HEADROOM`` of the
  target, errors at most half the limit) and the shop had traffic to judge by, the rate grows
  by a twentieth of the organizer's range (at least 1 per minute), never above the maximum;
- otherwise, and when no fresh report is there (the site stopped reporting: nothing to go by),
  the rate is kept. A rate outside the range (the organizer set it by hand) is brought into it.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from waitroom.queue.autotune_store import AutotuneSettings
from waitroom.queue.site_health import SiteHealth

DECREASE_FACTOR = 0.5
HEADROOM = 0.8
INCREASE_STEPS = 20
MIN_REQUESTS_TO_GROW = 1
"""Requests in the reported window before autotune lets more fans in on the shop's word."""


class Proposal(NamedTuple):
    rate: int
    kind: str
    """``down``, ``up``, ``hold`` or ``bound``."""
    reason: str


def _milliseconds(value: float) -> str:
    return f"{value:.0f} ms"


def _percent(ratio: float) -> str:
    return f"{ratio * 100:.1f} %"


def propose(settings: AutotuneSettings, rate: int, health: SiteHealth | None) -> Proposal:
    """The rate for the next interval, and why."""
    low, high = settings.min_rate_per_minute, settings.max_rate_per_minute
    if rate < low or rate > high:
        bounded = min(high, max(low, rate))
        return Proposal(bounded, "bound", f"brought into the range {low}-{high} per minute")
    if health is None:
        return Proposal(rate, "hold", "no recent health report from the shop")
    slow = [
        operation
        for operation in health.operations
        if operation.p95_ms is not None and operation.p95_ms > settings.target_p95_ms
    ]
    failing = [
        operation
        for operation in health.operations
        if operation.requests and operation.error_ratio > settings.max_error_ratio
    ]
    if slow or failing:
        causes = [
            f"{operation.name} p95 {_milliseconds(operation.p95_ms or 0)} > "
            f"{_milliseconds(settings.target_p95_ms)}"
            for operation in slow
        ] + [
            f"{operation.name} errors {_percent(operation.error_ratio)} > "
            f"{_percent(settings.max_error_ratio)}"
            for operation in failing
        ]
        lowered = max(low, math.floor(rate * DECREASE_FACTOR))
        if lowered == rate:
            return Proposal(rate, "hold", f"at the minimum; {', '.join(causes)}")
        return Proposal(lowered, "down", ", ".join(causes))
    worst_p95 = max(
        (operation.p95_ms for operation in health.operations if operation.p95_ms is not None),
        default=0.0,
    )
    worst_errors = max((operation.error_ratio for operation in health.operations), default=0.0)
    summary = f"p95 {_milliseconds(worst_p95)}, errors {_percent(worst_errors)}"
    if health.requests < MIN_REQUESTS_TO_GROW:
        return Proposal(rate, "hold", "no checkouts or holds at the shop to judge by")
    if worst_p95 > settings.target_p95_ms * HEADROOM or worst_errors > settings.max_error_ratio / 2:
        return Proposal(rate, "hold", f"near the limits ({summary})")
    if rate >= high:
        return Proposal(rate, "hold", f"at the maximum ({summary})")
    step = max(1, math.ceil((high - low) / INCREASE_STEPS))
    return Proposal(min(high, rate + step), "up", f"the shop has room ({summary})")
