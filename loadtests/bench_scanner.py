"""Door scanner benchmark: what the scanners' staff API costs for a big event.

Starts a Redis (embedded, AOF ``appendfsync always`` like production sale data) and the shop
under a real uvicorn process (2 workers), sells ``--tickets`` tickets through real express
checkouts (100 per order), then measures, as a door scanner uses the API:
- the first download of the whole ticket list, in pages of 2,000 (seconds, bytes);
- asking for changes when nothing changed (what every scanner does every 10 s);
- syncing offline scans in batches of 200 (scans per second);
- online scans of single tickets at a given concurrency (scans per second, latency).

    python -m loadtests.bench_scanner --tickets 20000 --concurrency 16
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import time
import uuid
from typing import Any

import httpx

from loadtests.servers import UvicornProcess
from waitroom.connector import PassClaims, PassCodec, visitor_hash
from waitroom.storage.embedded_redis import EmbeddedRedis
from waitroom.tokens import new_visitor_id

SECRET_KEY = "bench-secret-key-" + "0" * 16
STAFF_TOKEN = "bench-staff-token-0123456789"
ADMIN_TOKEN = "bench-admin-token-0123456789"
QUEUE_ID = "scanbench"
EVENT_ID = "scanbench-night"
ORDER_SIZE = 100
STAFF = {"authorization": f"Bearer {STAFF_TOKEN}"}


def event_definition(tickets: int) -> dict[str, Any]:
    return {
        "queue_id": QUEUE_ID,
        "name": "Scanner benchmark",
        "time_zone": "Europe/Tallinn",
        "max_tickets_per_order": ORDER_SIZE,
        "max_tickets_per_buyer": 1000,
        "tiers": [
            {"tier_id": "standing", "name": "Standing", "price_minor": 4500, "capacity": tickets}
        ],
    }


async def sell(client: httpx.AsyncClient, codec: PassCodec, tickets: int) -> list[str]:
    """Signed codes of ``tickets`` tickets bought in orders of 100, 8 checkouts at a time, each
    by a buyer with a pass of its own as a bearer token (claimed at the waiting room)."""
    codes: list[str] = []
    limit = asyncio.Semaphore(8)

    async def order(quantity: int) -> None:
        buyer = visitor_hash([SECRET_KEY], new_visitor_id())
        expires_at = int(time.time()) + 900
        token = codec.issue(PassClaims(QUEUE_ID, buyer, secrets.token_hex(12), expires_at))
        async with limit:
            answer = await client.post(
                "/api/v1/checkout",
                json={
                    "event_id": EVENT_ID,
                    "items": [{"tier_id": "standing", "quantity": quantity}],
                    "card_number": "4242424242424242",
                    "name": "Bench Fan",
                    "email": "fan@example.org",
                },
                headers={"authorization": f"Bearer {token}", "idempotency-key": str(uuid.uuid4())},
            )
        answer.raise_for_status()
        codes.extend(ticket["code"] for ticket in answer.json()["tickets"])

    sizes = [ORDER_SIZE] * (tickets // ORDER_SIZE) + (
        [tickets % ORDER_SIZE] if tickets % ORDER_SIZE else []
    )
    await asyncio.gather(*(order(size) for size in sizes))
    return codes


async def download(client: httpx.AsyncClient) -> dict[str, Any]:
    started, version, pages, size, count = time.perf_counter(), 0, 0, 0, 0
    while True:
        answer = await client.get(
            f"/api/v1/staff/events/{EVENT_ID}/tickets",
            params={"after": version, "limit": 2000},
            headers=STAFF,
        )
        answer.raise_for_status()
        page = answer.json()
        transferred = answer.num_bytes_downloaded  # compressed size when gzip was used
        pages, size, count = pages + 1, size + transferred, count + len(page["tickets"])
        version = page["version"]
        if not page["more"]:
            break
    return {
        "seconds": time.perf_counter() - started,
        "pages": pages,
        "bytes": size,
        "tickets": count,
        "version": version,
    }


async def unchanged(client: httpx.AsyncClient, version: int, rounds: int = 50) -> list[float]:
    latencies = []
    for _ in range(rounds):
        started = time.perf_counter()
        answer = await client.get(
            f"/api/v1/staff/events/{EVENT_ID}/tickets", params={"after": version}, headers=STAFF
        )
        answer.raise_for_status()
        assert answer.json()["tickets"] == []
        latencies.append(time.perf_counter() - started)
    return latencies


async def offline_batches(client: httpx.AsyncClient, codes: list[str]) -> dict[str, Any]:
    now_ms = int(time.time() * 1000)
    started = time.perf_counter()
    for start in range(0, len(codes), 200):
        scans = [
            {
                "scan_id": uuid.uuid4().hex,
                "code": code,
                "scanned_at_ms": now_ms - 1000,
                "decision": "admitted",
            }
            for code in codes[start : start + 200]
        ]
        answer = await client.post(
            f"/api/v1/staff/events/{EVENT_ID}/scans",
            headers=STAFF,
            json={
                "device_id": "bench-device",
                "door": "Bench door",
                "device_clock_ms": now_ms,
                "scans": scans,
            },
        )
        answer.raise_for_status()
    seconds = time.perf_counter() - started
    return {"scans": len(codes), "seconds": seconds, "scans_per_second": len(codes) / seconds}


async def online_scans(
    client: httpx.AsyncClient, codes: list[str], concurrency: int
) -> dict[str, Any]:
    limit = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def scan(code: str) -> None:
        async with limit:
            started = time.perf_counter()
            answer = await client.post(
                f"/api/v1/staff/events/{EVENT_ID}/scans",
                headers=STAFF,
                json={
                    "device_id": "bench-device",
                    "scans": [{"scan_id": uuid.uuid4().hex, "code": code}],
                },
            )
            latencies.append(time.perf_counter() - started)
        answer.raise_for_status()
        assert answer.json()["results"][0]["outcome"] == "admitted"

    started = time.perf_counter()
    await asyncio.gather(*(scan(code) for code in codes))
    seconds = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "scans": len(codes),
        "concurrency": concurrency,
        "scans_per_second": len(codes) / seconds,
        "p50_ms": 1000 * ordered[len(ordered) // 2],
        "p99_ms": 1000 * ordered[int(len(ordered) * 0.99)],
    }


async def measure(base_url: str, tickets: int, concurrency: int) -> dict[str, Any]:
    codec = PassCodec([SECRET_KEY], pass_ttl_seconds=900)
    limits = httpx.Limits(max_connections=concurrency + 8)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        defined = await client.put(
            f"/api/v1/staff/events/{EVENT_ID}", json=event_definition(tickets), headers=STAFF
        )
        defined.raise_for_status()
        sold_started = time.perf_counter()
        codes = await sell(client, codec, tickets)
        sold_seconds = time.perf_counter() - sold_started
        listed = await download(client)
        idle = await unchanged(client, listed["version"])
        half = len(codes) // 2
        offline = await offline_batches(client, codes[:half])
        online = await online_scans(client, codes[half:], concurrency)
    return {
        "tickets": tickets,
        "selling_seconds": round(sold_seconds, 2),
        "first_download": {
            **listed,
            "seconds": round(listed["seconds"], 3),
            "bytes_per_ticket": round(listed["bytes"] / max(1, tickets)),
        },
        "unchanged_poll_ms": {
            "p50": round(1000 * statistics.median(idle), 2),
            "max": round(1000 * max(idle), 2),
        },
        "offline_sync": {key: round(value, 2) for key, value in offline.items()},
        "online_scans": {key: round(value, 2) for key, value in online.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    arguments = parser.parse_args()
    with EmbeddedRedis(appendfsync_always=True) as redis_server:
        environment = {
            "REDIS_URL": redis_server.url,
            "WAITROOM_SECRET_KEYS": SECRET_KEY,
            "WAITROOM_ADMIN_TOKEN": ADMIN_TOKEN,
            "WAITROOM_STAFF_TOKEN": STAFF_TOKEN,
            "WAITROOM_SHOP_QUEUE_ID": QUEUE_ID,
        }
        waitroom = UvicornProcess(
            "waitroom.web.app:create_app_from_environ", "/readyz", environment
        )
        with waitroom:
            httpx.put(
                f"{waitroom.base_url}/api/v1/admin/queues/{QUEUE_ID}",
                json={"rate_per_minute": 60, "state": "open"},
                headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
            ).raise_for_status()
            result = run_shop(environment, waitroom.base_url, arguments)
    print(json.dumps(result, indent=2))


def run_shop(
    environment: dict[str, str], waitroom_url: str, arguments: argparse.Namespace
) -> dict[str, Any]:
    """The shop (its connector pointed at the waiting room) under the benchmark."""
    shop = UvicornProcess(
        "sale_backend.web.app:create_app_from_environ",
        "/readyz",
        {**environment, "WAITROOM_CONNECTOR_URL": waitroom_url},
        workers=arguments.workers,
    )
    with shop:
        return asyncio.run(measure(shop.base_url, arguments.tickets, arguments.concurrency))


if __name__ == "__main__":
    main()
