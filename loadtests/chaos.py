"""Chaos suite: a surge of fans against the deployed topology while faults hit it, then checks.

    python -m loadtests.chaos                          # every fault, long form (~4 minutes)
    python -m loadtests.chaos --faults queue-redis-kill,sale-redis-kill --short

Starts real processes (queue Redis, sale Redis with AOF ``appendfsync always``, ``waitroom serve
--workers 2`` on 127.0.0.1, the shop on 127.0.0.2; a local Redis Cluster with replicas for the
cluster fault), runs locust fans (join, poll, hold and check out), injects the faults one after
another, and checks the invariants (loadtests/chaos_invariants.py). Writes ``summary.json`` and
per-scenario reports; exits 1 when an invariant breaks.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from loadtests.chaos_faults import FAULTS, Fault
from loadtests.chaos_report import analyse, markdown_table, scenario_summary
from loadtests.chaos_run import Timing, run_scenario
from loadtests.chaos_system import ChaosSettings, chaos_system

SCENARIOS = ("standalone", "cluster")
SHORT_TIMING = Timing(baseline_seconds=3.0, down_seconds=2.0, settle_seconds=6.0)


def _parser() -> argparse.ArgumentParser:
    defaults, timing = ChaosSettings(), Timing()
    parser = argparse.ArgumentParser(
        prog="python -m loadtests.chaos", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--faults", default="all",
        help=f"comma-separated, in order, or 'all' (known: {', '.join(FAULTS)})",
    )
    parser.add_argument("--short", action="store_true",
                        help="short timings for tests: baseline 3 s, down 2 s, settle 6 s")
    parser.add_argument("--baseline-seconds", type=float, default=timing.baseline_seconds)
    parser.add_argument("--down-seconds", type=float, default=timing.down_seconds,
                        help="how long a killed Redis stays down")
    parser.add_argument("--settle-seconds", type=float, default=timing.settle_seconds,
                        help="load after each fault's end, before the next fault")
    parser.add_argument("--recovery-bound-seconds", type=float, default=5.0,
                        help="errors must stop this long after a fault's end")
    parser.add_argument("--fans-per-second", type=float, default=defaults.fans_per_second)
    parser.add_argument("--rate-per-minute", type=int, default=defaults.rate_per_minute)
    parser.add_argument("--limited-capacity", type=int, default=defaults.limited_capacity,
                        help="tickets of the small tier (sells out during the run)")
    parser.add_argument("--queue-appendfsync", choices=["everysec", "always"],
                        default=defaults.queue_appendfsync)
    parser.add_argument("--output", type=Path, default=None, help="report directory")
    parser.add_argument("--quiet", action="store_true", help="no locust console output")
    return parser


def chosen_faults(names: str) -> list[Fault]:
    if names == "all":
        return list(FAULTS.values())
    unknown = [name for name in names.split(",") if name not in FAULTS]
    if unknown:
        raise SystemExit(f"unknown faults {unknown}; known: {', '.join(FAULTS)}")
    return [FAULTS[name] for name in names.split(",")]


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    faults = chosen_faults(arguments.faults)
    timing = SHORT_TIMING if arguments.short else Timing(
        arguments.baseline_seconds, arguments.down_seconds, arguments.settle_seconds
    )
    settings = ChaosSettings(
        fans_per_second=arguments.fans_per_second, rate_per_minute=arguments.rate_per_minute,
        limited_capacity=arguments.limited_capacity,
        queue_appendfsync=arguments.queue_appendfsync,
    )
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    output: Path = arguments.output or Path("loadtests/results") / f"chaos-{stamp}"
    scenarios = []
    for scenario in SCENARIOS:
        mine = [fault for fault in faults if fault.scenario == scenario]
        if not mine:
            continue
        directory = output / scenario
        directory.mkdir(parents=True, exist_ok=True)
        with chaos_system(settings, directory, cluster=scenario == "cluster") as system:
            record = asyncio.run(
                run_scenario(system, scenario, mine, timing, directory, arguments.quiet)
            )
        record.settings = {**asdict(settings), **asdict(timing)}
        figures, results = analyse(
            record, settings.rate_per_minute, settings.burst, arguments.recovery_bound_seconds
        )
        scenarios.append((scenario_summary(record, figures, results), markdown_table(figures)))
    summary = {
        "date_utc": stamp,
        "command": "python -m loadtests.chaos " + " ".join(sys.argv[1:]),
        "recovery_bound_seconds": arguments.recovery_bound_seconds,
        "scenarios": [item for item, _ in scenarios],
        "tables": {item["scenario"]: table for item, table in scenarios},
        "ok": all(r["ok"] for item, _ in scenarios for r in item["invariants"]),
    }
    (output / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    summary["output"] = str(output)
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    summary = run(_parser().parse_args(argv))
    for item in summary["scenarios"]:
        print(f"\nscenario {item['scenario']}: {item['requests']} requests "
              f"{item['requests_by_name']}")
        print(summary["tables"][item["scenario"]])
        for window in item["windows"]:
            for note in window["notes"]:
                print(f"  {window['name']}: {note}")
            if window["errors_by_kind"]:
                print(f"  {window['name']} errors: {window['errors_by_kind']}")
            if window["errors_after_end_by_kind"]:
                print(f"  {window['name']} errors after the end (s after it): "
                      f"{window['errors_after_end_by_kind']}")
        for action in item["organizer"]:
            print(f"  organizer: {action['action']} after alerts {action['alerts']}")
        for result in item["invariants"]:
            print(f"  [{'ok' if result['ok'] else 'FAIL'}] {result['name']}: {result['detail']}")
    print(f"reports: {summary['output']}")
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
