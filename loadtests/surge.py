"""Run one surge end to end and check it: the newcomer's one-liner.

    python -m loadtests.surge --shape spike          # or: steady, prequeue, smoke

Starts an embedded Redis and the waiting room (uvicorn, 2 workers), creates the queue, runs the
locust suite headless with the shape (fans + organizer), samples the queue all along, then
writes CSV/HTML reports, PNG plots, ``summary.json`` and prints the invariants. Exits 1 when an
invariant breaks or the failure ratio exceeds ``--max-failure-ratio``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import secrets
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from loadtests.invariants import InvariantResult
from loadtests.run_settings import RunSettings
from loadtests.servers import WAITROOM_FACTORY, UvicornProcess, waitroom_environment
from loadtests.shapes import SHAPES, SurgeShape
from loadtests.shop_system import (
    BUYER_LIMIT,
    SURGE_EVENT_ID,
    define_event,
    event_figures,
    surge_event,
)
from loadtests.surge_measure import measure
from loadtests.surge_report import report
from sale_backend.storage.keys import EventKeys
from waitroom.storage.embedded_redis import EmbeddedRedis

SURGE_SYSTEM_FACTORY = "loadtests.shop_system:create_surge_system_from_environ"
LOCUSTFILE = Path(__file__).parent / "locustfile.py"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadtests.surge", description=__doc__.split("\n\n")[0]
    )
    surges = sorted(name for name in SHAPES if name != "chaos")  # chaos: open-ended, its own runner
    parser.add_argument("--shape", choices=surges, default="spike")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies fans and rates")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    parser.add_argument("--max-failure-ratio", type=float, default=0.01)
    parser.add_argument("--sample-interval", type=float, default=0.5, help="seconds")
    parser.add_argument("--poll-min-ms", type=int, default=2000, help="server poll interval")
    parser.add_argument("--poll-max-ms", type=int, default=10000)
    parser.add_argument("--output", type=Path, default=None, help="report directory")
    parser.add_argument("--quiet", action="store_true", help="no locust console output")
    parser.add_argument(
        "--shop", action="store_true", help="mount the shop: admitted fans hold and check out"
    )
    parser.add_argument(
        "--capacity", type=int, default=0, help="tickets on sale (default: 1.25 per fan)"
    )
    return parser


def configure_queue(
    base_url: str, admin_token: str, queue_id: str, shape: SurgeShape, shop: bool
) -> None:
    fields: dict[str, object] = {
        "name": f"surge {shape.name}",
        "rate_per_minute": shape.rate_per_minute,
        "state": "open",
        "redirect_url": "/shop/",
    }
    if shop:
        fields["event_id"] = SURGE_EVENT_ID
    if shape.opens_in_seconds > 0:
        fields["opens_at"] = time.time() + shape.opens_in_seconds
    response = httpx.put(
        f"{base_url}/api/v1/admin/queues/{queue_id}",
        json=fields,
        headers={"Authorization": f"Bearer {admin_token}"},
        timeout=10,
    )
    response.raise_for_status()


def locust_command(base_url: str, output: Path, quiet: bool) -> list[str]:
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "--host", base_url, "--csv", str(output / "locust"), "--csv-full-history",
        "--html", str(output / "report.html"), "--exit-code-on-error", "0",
        "--loglevel", "WARNING", "--stop-timeout", "2",
    ]
    if quiet:
        command.append("--only-summary")
    return command


def run(arguments: argparse.Namespace) -> tuple[dict[str, object], list[InvariantResult]]:
    shape = SHAPES[arguments.shape].scaled(arguments.scale)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    output: Path = arguments.output or Path("loadtests/results") / f"surge-{shape.name}-{stamp}"
    output.mkdir(parents=True, exist_ok=True)
    admin_token = secrets.token_urlsafe(24)
    staff_token = secrets.token_urlsafe(24)
    queue_id = "surge" + secrets.token_hex(3)
    shop = "sale" if arguments.shop else "none"
    settings = RunSettings(queue_id, admin_token, shape, str(output / "events.jsonl"), shop)
    fans = shape.stages[-1].fans
    capacity = arguments.capacity or max(1, round(fans * 1.25))
    server_environment = waitroom_environment(
        "", admin_token,
        WAITROOM_POLL_INTERVAL_MIN_MS=str(arguments.poll_min_ms),
        WAITROOM_POLL_INTERVAL_MAX_MS=str(arguments.poll_max_ms),
        WAITROOM_SHOP_QUEUE_ID=queue_id,
        WAITROOM_STAFF_TOKEN=staff_token,
    )
    event: dict[str, Any] = {}
    # the sale data runs with AOF appendfsync always, as in production (docs/sale_backend.md)
    with EmbeddedRedis(appendfsync_always=arguments.shop) as redis_server:
        server_environment["REDIS_URL"] = redis_server.url
        factory = SURGE_SYSTEM_FACTORY if arguments.shop else WAITROOM_FACTORY
        with UvicornProcess(
            factory, "/readyz", server_environment, workers=arguments.workers
        ) as server:
            configure_queue(server.base_url, admin_token, queue_id, shape, arguments.shop)
            if arguments.shop:
                sale_event = surge_event(queue_id, capacity, BUYER_LIMIT)
                define_event(server.base_url, staff_token, sale_event)
            started = time.time()
            measured = asyncio.run(
                measure(
                    redis_server.url,
                    locust_command(server.base_url, output, arguments.quiet),
                    {**os.environ, **settings.environment(arguments.scale)},
                    queue_id, arguments.sample_interval, arguments.quiet,
                    EventKeys(SURGE_EVENT_ID).buyers if arguments.shop else None,
                )
            )
            elapsed = time.time() - started
            if arguments.shop:
                event = event_figures(server.base_url, staff_token)
    return report(arguments, shape, output, stamp, elapsed, measured, event)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    summary, results = run(arguments)
    print(f"\nsurge {summary['shape']} (scale {summary['scale']}): {summary['run_seconds']} s, "
          f"{summary['fans_arrived']} fans arrived, {summary['fans_admitted_by_server']} admitted, "
          f"median wait {summary['median_wait_seconds']} s"
          + (f", {summary['tickets_sold']} tickets sold" if summary['shop'] else ""))
    print(f"organizer actions: {', '.join(summary['organizer_actions']) or 'none'}")  # type: ignore[arg-type]
    for result in results:
        print(f"  [{'ok' if result.ok else 'FAIL'}] {result.name}: {result.detail}")
    print(f"reports: {summary['output']}")
    return 0 if all(result.ok for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
