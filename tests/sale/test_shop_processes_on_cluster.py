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

from sale_backend.keys import EventKeys
from tests.cluster import event_ids_on_distinct_masters
from tests.conftest import SECRET_KEYS, server_environment
from tests.sale.conftest import STAFF_TOKEN, sample_event
from tests.sale.test_never_oversells import checkout_body
from tests.servers import ServerProcess
from waitroom.cookies import VISITOR_COOKIE
from waitroom.tokens import TokenCodec, new_visitor_id

CAPACITY = 25
ATTEMPTS = 100
SHOP_FACTORY = "sale_backend.app:create_app_from_environ"


@pytest.fixture(scope="module")
def shop_queue_id() -> str:
    return "shop" + secrets.token_hex(4)


@pytest.fixture(scope="module")
def shop_servers(cluster_url: str, shop_queue_id: str) -> Iterator[list[ServerProcess]]:
    environment = server_environment(
        cluster_url, WAITROOM_SHOP_QUEUE_ID=shop_queue_id, WAITROOM_STAFF_TOKEN=STAFF_TOKEN
    )
    started: list[ServerProcess] = []
    try:
        for workers in (2, 1):
            started.append(ServerProcess(SHOP_FACTORY, environment, workers=workers).start())
        yield started
    finally:
        for server in started:
            server.stop()


def buyer_headers(queue_id: str) -> dict[str, str]:
    """A fan who came through the waiting room: a pass bound to their visitor cookie."""
    visitor = new_visitor_id()
    codec = TokenCodec(SECRET_KEYS, position_max_age_seconds=3600, pass_ttl_seconds=600)
    token, _ = codec.issue_pass(queue_id, visitor, secrets.token_hex(6))
    return {
        "authorization": f"Bearer {token}",
        "cookie": f"{VISITOR_COOKIE}={visitor}",
        "idempotency-key": str(uuid.uuid4()),
    }


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
