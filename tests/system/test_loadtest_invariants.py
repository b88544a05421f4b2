"""The invariant checker catches what it is meant to catch (synthetic samples, no servers)."""

from __future__ import annotations

from dataclasses import replace

from loadtests.invariants import (
    check_admission_rate,
    check_admitted_fans,
    check_http,
    check_unique_positions,
    expected_admissions,
)
from loadtests.sampler import QueueSample

BASE = QueueSample(
    wall_time=0.0, redis_ms=1_000_000, serving=0, tail=1000, prequeue_length=0, opened=True,
    state="open", rate_per_minute=600, burst=10, opens_at=0.0,
)


def timeline(served_per_second: list[int], **changes: object) -> list[QueueSample]:
    samples = [replace(BASE, **changes)]  # type: ignore[arg-type]
    for served in served_per_second:
        last = samples[-1]
        samples.append(replace(last, redis_ms=last.redis_ms + 1000, serving=last.serving + served))
    return samples


def test_exact_rate_passes_and_drift_fails() -> None:
    assert check_admission_rate(timeline([10] * 60)).ok
    drifting = check_admission_rate(timeline([10] * 30 + [11] * 30))
    assert not drifting.ok
    assert drifting.figures["admitted_in_checked_time"] == 630


def test_fractional_rates_allow_one_place_of_rounding() -> None:
    # 90 per minute = 1.5 per second: 1, 2, 1, 2 ... is exact with the carried remainder
    assert check_admission_rate(timeline([1, 2] * 30, rate_per_minute=90)).ok
    assert not check_admission_rate(timeline([1, 1] * 30, rate_per_minute=90)).ok


def test_paused_queue_admits_nobody_and_changes_are_skipped() -> None:
    paused = timeline([0] * 10, state="paused")
    assert check_admission_rate(paused).ok
    assert not check_admission_rate(timeline([0, 0, 1, 0], state="paused")).ok
    changed = replace(BASE, redis_ms=BASE.redis_ms + 1000, serving=500, rate_per_minute=60)
    assert expected_admissions(BASE, changed) is None


def test_capped_pointer_and_prequeue_opening() -> None:
    capped = replace(BASE, tail=5, serving=0)
    later = replace(capped, redis_ms=capped.redis_ms + 60_000, serving=15)
    assert expected_admissions(capped, later) is None
    not_yet = replace(BASE, opens_at=(BASE.redis_ms + 30_000) / 1000)
    half = replace(not_yet, redis_ms=BASE.redis_ms + 60_000)
    assert expected_admissions(not_yet, half) == 300.0


def test_positions_issued_twice_or_missing() -> None:
    assert check_unique_positions([0, 1, 2, 3], tail=3).ok
    assert not check_unique_positions([1, 2, 2], tail=3).ok
    assert not check_unique_positions([1, 3], tail=3).ok
    assert not check_admitted_fans([4, 5, 4]).ok
    assert check_admitted_fans([4, 5, 6]).ok


def test_http_checks() -> None:
    fine, ratio = check_http({"requests": 1000, "failures": 5, "server_errors": 0}, 0.01)
    assert fine.ok and ratio.ok
    server, ratio = check_http({"requests": 1000, "failures": 20, "server_errors": 1}, 0.01)
    assert not server.ok and not ratio.ok
