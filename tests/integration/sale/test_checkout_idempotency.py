"""Idempotency-Key semantics, declines, provider time-outs and hold expiry during payment."""

from __future__ import annotations

import asyncio
import uuid

from sale_backend.domain.payments import (
    CARD_DECLINED,
    CARD_SLOW,
    CARD_SUCCEEDS,
    CARD_TIMEOUT,
    TestPaymentProvider,
)
from sale_backend.storage.keys import EventKeys
from tests.support.shop_fixtures import Shop, ShopFactory
from waitroom.tokens import new_visitor_id


def body(event_id: str, card: str = CARD_SUCCEEDS, quantity: int = 1) -> dict[str, object]:
    return {
        "event_id": event_id,
        "items": [{"tier_id": "standard", "quantity": quantity}],
        "card_number": card,
        "name": "Fan",
        "email": "fan@example.org",
    }


def provider_of(shop: Shop) -> TestPaymentProvider:
    provider = shop.runtime.provider
    assert isinstance(provider, TestPaymentProvider)
    return provider


async def test_same_key_same_body_replays_the_first_answer(shop: Shop, unique_id: str) -> None:
    await shop.define(unique_id)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    visitor = new_visitor_id()
    async with shop.client(visitor) as buyer, shop.client(visitor) as again:
        first = await buyer.post("/api/v1/checkout", json=body(unique_id, quantity=2), headers=key)
        # the purchase ended this pass's session: the same pass buys nothing more
        ended = await buyer.post("/api/v1/checkout", json=body(unique_id, quantity=2), headers=key)
        assert ended.status_code == 410
        assert ended.json()["closed_reason"] == "purchase_completed"
        # the same buyer with a new pass (queued again): keys are per buyer, so it replays
        buyer = again
        second = await buyer.post("/api/v1/checkout", json=body(unique_id, quantity=2), headers=key)
        assert first.status_code == second.status_code == 201
        assert second.content == first.content
        assert second.headers["idempotent-replayed"] == "true"
        different = await buyer.post(
            "/api/v1/checkout", json=body(unique_id, quantity=3), headers=key
        )
        assert different.status_code == 422
        assert different.json()["type"].endswith("idempotency-key-reused")
        missing = await buyer.post("/api/v1/checkout", json=body(unique_id))
        assert missing.status_code == 428
    stock = await shop.runtime.store.stock(unique_id)
    assert stock["tier:standard:sold"] == 2


async def test_keys_belong_to_one_buyer(shop: Shop, unique_id: str) -> None:
    await shop.define(unique_id)
    key = {"Idempotency-Key": "shared-key"}
    async with shop.client() as one, shop.client() as other:
        first = await one.post("/api/v1/checkout", json=body(unique_id), headers=key)
        second = await other.post("/api/v1/checkout", json=body(unique_id), headers=key)
    assert first.status_code == second.status_code == 201
    assert first.json()["order_id"] != second.json()["order_id"]


async def claimed_keys(shop: Shop, event_id: str) -> list[bytes]:
    """The event's claimed idempotency keys (a checkout in progress has claimed its key)."""
    pattern = EventKeys(event_id).prefix + "idem:*"
    return [key async for key in shop.runtime.sale_redis.scan_iter(match=pattern)]


async def test_concurrent_duplicate_is_409(shop: Shop, unique_id: str) -> None:
    await shop.define(unique_id)
    provider_of(shop).slow_seconds = 1.0
    key = {"Idempotency-Key": str(uuid.uuid4())}
    visitor = new_visitor_id()
    async with shop.client(visitor) as buyer:
        first = asyncio.create_task(
            buyer.post("/api/v1/checkout", json=body(unique_id, CARD_SLOW), headers=key)
        )
        # the duplicate comes while the first is at the bank: once it has claimed the key (not
        # merely started, which on a busy machine may be after the first has finished)
        for _ in range(200):
            if await claimed_keys(shop, unique_id) or first.done():
                break
            await asyncio.sleep(0.005)
        busy = await buyer.post(
            "/api/v1/checkout", json=body(unique_id, CARD_SLOW), headers=key
        )
        assert busy.status_code == 409, busy.text
        assert busy.json()["type"].endswith("idempotency-key-busy")
        assert (await first).status_code == 201
    # the purchase ended its session: the same fan, queued again, gets the first answer
    async with shop.client(visitor) as again:
        replay = await again.post("/api/v1/checkout", json=body(unique_id, CARD_SLOW), headers=key)
        assert replay.status_code == 201
        assert replay.headers["idempotent-replayed"] == "true"
    assert (await shop.runtime.store.stock(unique_id))["tier:standard:sold"] == 1


async def test_declined_card_returns_tickets_and_is_replayed(shop: Shop, unique_id: str) -> None:
    await shop.define(unique_id)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    async with shop.client() as buyer:
        declined = await buyer.post(
            "/api/v1/checkout", json=body(unique_id, CARD_DECLINED), headers=key
        )
        assert declined.status_code == 402 and declined.json()["reason"] == "card_declined"
        again = await buyer.post(
            "/api/v1/checkout", json=body(unique_id, CARD_DECLINED), headers=key
        )
        assert again.status_code == 402 and again.content == declined.content
    stock = await shop.runtime.store.stock(unique_id)
    assert stock["held_total"] == 0 and stock["tier:standard:remaining"] == 100


async def test_declined_card_keeps_an_explicit_hold_for_another_try(
    shop: Shop, unique_id: str
) -> None:
    await shop.define(unique_id)
    buyer_visitor = new_visitor_id()
    async with shop.client(buyer_visitor) as buyer:
        hold = (
            await buyer.post(
                "/api/v1/holds",
                json={"event_id": unique_id, "items": [{"tier_id": "standard", "quantity": 2}]},
            )
        ).json()
        details = {"name": "Fan", "email": "fan@example.org", "hold_id": hold["hold_id"]}
        declined = await buyer.post(
            "/api/v1/checkout",
            json={**details, "card_number": CARD_DECLINED},
            headers={"Idempotency-Key": "try-1"},
        )
        assert declined.status_code == 402
        paid = await buyer.post(
            "/api/v1/checkout",
            json={**details, "card_number": CARD_SUCCEEDS},
            headers={"Idempotency-Key": "try-2"},
        )
        assert paid.status_code == 201 and len(paid.json()["tickets"]) == 2
    async with shop.client(buyer_visitor) as buyer:
        reused = await buyer.post(
            "/api/v1/checkout",
            json={**details, "card_number": CARD_SUCCEEDS},
            headers={"Idempotency-Key": "try-3"},
        )
        assert reused.status_code == 404 and reused.json()["type"].endswith("hold-not-found")


async def test_provider_timeout_charges_nothing_and_frees_the_key(
    shop: Shop, unique_id: str
) -> None:
    await shop.define(unique_id)
    provider_of(shop).timeout_seconds = 0.05
    key = {"Idempotency-Key": str(uuid.uuid4())}
    async with shop.client() as buyer:
        timed_out = await buyer.post(
            "/api/v1/checkout", json=body(unique_id, CARD_TIMEOUT), headers=key
        )
        assert timed_out.status_code == 504
        retry = await buyer.post(
            "/api/v1/checkout", json=body(unique_id, CARD_TIMEOUT), headers=key
        )
        assert retry.status_code == 504  # the key was free again: the request ran again
    stock = await shop.runtime.store.stock(unique_id)
    assert stock["held_total"] == 0 and stock["sold_total"] == 0


async def test_hold_expiring_during_payment_is_never_confirmed(
    shop_factory: ShopFactory, unique_id: str
) -> None:
    async with shop_factory(hold_ttl_seconds=1) as shop:
        await shop.define(unique_id)
        provider_of(shop).slow_seconds = 1.3
        async with shop.client() as buyer:
            response = await buyer.post(
                "/api/v1/checkout",
                json=body(unique_id, CARD_SLOW, quantity=3),
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
        assert response.status_code == 409, response.text
        assert response.json()["type"].endswith("hold-expired")
        stock = await shop.runtime.store.stock(unique_id)
        assert stock["sold_total"] == 0 and stock["held_total"] == 0
        assert stock["remaining_total"] == stock["capacity_total"]
        keys = EventKeys(unique_id)
        assert await shop.runtime.sale_redis.hlen(keys.orders) == 0
        statuses = await shop.runtime.sale_redis.hvals(keys.payment_status)
        assert statuses == [b"refunded"]
        payment_id = (await shop.runtime.sale_redis.hkeys(keys.payment_status))[0].decode()
        assert await provider_of(shop).refunded_minor(payment_id) == 3 * 4500


async def test_expired_holds_return_to_stock_by_themselves(
    shop_factory: ShopFactory, unique_id: str
) -> None:
    async with shop_factory(hold_ttl_seconds=1, sweep_interval_seconds=0.1) as shop:
        await shop.define(unique_id)
        async with shop.client() as buyer:
            hold = await buyer.post(
                "/api/v1/holds",
                json={
                    "event_id": unique_id,
                    "items": [{"tier_id": "standard", "quantity": 4}],
                    "seats": ["A-2-3"],
                },
            )
            assert hold.status_code == 201
            assert (await shop.runtime.store.stock(unique_id))["held_total"] == 5
            for _ in range(40):
                await asyncio.sleep(0.1)
                if (await shop.runtime.store.stock(unique_id))["held_total"] == 0:
                    break
            stock = await shop.runtime.store.stock(unique_id)
            assert stock["held_total"] == 0 and stock["remaining_total"] == stock["capacity_total"]
            assert (await shop.runtime.store.seat_states(unique_id))["A-2-3"] == "free"
            gone = await buyer.get(f"/api/v1/holds/{hold.json()['hold_id']}")
            assert gone.status_code == 404
        counted = await shop.runtime.sale_redis.hlen(EventKeys(unique_id).buyers)
        assert counted == 0
