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
import json
import secrets
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

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
from loadtests.run_settings import RunSettings
from loadtests.sampler import QueueSample, sample_until
from loadtests.servers import WAITROOM_FACTORY, UvicornProcess, waitroom_environment
from loadtests.shapes import SHAPES, SurgeShape
from waitroom.admission import AdmissionStore
from waitroom.embedded_redis import EmbeddedRedis
from waitroom.keys import QueueKeys
from waitroom.redis_client import redis_from_url

LOCUSTFILE = Path(__file__).parent / "locustfile.py"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadtests.surge", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--shape", choices=sorted(SHAPES), default="spike")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies fans and rates")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    parser.add_argument("--max-failure-ratio", type=float, default=0.01)
    parser.add_argument("--sample-interval", type=float, default=0.5, help="seconds")
    parser.add_argument("--poll-min-ms", type=int, default=2000, help="server poll interval")
    parser.add_argument("--poll-max-ms", type=int, default=10000)
    parser.add_argument("--output", type=Path, default=None, help="report directory")
    parser.add_argument("--quiet", action="store_true", help="no locust console output")
    return parser


def configure_queue(base_url: str, admin_token: str, queue_id: str, shape: SurgeShape) -> None:
    fields: dict[str, object] = {
        "name": f"surge {shape.name}",
        "rate_per_minute": shape.rate_per_minute,
        "state": "open",
        "redirect_url": "/shop/",
    }
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


async def run_locust_and_sample(
    command: list[str], environment: dict[str, str], store: AdmissionStore, queue_id: str,
    interval_seconds: float, quiet: bool,
) -> tuple[int, list[QueueSample]]:
    stop = asyncio.Event()
    sampling = asyncio.create_task(sample_until(store, queue_id, interval_seconds, stop))
    process = await asyncio.create_subprocess_exec(
        *command,
        env=environment,
        stdout=asyncio.subprocess.DEVNULL if quiet else None,
        stderr=asyncio.subprocess.DEVNULL if quiet else None,
    )
    return_code = await process.wait()
    stop.set()
    return return_code, await sampling


async def visitor_positions(redis_url: str, queue_id: str) -> list[int]:
    redis = redis_from_url(redis_url)
    try:
        values = await redis.hvals(QueueKeys(queue_id).visitors)
    finally:
        await redis.aclose()
    return [int(value) for value in values]


async def measure(
    redis_url: str, command: list[str], environment: dict[str, str], queue_id: str,
    interval_seconds: float, quiet: bool,
) -> tuple[int, list[QueueSample], list[int]]:
    redis = redis_from_url(redis_url)
    try:
        store = AdmissionStore(redis, default_burst=10)
        return_code, samples = await run_locust_and_sample(
            command, environment, store, queue_id, interval_seconds, quiet
        )
    finally:
        await redis.aclose()
    return return_code, samples, await visitor_positions(redis_url, queue_id)


def run(arguments: argparse.Namespace) -> tuple[dict[str, object], list[InvariantResult]]:
    import os

    shape = SHAPES[arguments.shape].scaled(arguments.scale)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    output: Path = arguments.output or Path("loadtests/results") / f"surge-{shape.name}-{stamp}"
    output.mkdir(parents=True, exist_ok=True)
    admin_token = secrets.token_urlsafe(24)
    queue_id = "surge" + secrets.token_hex(3)
    settings = RunSettings(queue_id, admin_token, shape, str(output / "events.jsonl"), "none")
    server_environment = waitroom_environment(
        "", admin_token,
        WAITROOM_POLL_INTERVAL_MIN_MS=str(arguments.poll_min_ms),
        WAITROOM_POLL_INTERVAL_MAX_MS=str(arguments.poll_max_ms),
    )
    with EmbeddedRedis() as redis_server:
        server_environment["REDIS_URL"] = redis_server.url
        with UvicornProcess(
            WAITROOM_FACTORY, "/readyz", server_environment, workers=arguments.workers
        ) as server:
            configure_queue(server.base_url, admin_token, queue_id, shape)
            started = time.time()
            return_code, samples, positions = asyncio.run(
                measure(
                    redis_server.url,
                    locust_command(server.base_url, output, arguments.quiet),
                    {**os.environ, **settings.environment(arguments.scale)},
                    queue_id, arguments.sample_interval, arguments.quiet,
                )
            )
            elapsed = time.time() - started
    (output / "samples.jsonl").write_text(
        "".join(json.dumps(sample.as_dict()) + "\n" for sample in samples), encoding="utf-8"
    )
    events = list(read_events(output / "events.jsonl"))
    admitted = [event for event in events if event["kind"] == "admitted"]
    totals = read_locust_totals(output / "locust_stats.csv", output / "locust_failures.csv")
    results = [
        check_admission_rate(samples),
        check_unique_positions(positions, samples[-1].tail),
        check_admitted_fans([int(event["position"]) for event in admitted]),
        *check_http(totals, arguments.max_failure_ratio),
    ]
    if return_code != 0:
        results.append(InvariantResult("locust_exit", False, f"locust exited with {return_code}"))
    plots = write_plots(samples, output / "locust_stats_history.csv", output)
    waits = sorted(float(event["waited_seconds"]) for event in admitted)
    summary: dict[str, object] = {
        "shape": shape.name,
        "description": shape.description,
        "scale": arguments.scale,
        "date_utc": stamp,
        "run_seconds": round(elapsed, 1),
        "fans_arrived": samples[-1].arrivals,
        "fans_admitted_by_server": min(samples[-1].serving, samples[-1].tail),
        "fans_admitted_seen_by_clients": len(admitted),
        "median_wait_seconds": round(waits[len(waits) // 2], 1) if waits else None,
        "organizer_actions": [e["label"] for e in events if e["kind"] == "organizer"],
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


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    summary, results = run(arguments)
    print(f"\nsurge {summary['shape']} (scale {summary['scale']}): {summary['run_seconds']} s, "
          f"{summary['fans_arrived']} fans arrived, {summary['fans_admitted_by_server']} admitted, "
          f"median wait {summary['median_wait_seconds']} s")
    print(f"organizer actions: {', '.join(summary['organizer_actions']) or 'none'}")  # type: ignore[arg-type]
    for result in results:
        print(f"  [{'ok' if result.ok else 'FAIL'}] {result.name}: {result.detail}")
    print(f"reports: {summary['output']}")
    return 0 if all(result.ok for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
