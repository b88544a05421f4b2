"""The ceiling benchmark runs end to end: wrk against the status poll and the bare endpoint."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from loadtests import ceiling


@pytest.mark.stress
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
@pytest.mark.parametrize("status_as", ["api", "browser"])
def test_status_polls_answer_200_under_wrk(status_as: str, tmp_path: Path) -> None:
    arguments = ceiling.argument_parser().parse_args(
        [
            "--duration", "1", "--rounds", "1", "--tokens", "60", "--connections", "8",
            "--workers", "1", "--targets", "status", "--status-as", status_as,
            "--output", str(tmp_path),
        ]
    )  # fmt: skip
    report = ceiling.run(arguments)
    summary = report["summary"]
    assert isinstance(summary, dict)
    for target in ("status", "bare"):
        assert summary[target]["errors"] == 0 and summary[target]["non_2xx_3xx"] == 0
        assert summary[target]["requests_per_second_median"] > 50
    ratio = report["ratio_median"]
    assert isinstance(ratio, dict) and ratio["status"] > 0


@pytest.mark.stress
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_limited_joins_cost_at_most_one_redis_round_trip(tmp_path: Path) -> None:
    """Joins from many distinct non-exempt addresses (the join limits on, as for real fans):
    all answered 201, each costing at most one Redis round trip (MONITOR-counted)."""
    arguments = ceiling.argument_parser().parse_args(
        [
            "--duration", "1", "--rounds", "1", "--connections", "8", "--workers", "1",
            "--targets", "join-limited", "--output", str(tmp_path),
        ]
    )  # fmt: skip
    report = ceiling.run(arguments)
    summary = report["summary"]
    assert isinstance(summary, dict)
    figures = summary["join-limited"]
    assert figures["errors"] == 0 and figures["non_2xx_3xx"] == 0
    assert figures["requests_per_second_median"] > 20
    assert 0 < figures["round_trips_per_request"] <= 1.0
    assert figures["script_calls_per_request_median"] <= 1.0
