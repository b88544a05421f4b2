"""Crashes: kill -9 of Redis after acknowledged orders (AOF appendfsync always), and a shop
process dying between "payment succeeded" and "order written" (reconcile on start)."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import orjson
import pytest
import redis.asyncio as redis_asyncio
from redis.exceptions import BusyLoadingError

from sale_backend.domain.checkout import body_digest
from sale_backend.domain.holds import HoldRequest, create_hold
from sale_backend.domain.payments import CARD_SUCCEEDS, TestPaymentProvider
from sale_backend.domain.reconcile import reconcile
from sale_backend.storage.durability import sale_redis_is_durable
from sale_backend.storage.keys import EventKeys, new_id
from tests.sale.conftest import ShopFactory
from waitroom.storage.embedded_redis import EmbeddedRedis
from waitroom.tokens import new_visitor_id


def body(event_id: str) -> dict[str, object]:
    return {
        "event_id": event_id,
        "items": [{"tier_id": "standard", "quantity": 1}],
        "card_number": CARD_SUCCEEDS,
        "name": "Fan",
        "email": "fan@example.org",
    }


ARRIVAL_SPACING_SECONDS = 0.004


async def wait_until_loaded(client: redis_asyncio.Redis) -> None:
    """After a restart Redis answers LOADING until the AOF is replayed."""
    for _ in range(200):
        try:
            await client.ping()
            return
        except BusyLoadingError:
            await asyncio.sleep(0.02)
    raise AssertionError("redis did not finish loading its AOF")


@pytest.mark.slow
async def test_acknowledged_orders_survive_kill_9_of_redis(
    shop_factory: ShopFactory, unique_id: str, tmp_path: Path
) -> None:
    server = EmbeddedRedis(data_dir=tmp_path, appendfsync_always=True).start()
    try:
        acknowledged: list[str] = []
        enough = asyncio.Event()
        async with shop_factory(redis_url=server.url) as shop:
            await shop.define(unique_id)
            clients = [shop.client() for _ in range(150)]

            async def attempt(index: int) -> None:
                # arrivals spread over 0.6 s: batched script calls would otherwise confirm
                # every order in one pipeline, and the sale would end before the crash
                await asyncio.sleep(index * ARRIVAL_SPACING_SECONDS)
                try:
                    response = await clients[index].post(
                        "/api/v1/checkout",
                        json=body(unique_id),
                        headers={"Idempotency-Key": str(uuid.uuid4())},
                    )
                except Exception:
                    return
                if response.status_code == 201:
                    acknowledged.append(response.json()["order_id"])
                    if len(acknowledged) >= 40:
                        enough.set()

            async def crash_midway() -> None:
                await enough.wait()
                server.kill()  # SIGKILL while the other checkouts are in flight

            await asyncio.gather(crash_midway(), *(attempt(index) for index in range(150)))
            for client in clients:
                await client.aclose()
            server.restart()
            client = redis_asyncio.Redis.from_url(server.url)
            try:
                await wait_until_loaded(client)
                keys = EventKeys(unique_id)
                stored = await client.hmget(keys.orders, acknowledged)
                assert 40 <= len(acknowledged) < 100  # the crash interrupted the sale
                assert all(order is not None for order in stored)
                ticket_ids = [
                    ticket["ticket_id"]
                    for order in stored
                    for ticket in orjson.loads(order)["tickets"]
                ]
                assert all(
                    state == b"valid" for state in await client.hmget(keys.tickets, ticket_ids)
                )
                stock = {
                    key.decode(): int(value)
                    for key, value in (await client.hgetall(keys.stock)).items()
                }
                assert stock["sold_total"] >= len(acknowledged)
                parts = (stock["remaining_total"], stock["held_total"], stock["sold_total"])
                assert min(parts) >= 0 and sum(parts) == stock["capacity_total"]
                assert stock["sold_total"] == await client.hlen(keys.tickets)
            finally:
                await client.aclose()
    finally:
        server.stop()


async def test_reconcile_on_start_writes_the_paid_order_exactly_once(
    shop_factory: ShopFactory, unique_id: str
) -> None:
    with EmbeddedRedis() as server:
        visitor = new_visitor_id()
        key = str(uuid.uuid4())
        request_body = {**body(unique_id), "items": [{"tier_id": "standard", "quantity": 2}]}
        async with shop_factory(redis_url=server.url) as shop:
            await shop.define(unique_id)
            runtime = shop.runtime
            buyer = shop.buyer(visitor)  # the id the shop knows the fan by (the pass's vh)
            event = await runtime.event(unique_id)
            # What checkout does up to the provider's "succeeded", then the process dies.
            idempotency_key = EventKeys(unique_id).idempotency(buyer, key)
            hold = await create_hold(
                runtime.store,
                event,
                buyer,
                HoldRequest(unique_id, {"standard": 2}, ()),
                600,
                time.time(),
            )
            payment = {
                "payment_id": new_id(unique_id, "p"),
                "hold_id": hold.hold_id,
                "buyer": buyer,
                "amount_minor": hold.data.amount_minor,
                "currency": "EUR",
                "name": "Fan",
                "email": "fan@example.org",
                "express": True,
                "idempotency_key": idempotency_key,
                "provider": "test",
                "created_at": time.time(),
            }
            begun = await runtime.store.scripts.begin_checkout(
                unique_id,
                idempotency_key,
                body_digest(request_body),
                600,
                hold_id=hold.hold_id,
                buyer=buyer,
                payment_id=str(payment["payment_id"]),
                payment_json=orjson.dumps(payment),
            )
            assert begun[0] == "ok"  # the key is claimed and the payment intent recorded
            charged = await runtime.provider.charge(
                payment["payment_id"], payment["amount_minor"], "EUR", CARD_SUCCEEDS
            )
            assert charged.succeeded
            young = await reconcile(runtime.fulfilment, 60)  # another process may still run it
            assert young.orders_written == [] and young.payments_abandoned == 0
            assert await runtime.sale_redis.hlen(EventKeys(unique_id).orders) == 0
            async with shop.client(visitor) as client:
                busy = await client.post(
                    "/api/v1/checkout", json=request_body, headers={"Idempotency-Key": key}
                )
                assert busy.status_code == 409  # the first request is "still running"

        async with shop_factory(redis_url=server.url, reconcile_after_seconds=0.001) as restarted:
            keys = EventKeys(unique_id)
            orders = await restarted.runtime.sale_redis.hvals(keys.orders)
            assert len(orders) == 1
            order = orjson.loads(orders[0])
            assert order["payment_id"] == payment["payment_id"] and len(order["tickets"]) == 2
            stock = await restarted.runtime.store.stock(unique_id)
            assert stock["sold_total"] == 2 and stock["held_total"] == 0
            again = await reconcile(restarted.runtime.fulfilment, 0)
            assert again.orders_written == []
            assert await restarted.runtime.sale_redis.hlen(keys.orders) == 1
            async with restarted.client(visitor) as client:
                replay = await client.post(
                    "/api/v1/checkout", json=request_body, headers={"Idempotency-Key": key}
                )
                assert replay.status_code == 201
                assert replay.json()["order_id"] == order["order_id"]
                link = f"/api/v1/orders/{order['order_id']}?access={replay.json()['access_key']}"
                page = await client.get(link)
                assert page.status_code == 200 and page.json()["status"] == "paid"


async def test_reconcile_settles_uncharged_and_refunds_lost_holds(
    shop_factory: ShopFactory, unique_id: str
) -> None:
    with EmbeddedRedis() as server:
        async with shop_factory(redis_url=server.url, hold_ttl_seconds=1) as shop:
            await shop.define(unique_id)
            runtime = shop.runtime
            event = await runtime.event(unique_id)
            provider = runtime.provider
            assert isinstance(provider, TestPaymentProvider)
            payments = []
            for _ in range(2):
                buyer = new_visitor_id()
                hold = await create_hold(
                    runtime.store,
                    event,
                    buyer,
                    HoldRequest(unique_id, {"standard": 1}, ()),
                    1,
                    time.time(),
                )
                payment = {
                    "payment_id": new_id(unique_id, "p"),
                    "hold_id": hold.hold_id,
                    "buyer": buyer,
                    "amount_minor": 4500,
                    "currency": "EUR",
                    "name": "Fan",
                    "email": "fan@example.org",
                    "express": True,
                }
                begun = await runtime.store.scripts.begin_checkout(
                    unique_id,
                    EventKeys(unique_id).idempotency(buyer, "key"),
                    "digest",
                    600,
                    hold_id=hold.hold_id,
                    buyer=buyer,
                    payment_id=str(payment["payment_id"]),
                    payment_json=orjson.dumps(payment),
                )
                assert begun[0] == "ok"
                payments.append(payment)
            # the first was never charged; the second was charged but its hold then expired
            await provider.charge(payments[1]["payment_id"], 4500, "EUR", CARD_SUCCEEDS)
            await asyncio.sleep(1.1)
            report = await reconcile(runtime.fulfilment, 0)
            assert report.payments_abandoned == 1 and report.payments_refunded == 1
            assert report.orders_written == []
            statuses = await runtime.sale_redis.hmget(
                EventKeys(unique_id).payment_status, [p["payment_id"] for p in payments]
            )
            assert statuses == [b"abandoned", b"refunded"]
            assert await provider.refunded_minor(payments[1]["payment_id"]) == 4500
            stock = await runtime.store.stock(unique_id)
            assert stock["sold_total"] == 0 and stock["remaining_total"] == stock["capacity_total"]


async def test_the_shop_knows_whether_its_redis_is_durable(tmp_path: Path) -> None:
    with (
        EmbeddedRedis(data_dir=tmp_path, appendfsync_always=True) as durable,
        EmbeddedRedis() as plain,
    ):
        for server, expected in ((durable, True), (plain, False)):
            client = redis_asyncio.Redis.from_url(server.url)
            try:
                assert await sale_redis_is_durable(client) is expected
            finally:
                await client.aclose()
