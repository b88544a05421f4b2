"""Sold out, answered for free, deployed as in production: the waiting room (two uvicorn workers,
127.0.0.1) and the shop (two workers, 127.0.0.2, its own Redis with AOF ``appendfsync always``),
buyers with real passes as bearer tokens. The race sells exactly the stock and answers every
other buyer with a clean 409; once a worker's stock view knows the tier is gone, refusals cost
neither a script call nor a pass claim (``test_stock_comes_back.py``: tickets that come back)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from loadtests.bench_checkout import checkout_request
from loadtests.bench_sellout import SOLD_OUT_TYPE, race
from loadtests.connection_split import connections_per_process
from loadtests.redis_commandstats import commandstats, script_calls
from loadtests.shop_bench_system import ShopBenchSystem
from sale_backend.domain.payments import CARD_SUCCEEDS
from sale_backend.storage.stock_view import MAX_AGE_SECONDS

TIER_ID = "standing"

pytestmark = pytest.mark.slow


def deployed_system(**shop_environment: str) -> Iterator[ShopBenchSystem]:
    deployed = ShopBenchSystem(workers=2, shop_environment=shop_environment)
    try:
        yield deployed.start()
    finally:
        deployed.stop()


@pytest.fixture(scope="module")
def system() -> Iterator[ShopBenchSystem]:
    # a connection whose last buyer was answered early stays open until the race's end is counted
    yield from deployed_system(WAITROOM_KEEP_ALIVE_TIMEOUT_SECONDS="120")


def define(system: ShopBenchSystem, stock: int) -> str:
    event_id = "race-" + uuid.uuid4().hex[:8]
    now = time.time()
    system.define_event(
        event_id,
        {
            "name": "Last tickets",
            "max_tickets_per_buyer": 4,
            "tiers": [{"tier_id": TIER_ID, "price_minor": 4500, "capacity": stock}],
            "phases": [{"phase_id": "general", "starts_at": now - 60, "ends_at": now + 3600}],
        },
    )
    return event_id


def shop(system: ShopBenchSystem) -> httpx.Client:
    assert system.shop is not None
    return httpx.Client(base_url=system.shop.base_url, timeout=10)


def checkout(client: httpx.Client, event_id: str, token: str) -> httpx.Response:
    return client.post(
        "/api/v1/checkout",
        json={
            "event_id": event_id,
            "items": [{"tier_id": TIER_ID, "quantity": 1}],
            "card_number": CARD_SUCCEEDS,
            "name": "Fan",
            "email": "fan@example.org",
        },
        headers={"authorization": f"Bearer {token}", "idempotency-key": str(uuid.uuid4())},
    )


def hold(client: httpx.Client, event_id: str, token: str) -> httpx.Response:
    return client.post(
        "/api/v1/holds",
        json={"event_id": event_id, "items": [{"tier_id": TIER_ID, "quantity": 1}]},
        headers={"authorization": f"Bearer {token}"},
    )


def figures(system: ShopBenchSystem, event_id: str) -> dict[str, Any]:
    found: dict[str, Any] = system.staff_get(f"/api/v1/staff/events/{event_id}")
    return found


def assert_sold_out(response: httpx.Response) -> None:
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == SOLD_OUT_TYPE
    assert response.json()["tier_id"] == TIER_ID


def test_the_race_sells_exactly_the_stock_and_refuses_everyone_else_cleanly(
    system: ShopBenchSystem,
) -> None:
    assert system.shop is not None
    stock, buyers = 20, 1200
    event_id = define(system, stock)
    host = f"{system.shop.host}:{system.shop.port}"
    requests = [checkout_request(host, event_id, TIER_ID, token) for token in system.passes(buyers)]
    served = system.shop

    def count_split() -> dict[int, int]:
        return connections_per_process(served.worker_pids(), served.port)

    result = asyncio.run(race(served.host, served.port, requests, 300, count_split))
    assert result.outcomes == {"201": stock, "409 sold-out": buyers - stock}
    split = result.split
    assert len(split) == 2 and sum(split.values()) == 300, split  # both workers, every connection
    # each connection's first request is the opening burst; the purchases are measured apart
    assert (len(result.burst), len(result.rest)) == (300, buyers - 300)
    assert len(result.purchases) == stock
    sold = figures(system, event_id)
    assert (sold["sold_total"], sold["held_total"], sold["remaining_total"]) == (stock, 0, 0)


def test_once_sold_out_refusals_cost_no_script_call_and_no_pass_claim(
    system: ShopBenchSystem,
) -> None:
    event_id = define(system, 1)
    tokens = system.passes(201)
    with shop(system) as client:
        assert checkout(client, event_id, tokens[0]).status_code == 201
        for token in tokens[1:21]:  # both workers' views learn that the tier is gone
            assert_sold_out(checkout(client, event_id, token))
        time.sleep(MAX_AGE_SECONDS)
        sale_before = commandstats([system.sale_redis.url])
        queue_before = commandstats([system.queue_redis.url])
        for token in tokens[21:]:
            assert_sold_out(checkout(client, event_id, token))
            assert_sold_out(hold(client, event_id, token))
        sale = commandstats([system.sale_redis.url]) - sale_before
        queue = commandstats([system.queue_redis.url]) - queue_before
    # 360 refusals: neither the hold script nor an Idempotency-Key claim ran (both read with
    # HGET, which the views' reads, the sweeps and the catalog do not); the only scripts were
    # the views' own reads (a few a second per worker) and the background sweeps
    assert sale.get("hget", 0) == 0, sale
    assert script_calls(sale) < 90, sale
    # no pass was claimed at the waiting room (a claim sets its session's expiry with
    # EXPIREAT; the queue's Redis saw only the shop's periodic stock reports)
    assert queue.get("expireat", 0) == 0, queue
