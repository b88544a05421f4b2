"""Figures per fault and the checks of one chaos scenario, from what its run recorded."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from loadtests.chaos_invariants import (
    Join,
    check_acknowledged_orders,
    check_admissions_bounded,
    check_baseline_clean,
    check_errors_after_return,
    check_errors_stop,
    check_no_500,
    check_no_oversell,
    check_places_unique,
    check_queue_never_not_found,
    duplicate_joins,
    pointer_excess,
)
from loadtests.chaos_run import ScenarioRecord, Window
from loadtests.events import read_events
from loadtests.invariants import InvariantResult
from loadtests.request_log import RequestRecord, read_requests


def status_label(status: int) -> str:
    return "no answer" if status == 0 else str(status)


def error_kind(record: RequestRecord) -> str:
    answer = record.error.split(": ", 1)[-1] if record.status else "no answer"
    return f"{record.name}: {answer}"


@dataclass
class WindowFigures:
    name: str
    requests_during: int
    """Requests answered (or failed) between the fault's start and its end."""
    requests_after: int
    """Requests answered between its end and the next fault (the settle period)."""
    errors_by_status: dict[str, int]
    errors_by_request: dict[str, int]
    errors_by_kind: dict[str, int]
    """Request and answer (status and problem type), e.g. ``hold: HTTP 503 pass-unavailable``."""
    errors_after_end: int
    allowed_errors_after_end: int
    errors_after_end_by_kind: dict[str, list[float]]
    """Each kind of error after the fault's end, with the seconds after the end it came at."""
    recovery_seconds: float
    """From the fault's end to the last failed answer (0: none after the end). A request counts
    when it ended: one sent just before a kill fails because of it."""
    still_failing_at_window_end: bool
    down_seconds: float
    duplicate_joins: int
    pointer_excess_places: float
    notes: list[str] = field(default_factory=list)
    probes: list[int] = field(default_factory=list)
    """Statuses of the joins sent the moment the store was back (queue-redis-empty)."""


def window_figures(
    window: Window,
    requests: Sequence[RequestRecord],
    duplicates: Sequence[Join],
    record: ScenarioRecord,
    rate_per_minute: int,
    burst: int,
) -> WindowFigures:
    inside = [r for r in requests if window.started <= r.ended < window.settled]
    failed = [r for r in inside if r.failed]
    after = [r for r in failed if r.ended >= window.ended]
    last = max((r.ended for r in failed), default=window.ended)
    recovery = max(0.0, last - window.ended)
    samples = [
        s for s in record.samples if window.started <= s.wall_time < window.settled
    ]
    return WindowFigures(
        name=window.name,
        requests_during=sum(1 for r in inside if r.ended < window.ended),
        requests_after=sum(1 for r in inside if r.ended >= window.ended),
        errors_by_status=dict(sorted(Counter(status_label(r.status) for r in failed).items())),
        errors_by_request=dict(sorted(Counter(r.name for r in failed).items())),
        errors_by_kind=dict(Counter(error_kind(r) for r in failed).most_common()),
        errors_after_end=len(after),
        allowed_errors_after_end=window.allowed_errors_after,
        errors_after_end_by_kind=_late(after, window.ended),
        recovery_seconds=round(recovery, 2),
        still_failing_at_window_end=bool(after) and window.settled - last < 1.0,
        down_seconds=round(window.ended - window.started, 2),
        duplicate_joins=sum(1 for j in duplicates if window.started <= j.at < window.settled),
        pointer_excess_places=round(pointer_excess(samples, rate_per_minute, burst), 3),
        notes=list(window.notes),
        probes=list(window.probes),
    )


def _late(errors: Sequence[RequestRecord], ended: float) -> dict[str, list[float]]:
    late: dict[str, list[float]] = {}
    for record in errors:
        late.setdefault(error_kind(record), []).append(round(record.ended - ended, 2))
    return late


def analyse(
    record: ScenarioRecord, rate_per_minute: int, burst: int, recovery_bound_seconds: float
) -> tuple[list[WindowFigures], list[InvariantResult]]:
    requests = sorted(read_requests(record.output / "requests.jsonl"), key=lambda r: r.started)
    events = list(read_events(record.output / "events.jsonl"))
    joins = [
        Join(float(e["t"]), int(e["position"]), str(e["fan"]))
        for e in events if e["kind"] == "joined" and "fan" in e
    ]
    admitted = [(float(e["t"]), int(e["position"])) for e in events if e["kind"] == "admitted"]
    bought = [e for e in events if e["kind"] == "bought"]
    duplicates = duplicate_joins(joins)
    figures = [
        window_figures(window, requests, duplicates, record, rate_per_minute, burst)
        for window in record.windows
    ]
    baseline = record.windows[0]
    results = [
        check_places_unique(joins, record.visitor_positions),
        check_admissions_bounded(
            record.samples, admitted, record.queue_created, rate_per_minute, burst
        ),
        check_no_oversell(record.event, record.stock, record.orders),
        check_acknowledged_orders(bought, record.orders),
        check_errors_stop(
            {f.name: f.recovery_seconds for f in figures[1:]}, recovery_bound_seconds
        ),
        check_errors_after_return(
            {f.name: (f.errors_after_end, f.allowed_errors_after_end) for f in figures[1:]}
        ),
        check_queue_never_not_found(requests, [p for f in figures for p in f.probes]),
        check_baseline_clean(
            [r for r in requests if baseline.started <= r.ended < baseline.settled]
        ),
        check_no_500(requests),
    ]
    if record.locust_exit_code != 0:
        results.append(
            InvariantResult("locust_exit", False, f"locust exited with {record.locust_exit_code}")
        )
    return figures, results


def scenario_summary(
    record: ScenarioRecord, figures: Sequence[WindowFigures], results: Sequence[InvariantResult]
) -> dict[str, Any]:
    requests = list(read_requests(record.output / "requests.jsonl"))
    return {
        "scenario": record.scenario,
        "settings": record.settings,
        "requests": len(requests),
        "requests_by_name": dict(sorted(Counter(r.name for r in requests).items())),
        "windows": [asdict(item) for item in figures],
        "organizer": record.organizer,
        "invariants": [
            {"name": r.name, "ok": r.ok, "detail": r.detail, "figures": r.figures}
            for r in results
        ],
        "output": str(record.output),
    }


def markdown_table(figures: Sequence[WindowFigures]) -> str:
    """The per-fault table docs/reliability.md publishes."""
    lines = [
        "| fault | down (s) | requests during / after | errors by status | errors after the end "
        "(allowed) | fault end to last error (s) |",
        "|---|---|---|---|---|---|",
    ]
    for item in figures:
        errors = ", ".join(f"{status}: {n}" for status, n in item.errors_by_status.items()) or "0"
        recovery = f"{item.recovery_seconds:.1f}" + (
            " (still failing)" if item.still_failing_at_window_end else ""
        )
        lines.append(
            f"| {item.name} | {item.down_seconds:.1f} | {item.requests_during} / "
            f"{item.requests_after} | {errors} | {item.errors_after_end} "
            f"({item.allowed_errors_after_end}) | {recovery} |"
        )
    return "\n".join(lines)
