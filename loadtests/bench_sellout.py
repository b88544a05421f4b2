"""Sell-out race benchmark: many buyers at once for the last tickets of a tier.

The deployed topology (:mod:`loadtests.shop_bench_system`): waiting room and shop on two
"hosts", each under the production command ``waitroom serve --workers 2`` (``--server uvicorn``:
bare uvicorn with the benchmark settings), the sale Redis with AOF ``appendfsync always``. An
event with ``--stock`` tickets; ``--buyers`` distinct fans with real passes (bearer tokens,
never claimed before) each send one express checkout of one ticket (their own Idempotency-Key),
over ``--connections`` keep-alive connections opened before the start and all firing at once,
each sending its next buyer's request as soon as the last one is answered.

Checked after the run: exactly ``--stock`` tickets sold, one order per 201, and every other
answer a clean 409 ``sold-out`` problem (the run fails otherwise). Reported: latency
percentiles over every request (and apart: the opening burst, each connection's first request,
the rest, and the purchases), requests per second, and per request the CPU of the shop, the
waiting room and both Redis servers and the sale Redis's commands (``evalsha`` = script calls),
and how the connections were spread over the shop's workers (counted from /proc at the end of
the race: :mod:`loadtests.connection_split`).

    python -m loadtests.bench_sellout --buyers 30000 --connections 2000 --stock 100
    python -m loadtests.bench_sellout ... --source /tmp/base     # an older commit, same run
    python -m loadtests.bench_sellout ... --shared-socket        # workers share one socket
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import uvloop

from loadtests.bench_checkout import checkout_request, latency_summary
from loadtests.connection_split import connections_per_process, shares
from loadtests.keepalive_client import KeepAliveConnection
from loadtests.servers import process_cpu_seconds
from loadtests.shop_bench_system import (
    SERVERS,
    ShopBenchSystem,
    running_system,
    usage_per_request,
)

TIER_ID = "standing"
SOLD_OUT_TYPE = "https://waitroom.dev/problems/sold-out"
REPLY_TIMEOUT_SECONDS = 120.0
"""Long enough that a slow answer is measured rather than counted as an error."""


@dataclass(frozen=True, slots=True)
class RaceResult:
    burst: list[float]
    """Latencies (s) of each connection's first request: the opening burst."""
    rest: list[float]
    purchases: list[float]
    """Latencies of the 201s (in either of the above too)."""
    outcomes: Counter[str]
    elapsed_seconds: float
    split: dict[int, int]
    """Shop worker pid -> connections it held at the end."""


def problem_type(body: bytes) -> str:
    try:
        return str(orjson.loads(body).get("type", "?"))
    except (orjson.JSONDecodeError, AttributeError):
        return "not JSON"


async def race(
    host: str,
    port: int,
    requests: list[bytes],
    connections: int,
    count_split: Callable[[], dict[int, int]],
) -> RaceResult:
    """Every request once, over ``connections`` connections opened before the start;
    ``count_split`` counts each worker's connections at the end, before they close."""
    clients = [KeepAliveConnection(host, port) for _ in range(connections)]
    opened = await asyncio.gather(*(client.connect() for client in clients), return_exceptions=True)
    failures = [error for error in opened if isinstance(error, BaseException)]
    if failures:
        raise RuntimeError(f"{len(failures)} connections could not be opened: {failures[0]!r}")
    burst: list[float] = []
    latencies: list[float] = []
    purchases: list[float] = []
    outcomes: Counter[str] = Counter()
    pending = iter(requests)
    start = asyncio.Event()

    async def buyer_after_buyer(client: KeepAliveConnection) -> None:
        await start.wait()
        measured = burst
        for raw in pending:
            try:
                reply = await client.send(raw, timeout_seconds=REPLY_TIMEOUT_SECONDS)
            except (ConnectionError, OSError, TimeoutError) as error:
                outcomes[f"error {type(error).__name__}"] += 1
                continue
            measured.append(reply.seconds)
            measured = latencies
            if reply.status == 201:
                outcomes["201"] += 1
                purchases.append(reply.seconds)
            elif reply.status == 409 and problem_type(reply.body) == SOLD_OUT_TYPE:
                outcomes["409 sold-out"] += 1
            else:
                outcomes[f"{reply.status} {problem_type(reply.body)}"] += 1

    tasks = [asyncio.create_task(buyer_after_buyer(client)) for client in clients]
    await asyncio.sleep(0.1)
    started = time.perf_counter()
    start.set()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    split = count_split()
    for client in clients:
        client.close()
    return RaceResult(burst, latencies, purchases, outcomes, elapsed, split)


def benchmark(system: ShopBenchSystem, buyers: int, connections: int, stock: int) -> dict[str, Any]:
    assert system.shop is not None
    event_id = "race-" + secrets.token_hex(4)
    now = time.time()
    system.define_event(
        event_id,
        {
            "name": "Sell-out race",
            "max_tickets_per_buyer": 4,
            "tiers": [
                {"tier_id": TIER_ID, "name": "Standing", "price_minor": 4500, "capacity": stock}
            ],
            "phases": [{"phase_id": "general", "starts_at": now - 60, "ends_at": now + 86400}],
        },
    )
    host = f"{system.shop.host}:{system.shop.port}"
    requests = [checkout_request(host, event_id, TIER_ID, token) for token in system.passes(buyers)]
    shop_workers = system.shop.worker_pids()
    worker_cpu_before = [process_cpu_seconds(pid) for pid in shop_workers]
    before = system.usage()
    client_cpu = time.process_time()
    shop = system.shop

    def count_split() -> dict[int, int]:
        return connections_per_process(shop.worker_pids(), shop.port)

    result = uvloop.run(race(shop.host, shop.port, requests, connections, count_split))
    outcomes, elapsed, split = result.outcomes, result.elapsed_seconds, result.split
    client_cpu = time.process_time() - client_cpu
    after = system.usage()
    worker_cpu = [
        round(process_cpu_seconds(pid) - used, 2)
        for pid, used in zip(shop_workers, worker_cpu_before, strict=True)
    ]
    figures = system.staff_get(f"/api/v1/staff/events/{event_id}")
    sold = int(figures["sold_total"])
    checks = {
        "exactly the stock sold": sold == stock,
        "one 201 per ticket sold": outcomes["201"] == sold,
        "every other answer a 409 sold-out": outcomes["201"] + outcomes["409 sold-out"] == buyers,
        "nothing held at the end": int(figures["held_total"]) == 0,
    }
    return {
        "buyers": buyers,
        "connections": connections,
        "stock": stock,
        "workers": system.workers,
        "server": " ".join([system.server, *system.serve_flags]),
        "shop_connections_per_worker": sorted(split.values(), reverse=True),
        "largest_worker_share": round(max(shares(split), default=0.0), 3),
        "shop_worker_cpu_seconds": sorted(worker_cpu, reverse=True),
        "outcomes": dict(outcomes.most_common()),
        "sold": sold,
        "checks": checks,
        "requests_per_second": round(buyers / elapsed, 1),
        "elapsed_seconds": round(elapsed, 2),
        "latency": latency_summary(result.burst + result.rest),
        "latency_opening_burst": latency_summary(result.burst),
        "latency_after_burst": latency_summary(result.rest),
        "latency_purchases": latency_summary(result.purchases),
        "per_request": {
            **usage_per_request(before, after, buyers),
            "client_cpu_us": round(client_cpu / buyers * 1e6, 1),
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=30_000)
    parser.add_argument("--connections", type=int, default=2_000)
    parser.add_argument("--stock", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers of each app")
    parser.add_argument(
        "--source", type=Path, default=None, help="serve the apps from another checkout"
    )
    parser.add_argument(
        "--server", choices=SERVERS, default="waitroom-serve", help="how the apps are served"
    )
    parser.add_argument(
        "--shared-socket",
        action="store_true",
        help="waitroom serve --shared-socket: the workers share one listening socket",
    )
    parser.add_argument("--output", type=Path, default=None, help="write the result as JSON")
    arguments = parser.parse_args()
    if arguments.shared_socket and arguments.server != "waitroom-serve":
        parser.error("--shared-socket is a flag of waitroom serve (--server waitroom-serve)")
    with running_system(
        workers=arguments.workers,
        source=arguments.source,
        server=arguments.server,
        serve_flags=("--shared-socket",) if arguments.shared_socket else (),
    ) as system:
        result = benchmark(system, arguments.buyers, arguments.connections, arguments.stock)
    result["source"] = str(arguments.source or "this checkout")
    text = json.dumps(result, indent=2)
    print(text)
    if arguments.output is not None:
        arguments.output.write_text(text + "\n", encoding="utf-8")
    return 0 if all(result["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
