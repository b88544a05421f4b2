"""The ETA's outflow: live fans admitted per second while fans waited (waitroom/queue/view.py).

Pure arithmetic over the view cache's samples (time, admitted_total, fans waiting): skipped
places never appear in ``admitted_total`` (the admission script counts live fans only, see
tests/test_abandonment.py), and a quiet spell with nobody to admit does not count as slow.
"""

from __future__ import annotations

from waitroom.admission import QueueConfig, QueueSnapshot, QueueState
from waitroom.fan.status import eta_range_of
from waitroom.queue.view import _Entry, _outflow


def _entry(samples: list[tuple[float, int, bool]], rate_per_minute: int = 60) -> _Entry:
    config = QueueConfig(rate_per_minute, QueueState.OPEN, 0.0, 10, "/", "", "", "", "")
    snapshot = QueueSnapshot("q", 0, 0, 1, 0, True, 0, config)
    entry = _Entry(snapshot=snapshot, fetched_at=0.0)
    entry.samples.extend(samples)
    return entry


def test_admitted_fans_per_second_over_the_waiting_stretches() -> None:
    # 2 fans/s for 10 s, then a quiet spell (nobody waiting) of 15 s with one admission
    samples = [(float(t), 2 * t, True) for t in range(11)]
    samples += [(10.0 + t, 20 + (1 if t > 7 else 0), False) for t in range(1, 16)]
    assert _outflow(_entry(samples)) == 2.0


def test_too_little_measured_time_falls_back_to_the_configured_rate() -> None:
    samples = [(0.0, 0, True), (1.0, 5, True), (2.0, 6, False)]
    assert _outflow(_entry(samples, rate_per_minute=120)) == 2.0


def test_only_the_last_thirty_seconds_count() -> None:
    samples = [(float(t), t, True) for t in range(0, 61)]  # 1 fan/s for a minute...
    samples += [(61.0 + t, 61 + 3 * (t + 1), True) for t in range(30)]  # ...then 3 fans/s
    assert abs(_outflow(_entry(samples)) - 3.0) < 0.05


def test_the_range_reaches_further_before_the_estimate_than_after() -> None:
    assert eta_range_of(100) == (60, 120)
