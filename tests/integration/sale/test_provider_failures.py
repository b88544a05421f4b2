"""Payment provider failures: a lost response after the bank charged, and a provider that is
down; neither loses nor duplicates a paid order."""

from __future__ import annotations

import orjson
import pytest
from redis.asyncio import Redis

from sale_backend.domain.checkout import parse_checkout
from sale_backend.domain.payments import (
    CARD_SLOW,
    PaymentResult,
    TestPaymentProvider,
)
from sale_backend.domain.reconcile import reconcile
from sale_backend.errors import IdempotencyKeyBusy, PaymentProviderError
from sale_backend.storage.keys import EventKeys
from tests.support.shop_fixtures import ShopFactory, express_checkout_body
from waitroom.storage.embedded_redis import EmbeddedRedis


class UnreliableProvider(TestPaymentProvider):
    """The test provider behind a bad network: it can lose answers or be unreachable."""

    lose_answers = False
    unreachable = False
    refunds_fail = False

    async def charge(
        self, payment_id: str, amount_minor: int, currency: str, card_number: str
    ) -> PaymentResult:
        if self.unreachable:
            raise PaymentProviderError("the bank is unreachable")
        result = await super().charge(payment_id, amount_minor, currency, card_number)
        if self.lose_answers:
            raise PaymentProviderError("connection reset after the charge went through")
        return result

    async def refund(self, payment_id: str, refund_id: str, amount_minor: int) -> None:
        if self.unreachable or self.refunds_fail:
            raise PaymentProviderError("the bank refused the refund call")
        await super().refund(payment_id, refund_id, amount_minor)

    async def lookup(self, payment_id: str) -> PaymentResult | None:
        if self.unreachable:
            raise PaymentProviderError("the bank is unreachable")
        return await super().lookup(payment_id)


def body(event_id: str) -> dict[str, object]:
    return express_checkout_body(event_id, items=[{"tier_id": "standard", "quantity": 2}])


def unreliable(redis: Redis) -> UnreliableProvider:
    return UnreliableProvider(redis)


async def test_lost_answer_after_the_charge_still_makes_one_order(
    shop_factory: ShopFactory, unique_id: str
) -> None:
    async with shop_factory(provider_factory=unreliable) as shop:
        await shop.define(unique_id)
        provider = shop.runtime.provider
        assert isinstance(provider, UnreliableProvider)
        provider.lose_answers = True
        async with shop.client() as buyer:
            response = await buyer.post(
                "/api/v1/checkout", json=body(unique_id), headers={"Idempotency-Key": "lost"}
            )
        assert response.status_code == 201, response.text
        orders = await shop.runtime.sale_redis.hvals(EventKeys(unique_id).orders)
        assert [orjson.loads(order)["order_id"] for order in orders] == [
            response.json()["order_id"]
        ]
        assert (await shop.runtime.store.stock(unique_id))["sold_total"] == 2


async def test_unreachable_provider_is_settled_by_the_reconciler(
    shop_factory: ShopFactory, unique_id: str
) -> None:
    with EmbeddedRedis() as server:  # its own Redis: the reconciler sees every event
        async with shop_factory(redis_url=server.url, provider_factory=unreliable) as shop:
            await shop.define(unique_id)
            provider = shop.runtime.provider
            assert isinstance(provider, UnreliableProvider)
            provider.unreachable = True
            async with shop.client() as buyer:
                unknown = await buyer.post(
                    "/api/v1/checkout", json=body(unique_id), headers={"Idempotency-Key": "down"}
                )
                assert unknown.status_code == 503, unknown.text
                assert unknown.json()["type"].endswith("payment-status-unknown")
                keys = EventKeys(unique_id)
                assert await shop.runtime.sale_redis.zcard(keys.payments_pending) == 1
                assert (await shop.runtime.store.stock(unique_id))["held_total"] == 2

                provider.unreachable = False
                report = await reconcile(shop.runtime.fulfilment, 0)
                assert report.payments_abandoned == 1  # the bank never saw it
                assert (await shop.runtime.store.stock(unique_id))["held_total"] == 0
                retry = await buyer.post(
                    "/api/v1/checkout", json=body(unique_id), headers={"Idempotency-Key": "down"}
                )
                assert retry.status_code == 201, retry.text
            assert (await shop.runtime.store.stock(unique_id))["sold_total"] == 2


async def test_failed_refunds_are_finished_by_the_reconciler(
    shop_factory: ShopFactory, unique_id: str
) -> None:
    with EmbeddedRedis() as server:
        async with shop_factory(
            redis_url=server.url, provider_factory=unreliable, hold_ttl_seconds=1
        ) as shop:
            await shop.define(unique_id)
            provider = shop.runtime.provider
            assert isinstance(provider, UnreliableProvider)
            provider.slow_seconds, provider.refunds_fail = 1.3, True
            keys = EventKeys(unique_id)
            async with shop.client() as buyer:
                late = await buyer.post(
                    "/api/v1/checkout",
                    json={**body(unique_id), "card_number": CARD_SLOW},
                    headers={"Idempotency-Key": "late"},
                )
                assert late.status_code == 409 and "will be refunded" in late.json()["detail"]
                late_payment = (await shop.runtime.sale_redis.hkeys(keys.payment_status))[0]
                paid = await buyer.post(
                    "/api/v1/checkout", json=body(unique_id), headers={"Idempotency-Key": "ok"}
                )
                assert paid.status_code == 201
                order_link = f"/api/v1/orders/{paid.json()['order_id']}"
                refund = await buyer.post(
                    f"{order_link}/refund", params={"access": paid.json()["access_key"]}
                )
                assert refund.status_code == 200 and refund.json()["status"] == "pending"
            assert await provider.refunded_minor(late_payment.decode()) == 0
            assert await provider.refunded_minor(paid.json()["payment_id"]) == 0

            provider.refunds_fail = False
            report = await reconcile(shop.runtime.fulfilment, 0)
            assert report.payments_refunded == 1 and report.refunds_resent == 1
            assert await provider.refunded_minor(late_payment.decode()) == 9000
            assert await provider.refunded_minor(paid.json()["payment_id"]) == 9000
            statuses = await shop.runtime.sale_redis.hget(keys.payment_status, late_payment)
            assert statuses == b"refunded"
            again = await reconcile(shop.runtime.fulfilment, 0)
            assert again.payments_refunded == 0 and again.refunds_resent == 0
            stock = await shop.runtime.store.stock(unique_id)
            assert stock["sold_total"] == 0 and stock["remaining_total"] == stock["capacity_total"]


class BuggyAdapter(TestPaymentProvider):
    """A provider adapter with a bug: it charges, then crashes instead of answering."""

    async def charge(
        self, payment_id: str, amount_minor: int, currency: str, card_number: str
    ) -> PaymentResult:
        await super().charge(payment_id, amount_minor, currency, card_number)
        raise RuntimeError("adapter bug after the charge")


async def test_a_crash_after_the_charge_never_frees_the_key_for_a_second_charge(
    shop_factory: ShopFactory, unique_id: str
) -> None:
    with EmbeddedRedis() as server:
        async with shop_factory(redis_url=server.url, provider_factory=BuggyAdapter) as shop:
            await shop.define(unique_id)
            runtime = shop.runtime
            event = await runtime.event(unique_id)
            request_body = body(unique_id)
            request = parse_checkout(request_body)
            with pytest.raises(RuntimeError):
                await runtime.checkout.checkout(event, "buyer-1", "key-1", request, request_body)
            with pytest.raises(IdempotencyKeyBusy):  # a retry must not charge again
                await runtime.checkout.checkout(event, "buyer-1", "key-1", request, request_body)
            report = await reconcile(runtime.fulfilment, 0)
            assert len(report.orders_written) == 1
            replay = await runtime.checkout.checkout(
                event, "buyer-1", "key-1", request, request_body
            )
            assert replay.replayed and replay.status == 201
            assert orjson.loads(replay.body)["order_id"] == report.orders_written[0]
            assert await runtime.sale_redis.hlen(EventKeys(unique_id).orders) == 1
