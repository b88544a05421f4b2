"""After a surge: invariants, plots and ``summary.json`` from what the run measured."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from loadtests.eta_accuracy import eta_accuracy
from loadtests.events import read_events
from loadtests.invariants import (
    InvariantResult,
    check_admission_rate,
    check_admitted_fans,
    check_http,
    check_unique_positions,
    read_locust_totals,
)
from loadtests.plots import write_plots
from loadtests.sales import check_buyer_limit, check_sold_matches_orders, check_stock_balance
from loadtests.shapes import SurgeShape
from loadtests.shop_system import BUYER_LIMIT
from loadtests.surge_measure import Measured


def sale_results(
    measured: Measured, event: dict[str, Any], events: list[dict[str, Any]]
) -> list[InvariantResult]:
    fan_totals = [int(e["tickets"]) for e in events if e["kind"] == "fan_bought"]
    greedy_bought = sum(1 for e in events if e["kind"] == "bought" and e.get("greedy"))
    balance = check_stock_balance(measured.stock, event)
    return [
        balance,
        check_buyer_limit(measured.buyer_counters, fan_totals, greedy_bought, BUYER_LIMIT),
        check_sold_matches_orders(int(balance.figures["sold"]), fan_totals),
    ]


def report(
    arguments: argparse.Namespace,
    shape: SurgeShape,
    output: Path,
    stamp: str,
    elapsed: float,
    measured: Measured,
    event: dict[str, Any],
) -> tuple[dict[str, object], list[InvariantResult]]:
    samples = measured.samples
    (output / "samples.jsonl").write_text(
        "".join(json.dumps(sample.as_dict()) + "\n" for sample in samples), encoding="utf-8"
    )
    events = list(read_events(output / "events.jsonl"))
    admitted = [e for e in events if e["kind"] == "admitted"]
    totals = read_locust_totals(output / "locust_stats.csv", output / "locust_failures.csv")
    results = [
        check_admission_rate(samples),
        check_unique_positions(measured.positions, samples[-1].tail),
        check_admitted_fans([int(e["position"]) for e in admitted]),
        *check_http(totals, arguments.max_failure_ratio),
    ]
    if event:
        results += sale_results(measured, event, events)
    if measured.locust_exit_code != 0:
        results.append(
            InvariantResult("locust_exit", False, f"locust exited with {measured.locust_exit_code}")
        )
    sales = [(stock.wall_time, stock.sold) for stock in measured.stock]
    plots = write_plots(samples, output / "locust_stats_history.csv", output, sales)
    waits = sorted(float(e["waited_seconds"]) for e in admitted)
    summary: dict[str, object] = {
        "shape": shape.name,
        "description": shape.description,
        "scale": arguments.scale,
        "shop": bool(event),
        "date_utc": stamp,
        "run_seconds": round(elapsed, 1),
        "fans_arrived": samples[-1].arrivals,
        "fans_admitted_by_server": min(samples[-1].serving, samples[-1].tail),
        "fans_admitted_seen_by_clients": len(admitted),
        "median_wait_seconds": round(waits[len(waits) // 2], 1) if waits else None,
        "eta_accuracy": eta_accuracy(events).as_dict(),
        "organizer_actions": [e["label"] for e in events if e["kind"] == "organizer"],
        "tickets_sold": sum(tier["sold"] for tier in event.get("tiers", [])),
        "requests": totals,
        "invariants": [
            {"name": r.name, "ok": r.ok, "detail": r.detail, "figures": r.figures}
            for r in results
        ],
        "reports": sorted(str(path) for path in [*plots, output / "report.html"]),
        "output": str(output),
    }
    (output / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary, results
