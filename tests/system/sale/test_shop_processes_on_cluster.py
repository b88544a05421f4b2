"""The shop as several processes on one Redis Cluster: two independent shop servers (one with
two uvicorn workers) sell the same last tickets over real HTTP and never oversell."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from redis.asyncio import Redis

from sale_backend.storage.keys import EventKeys
from tests.conftest import server_environment
from tests.integration.sale.test_never_oversells import checkout_body
from tests.support.cluster import event_ids_on_distinct_masters
from tests.support.connector_support import mint_pass, open_queue
from tests.support.servers import ServerProcess
from tests.support.shop_fixtures import STAFF_TOKEN, sample_event

CAPACITY = 25
ATTEMPTS = 100
SHOP_FACTORY = "sale_backend.web.app:create_app_from_environ"


@pytest.fixture(scope="module")
def shop_queue_id() -> str:
    return "shop" + secrets.token_hex(4)


@pytest.fixture(scope="module")
def shop_servers(cluster_url: str, shop_queue_id: str) -> Iterator[list[ServerProcess]]:
    waitroom = ServerProcess(
        "waitroom.web.app:create_app_from_environ", server_environment(cluster_url)
    ).start()
    environment = server_environment(
        cluster_url,
        WAITROOM_SHOP_QUEUE_ID=shop_queue_id,
        WAITROOM_STAFF_TOKEN=STAFF_TOKEN,
        WAITROOM_CONNECTOR_URL=waitroom.base_url,
    )
    open_queue(waitroom.base_url, shop_queue_id)
    started: list[ServerProcess] = [waitroom]
    try:
        for workers in (2, 1):
            started.append(ServerProcess(SHOP_FACTORY, environment, workers=workers).start())
        yield started[1:]
    finally:
        for server in started:
            server.stop()


def buyer_headers(queue_id: str) -> dict[str, str]:
    """A fan who came through the waiting room: a pass as a bearer token."""
    return {"authorization": f"Bearer {mint_pass(queue_id)}", "idempotency-key": str(uuid.uuid4())}


async def test_two_shop_servers_on_a_cluster_sell_exactly_the_capacity(
    shop_servers: list[ServerProcess], shop_queue_id: str, cluster_redis: Redis
) -> None:
    (event_id,) = await event_ids_on_distinct_masters(cluster_redis, 1, "multi")
    tier = {"tier_id": "standard", "name": "Standard", "price_minor": 5000, "capacity": CAPACITY}
    event = sample_event(shop_queue_id, sections=[], tiers=[tier], max_tickets_per_buyer=1000)
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.put(
            f"{shop_servers[0].base_url}/api/v1/staff/events/{event_id}",
            json=event,
            headers={"authorization": f"Bearer {STAFF_TOKEN}"},
        )
        assert response.status_code == 200, response.text

        async def attempt(index: int) -> int:
            server = shop_servers[index % len(shop_servers)]
            response = await http.post(
                f"{server.base_url}/api/v1/checkout",
                json=checkout_body(event_id),
                headers=buyer_headers(shop_queue_id),
            )
            assert response.status_code in {201, 409}, response.text
            return response.status_code

        statuses = Counter(await asyncio.gather(*(attempt(index) for index in range(ATTEMPTS))))
    assert statuses == Counter({201: CAPACITY, 409: ATTEMPTS - CAPACITY})
    stock = {
        key.decode(): int(value)
        for key, value in (await cluster_redis.hgetall(EventKeys(event_id).stock)).items()
    }
    assert (stock["sold_total"], stock["remaining_total"], stock["held_total"]) == (CAPACITY, 0, 0)
    assert await cluster_redis.hlen(EventKeys(event_id).orders) == CAPACITY
