"""The chaos suite's short form: real processes in the deployed topology (``waitroom serve
--workers 2`` on 127.0.0.1, the shop on 127.0.0.2, a queue Redis, a sale Redis with AOF
``appendfsync always``), locust fans joining, polling and buying, while Redis is killed with
SIGKILL; every invariant is checked afterwards (loadtests/chaos_invariants.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


def run_chaos(output: Path, faults: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    completed = subprocess.run(
        [sys.executable, "-m", "loadtests.chaos", "--faults", faults, "--short", "--quiet",
         "--output", str(output)],
        capture_output=True, text=True, timeout=180, check=False,
    )
    summary_path = output / "summary.json"
    assert summary_path.exists(), completed.stdout + completed.stderr
    return completed, json.loads(summary_path.read_text())


def windows_of(scenario: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {window["name"]: window for window in scenario["windows"]}


def assert_invariants(completed: subprocess.CompletedProcess[str], summary: dict[str, Any]) -> None:
    broken = [
        (item["name"], item["detail"])
        for scenario in summary["scenarios"]
        for item in scenario["invariants"]
        if not item["ok"]
    ]
    assert broken == [], completed.stdout
    assert completed.returncode == 0 and summary["ok"], completed.stdout + completed.stderr[-2000:]


@pytest.mark.stress
@pytest.mark.slow
def test_redis_crashes_keep_every_invariant(tmp_path: Path) -> None:
    completed, summary = run_chaos(tmp_path, "queue-redis-kill,sale-redis-kill")
    [scenario] = summary["scenarios"]
    invariants = {item["name"]: item for item in scenario["invariants"]}
    assert set(invariants) == {
        "places_unique", "admissions_bounded", "no_oversell", "acknowledged_orders_kept",
        "errors_stop", "errors_after_return", "queue_never_not_found", "baseline_clean",
        "no_500",
    }
    windows = windows_of(scenario)
    # each fault really hit: fans got 503s while the store was away, and load went on after it
    queue_kill, sale_kill = windows["queue-redis-kill"], windows["sale-redis-kill"]
    assert queue_kill["errors_by_status"].get("503", 0) > 0, queue_kill
    assert set(sale_kill["errors_by_request"]) <= {"hold", "checkout", "queue page", "join",
                                                   "status"}
    # the sale kill's 2 s may see no 503: holds of the sold-out tier are answered 409 from the
    # shop's stock view, and the fans of such a short window may all have tried that tier; the
    # long suite's 10 s always shows hold 503s (docs/reliability.md)
    assert sale_kill["requests_during"] > 0, sale_kill
    for window in (queue_kill, sale_kill):
        assert window["requests_after"] > 50
        assert window["recovery_seconds"] <= summary["recovery_bound_seconds"]
    # the checks judged real figures: fans joined, were admitted, bought; the small tier sold out
    assert invariants["places_unique"]["figures"]["joins"] > 20
    assert invariants["admissions_bounded"]["figures"]["samples"] > 10
    assert invariants["acknowledged_orders_kept"]["figures"]["acknowledged"] > 10
    limited = invariants["no_oversell"]["figures"]["tiers"]["limited"]
    assert limited["sold"] == limited["capacity"]
    assert "| queue-redis-kill |" in summary["tables"]["standalone"]
    assert_invariants(completed, summary)


@pytest.mark.stress
@pytest.mark.slow
def test_cluster_failover_keeps_every_invariant(tmp_path: Path) -> None:
    completed, summary = run_chaos(tmp_path, "cluster-master-kill")
    [scenario] = summary["scenarios"]
    failover = windows_of(scenario)["cluster-master-kill"]
    assert "promoted" in failover["notes"][0]
    assert failover["requests_after"] > 50
    assert_invariants(completed, summary)
