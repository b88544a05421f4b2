"""Checkout benchmark: throughput, latency percentiles and what one checkout costs.

The deployed topology (:mod:`loadtests.shop_bench_system`): the waiting room and the shop on
two "hosts" under uvicorn, the sale Redis with AOF ``appendfsync always``. Express checkouts
(hold + payment intent + test-provider charge + order, one ticket each) by distinct buyers with
real passes as bearer tokens (each checkout claims its pass at the waiting room and ends the
session), at a fixed concurrency, sent by a lean keep-alive client
(:mod:`loadtests.keepalive_client`) so the load generator takes little of the CPU.

Besides latency it reports, per checkout: the CPU of the shop, the waiting room and both Redis
servers, the sale Redis's commands (``INFO commandstats``; ``evalsha`` = script calls), its
``fdatasync`` calls (``--count-fsyncs``: strace on the sale Redis) and its SLOWLOG entries.

    python -m loadtests.bench_checkout --checkouts 1500 --concurrency 32
    python -m loadtests.bench_checkout --checkouts 1500 --concurrency 32 --source /tmp/base
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import redis

from loadtests.keepalive_client import KeepAliveConnection, request_bytes
from loadtests.shop_bench_system import ShopBenchSystem, running_system, usage_per_request

CARD_SUCCEEDS = "4242424242424242"
SLOWLOG_MICROSECONDS = 2000


def checkout_request(host: str, event_id: str, tier_id: str, pass_token: str) -> bytes:
    body = orjson.dumps(
        {
            "event_id": event_id,
            "items": [{"tier_id": tier_id, "quantity": 1}],
            "card_number": CARD_SUCCEEDS,
            "name": "Bench Fan",
            "email": "bench@example.org",
        }
    )
    headers = [
        ("Authorization", f"Bearer {pass_token}"),
        ("Idempotency-Key", str(uuid.uuid4())),
        ("Content-Type", "application/json"),
    ]
    return request_bytes("POST", "/api/v1/checkout", host, headers, body)


def percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * fraction))]


def latency_summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    if not ordered:  # no request was answered: the outcomes say why
        return {}
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p90_ms": round(percentile(ordered, 0.90) * 1000, 1),
        "p99_ms": round(percentile(ordered, 0.99) * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


async def fire(
    host: str, port: int, requests: list[bytes], concurrency: int
) -> tuple[list[float], Counter[int], float]:
    """Send every request once over ``concurrency`` keep-alive connections."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    pending = iter(requests)

    async def connection() -> None:
        client = KeepAliveConnection(host, port)
        try:
            for raw in pending:
                try:
                    reply = await client.send(raw)
                except (ConnectionError, OSError, TimeoutError):
                    statuses[0] += 1
                    continue
                latencies.append(reply.seconds)
                statuses[reply.status] += 1
        finally:
            client.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return latencies, statuses, time.perf_counter() - started


class FsyncCounter:
    """``strace -c -e fdatasync,fsync`` attached to a process for the length of a run."""

    def __init__(self, pid: int) -> None:
        self._process = subprocess.Popen(
            ["strace", "-f", "-c", "-e", "trace=fdatasync,fsync", "-p", str(pid)],
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(0.5)  # attached before the run starts

    def stop(self) -> int:
        self._process.send_signal(2)
        _, report = self._process.communicate(timeout=10)
        calls = 0
        for line in report.splitlines():
            parts = line.split()
            if parts and parts[-1] in {"fdatasync", "fsync"}:
                calls += int(parts[3])
        return calls


def slow_entries(url: str) -> list[dict[str, Any]]:
    client = redis.Redis.from_url(url)
    try:
        entries = client.slowlog_get(20)
    finally:
        client.close()
    return [
        {
            "microseconds": entry["duration"],
            "command": entry["command"].decode(errors="replace")[:80]
            if isinstance(entry["command"], bytes)
            else str(entry["command"])[:80],
        }
        for entry in entries
    ]


def benchmark(
    system: ShopBenchSystem, checkouts: int, concurrency: int, count_fsyncs: bool
) -> dict[str, Any]:
    assert system.shop is not None
    event_id = "bench-" + secrets.token_hex(4)
    system.define_event(
        event_id,
        {
            "name": "Benchmark",
            "max_tickets_per_buyer": 4,
            "tiers": [{"tier_id": "standard", "price_minor": 5000, "capacity": checkouts}],
        },
    )
    host = f"{system.shop.host}:{system.shop.port}"
    requests = [
        checkout_request(host, event_id, "standard", token) for token in system.passes(checkouts)
    ]
    sale = redis.Redis.from_url(system.sale_redis.url)
    sale.config_set("slowlog-log-slower-than", SLOWLOG_MICROSECONDS)
    sale.slowlog_reset()
    sale.close()
    fsyncs = None
    if count_fsyncs:
        assert system.sale_redis.process is not None
        fsyncs = FsyncCounter(system.sale_redis.process.pid)
    before = system.usage()
    client_cpu = time.process_time()
    latencies, statuses, elapsed = asyncio.run(
        fire(system.shop.host, system.shop.port, requests, concurrency)
    )
    client_cpu = time.process_time() - client_cpu
    after = system.usage()
    fsync_calls = fsyncs.stop() if fsyncs is not None else None
    figures = system.staff_get(f"/api/v1/staff/events/{event_id}")
    return {
        "checkouts": checkouts,
        "concurrency": concurrency,
        "workers": system.workers,
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
        "sold": figures.get("sold_total"),
        "checkouts_per_second": round(checkouts / elapsed, 1),
        "elapsed_seconds": round(elapsed, 2),
        "latency": latency_summary(latencies),
        "per_checkout": {
            **usage_per_request(before, after, checkouts),
            "client_cpu_us": round(client_cpu / checkouts * 1e6, 1),
            "sale_redis_fsyncs": None if fsync_calls is None else round(fsync_calls / checkouts, 2),
        },
        "sale_redis_slowlog": slow_entries(system.sale_redis.url),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkouts", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers of each app")
    parser.add_argument("--count-fsyncs", action="store_true", help="strace the sale Redis")
    parser.add_argument(
        "--source", type=Path, default=None, help="serve the apps from another checkout"
    )
    parser.add_argument("--output", type=Path, default=None, help="write the result as JSON")
    arguments = parser.parse_args()
    with running_system(workers=arguments.workers, source=arguments.source) as system:
        result = benchmark(
            system, arguments.checkouts, arguments.concurrency, arguments.count_fsyncs
        )
    result["source"] = str(arguments.source or "this checkout")
    text = json.dumps(result, indent=2)
    print(text)
    if arguments.output is not None:
        arguments.output.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
