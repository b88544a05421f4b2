"""Checkout benchmark: throughput and latency percentiles of ``POST /api/v1/checkout``.

Starts a Redis (embedded, AOF ``appendfsync always`` like production sale data, unless
``REDIS_URL`` is set), the waiting room and the shop under real uvicorn processes, defines an
event, then fires express checkouts (one ticket each, distinct buyers with real passes as
bearer tokens: each checkout claims its pass at the waiting room and ends the session) at a
fixed concurrency.

    python -m loadtests.bench_checkout --checkouts 2000 --concurrency 32
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter

import httpx

from waitroom.connector import PassClaims, PassCodec, visitor_hash
from waitroom.storage.embedded_redis import EmbeddedRedis, free_port
from waitroom.tokens import new_visitor_id

SECRET_KEY = "bench-secret-key-" + "0" * 16
STAFF_TOKEN = "bench-staff-token-0123456789"
ADMIN_TOKEN = "bench-admin-token-0123456789"
QUEUE_ID = "bench"


def start_server(
    factory: str, redis_url: str, port: int, workers: int, **extra: str
) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "REDIS_URL": redis_url,
        "WAITROOM_SECRET_KEYS": SECRET_KEY,
        "WAITROOM_STAFF_TOKEN": STAFF_TOKEN,
        "WAITROOM_ADMIN_TOKEN": ADMIN_TOKEN,
        "WAITROOM_SHOP_QUEUE_ID": QUEUE_ID,
        **extra,
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        factory,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = subprocess.Popen(command, env=environment)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=0.5).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{factory} did not start")


async def run(base_url: str, checkouts: int, concurrency: int) -> None:
    event_id = "bench-" + secrets.token_hex(4)
    event = {
        "queue_id": QUEUE_ID,
        "name": "Benchmark",
        "max_tickets_per_buyer": 4,
        "tiers": [{"tier_id": "standard", "price_minor": 5000, "capacity": checkouts}],
    }
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        response = await client.put(
            f"/api/v1/staff/events/{event_id}",
            json=event,
            headers={"authorization": f"Bearer {STAFF_TOKEN}"},
        )
        response.raise_for_status()
        codec = PassCodec([SECRET_KEY], pass_ttl_seconds=900)
        latencies: list[float] = []
        statuses: Counter[int] = Counter()
        remaining = iter(range(checkouts))

        async def worker() -> None:
            for _ in remaining:
                buyer = visitor_hash([SECRET_KEY], new_visitor_id())
                expires_at = int(time.time()) + 900
                token = codec.issue(PassClaims(QUEUE_ID, buyer, secrets.token_hex(12), expires_at))
                started = time.perf_counter()
                answer = await client.post(
                    "/api/v1/checkout",
                    json={
                        "event_id": event_id,
                        "items": [{"tier_id": "standard", "quantity": 1}],
                        "card_number": "4242424242424242",
                        "name": "Bench Fan",
                        "email": "bench@example.org",
                    },
                    headers={
                        "authorization": f"Bearer {token}",
                        "idempotency-key": str(uuid.uuid4()),
                    },
                )
                latencies.append(time.perf_counter() - started)
                statuses[answer.status_code] += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    print(f"checkouts: {checkouts}  concurrency: {concurrency}  statuses: {dict(statuses)}")
    print(f"throughput: {checkouts / elapsed:.0f} checkouts/s  (elapsed {elapsed:.2f} s)")
    print(f"latency: p50 {p50:.1f} ms  p99 {p99:.1f} ms  max {latencies[-1] * 1000:.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkouts", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    arguments = parser.parse_args()
    embedded = None
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        embedded = EmbeddedRedis(appendfsync_always=True).start()
        redis_url = embedded.url
    waitroom_port, port = free_port(), free_port()
    waitroom = start_server(
        "waitroom.web.app:create_app_from_environ", redis_url, waitroom_port, arguments.workers
    )
    shop = start_server(
        "sale_backend.web.app:create_app_from_environ",
        redis_url,
        port,
        arguments.workers,
        WAITROOM_CONNECTOR_URL=f"http://127.0.0.1:{waitroom_port}",
    )
    try:
        httpx.put(
            f"http://127.0.0.1:{waitroom_port}/api/v1/admin/queues/{QUEUE_ID}",
            json={"rate_per_minute": 60, "state": "open"},
            headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
        ).raise_for_status()
        asyncio.run(run(f"http://127.0.0.1:{port}", arguments.checkouts, arguments.concurrency))
    finally:
        for process in (shop, waitroom):
            process.terminate()
            process.wait(timeout=10)
        if embedded is not None:
            embedded.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
