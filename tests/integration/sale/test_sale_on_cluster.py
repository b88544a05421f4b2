"""The shop's never-oversell invariant on a three-master Redis Cluster.

Three events whose ``{e:<id>}`` hash tags live on three different masters sell their last
tickets at the same time, through the same shop whose sale and queue Redis is the cluster
(``redis+cluster://``). Each event sells exactly its capacity; stock never goes negative and
always adds up; paid orders hold exactly the sold tickets.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import orjson
import pytest
from redis.asyncio import Redis, RedisCluster

from sale_backend.storage.keys import EventKeys
from tests.integration.sale.test_never_oversells import checkout_body
from tests.support.cluster import event_ids_on_distinct_masters
from tests.support.shop_fixtures import Shop, ShopFactory

CAPACITY = 40
ATTEMPTS_PER_EVENT = 120


@pytest.fixture
async def cluster_shop(shop_factory: ShopFactory, cluster_url: str) -> AsyncIterator[Shop]:
    async with shop_factory(redis_url=cluster_url) as started:
        yield started


async def test_events_on_three_masters_never_oversell(
    cluster_shop: Shop, cluster_redis: Redis
) -> None:
    shop = cluster_shop
    assert isinstance(shop.runtime.store.redis, RedisCluster)
    event_ids = await event_ids_on_distinct_masters(cluster_redis, 3, "sale")
    tier = {"tier_id": "standard", "name": "Standard", "price_minor": 5000, "capacity": CAPACITY}
    for event_id in event_ids:
        await shop.define(event_id, sections=[], tiers=[tier], max_tickets_per_buyer=1000)

    violations: list[dict[str, int]] = []
    done = asyncio.Event()

    async def watch_stock() -> int:
        snapshots = 0
        while not done.is_set():
            for event_id in event_ids:
                seen = await shop.runtime.store.stock(event_id)
                parts = (seen["remaining_total"], seen["held_total"], seen["sold_total"])
                if min(parts) < 0 or sum(parts) != seen["capacity_total"]:
                    violations.append(seen)
                snapshots += 1
            await asyncio.sleep(0)
        return snapshots

    attempts = [(event_id, index) for index in range(ATTEMPTS_PER_EVENT) for event_id in event_ids]
    clients = [shop.client() for _ in attempts]

    async def attempt(number: int) -> tuple[str, int]:
        event_id, _ = attempts[number]
        response = await clients[number].post(
            "/api/v1/checkout",
            json=checkout_body(event_id),
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code in {201, 409}, response.text
        return event_id, response.status_code

    watcher = asyncio.create_task(watch_stock())
    try:
        outcomes = Counter(await asyncio.gather(*(attempt(n) for n in range(len(attempts)))))
    finally:
        done.set()
        snapshots = await watcher
        for client in clients:
            await client.aclose()

    assert snapshots > 3 and violations == []
    for event_id in event_ids:
        assert outcomes[(event_id, 201)] == CAPACITY, outcomes
        assert outcomes[(event_id, 409)] == ATTEMPTS_PER_EVENT - CAPACITY, outcomes
        stock = await shop.runtime.store.stock(event_id)
        assert (stock["sold_total"], stock["remaining_total"], stock["held_total"]) == (
            CAPACITY, 0, 0
        )
        orders = await cluster_redis.hvals(EventKeys(event_id).orders)
        assert sum(len(orjson.loads(order)["tickets"]) for order in orders) == CAPACITY
