"""Smoke run of the load tooling (about 30 s): a short surge from joining to tickets, the reports
and every invariant, so the load tooling cannot rot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.stress
@pytest.mark.slow
def test_smoke_surge_holds_and_writes_reports(tmp_path: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable, "-m", "loadtests.surge", "--shape", "smoke", "--shop", "--quiet",
            "--poll-min-ms", "500", "--poll-max-ms", "1500", "--output", str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    invariants = {item["name"]: item for item in summary["invariants"]}
    assert set(invariants) >= {
        "admission_rate", "unique_positions", "fans_hold_distinct_places", "no_5xx",
        "failure_ratio", "stock_balance", "buyer_limit", "sold_matches_orders",
    }
    assert all(item["ok"] for item in invariants.values()), invariants
    # 50 tickets for 40 fans buying 1-4 each: the sale sells out, later fans are turned away
    assert 20 <= summary["fans_arrived"] <= 40
    assert summary["fans_admitted_seen_by_clients"] > 0
    assert summary["tickets_sold"] == 50
    assert summary["organizer_actions"] == ["rate up", "pause", "resume"]
    assert invariants["admission_rate"]["figures"]["checked_seconds"] > 5
    for name in ("arrivals", "queue_length", "admissions_vs_rate", "status_latency", "sales"):
        assert (tmp_path / f"{name}.png").read_bytes().startswith(b"\x89PNG")
    assert "<html" in (tmp_path / "report.html").read_text().lower()
    assert (tmp_path / "locust_stats.csv").read_text().count("status") >= 1
    assert "[ok] admission_rate" in completed.stdout
