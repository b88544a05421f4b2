"""The buyer's journey over the JSON API: event, hold, checkout, order, scan, refund."""

from __future__ import annotations

import uuid

from sale_backend.keys import EventKeys
from sale_backend.payments import CARD_SUCCEEDS
from tests.sale.conftest import Shop
from waitroom.keys import QueueKeys
from waitroom.tokens import new_visitor_id


def buyer_details(**extra: object) -> dict[str, object]:
    return {"card_number": CARD_SUCCEEDS, "name": "Ada Fan", "email": "ada@example.org", **extra}


async def test_full_purchase_scan_and_refund(shop: Shop, unique_id: str) -> None:
    defined = await shop.define(unique_id)
    assert defined["capacity_total"] == 100 + 8 + 5
    assert defined["phase"]["phase_id"] == "general"
    visitor = new_visitor_id()
    async with shop.client(visitor) as buyer, shop.staff() as staff:
        event = (await buyer.get(f"/api/v1/events/{unique_id}")).json()
        assert {tier["tier_id"]: tier["remaining"] for tier in event["tiers"]} == {
            "standard": 100,
            "vip": 8,
            "group4": 5,
        }
        hold = await buyer.post(
            "/api/v1/holds",
            json={
                "event_id": unique_id,
                "items": [{"tier_id": "standard", "quantity": 2}],
                "seats": ["A-1-1"],
            },
        )
        assert hold.status_code == 201, hold.text
        held = hold.json()
        assert held["amount_minor"] == 2 * 4500 + 12000
        assert 590 <= held["expires_in_seconds"] <= 600
        seats = (await buyer.get(f"/api/v1/events/{unique_id}/seats")).json()["seats"]
        assert seats["A-1-1"] == "held" and seats["A-1-2"] == "free"

        response = await buyer.post(
            "/api/v1/checkout",
            json=buyer_details(hold_id=held["hold_id"]),
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code == 201, response.text
        order = response.json()
        assert order["status"] == "paid" and len(order["tickets"]) == 3
        stock = await shop.runtime.store.stock(unique_id)
        assert stock["sold_total"] == 3 and stock["held_total"] == 0
        assert stock["remaining_total"] + stock["sold_total"] == stock["capacity_total"]

        fetched = (await buyer.get(f"/api/v1/orders/{order['order_id']}")).json()
        assert fetched["tickets"] == order["tickets"]
        page = await buyer.get(f"/orders/{order['order_id']}")
        assert page.status_code == 200 and page.text.count("<svg") == 3

        code = order["tickets"][0]["code"]
        first = await staff.post("/api/v1/staff/scan", json={"code": code})
        assert first.status_code == 200 and first.json()["accepted"] is True
        second = await staff.post("/api/v1/staff/scan", json={"code": code})
        assert second.status_code == 409 and second.json()["reason"] == "already_scanned"
        forged = await staff.post("/api/v1/staff/scan", json={"code": code[:-2] + "xx"})
        assert forged.status_code == 409 and forged.json()["reason"] == "forged"

        refunded_ticket = order["tickets"][1]
        refund = await buyer.post(
            f"/api/v1/orders/{order['order_id']}/refund",
            json={"ticket_ids": [refunded_ticket["ticket_id"]]},
        )
        assert refund.status_code == 200, refund.text
        assert refund.json()["amount_minor"] == refunded_ticket["price_minor"]
        scan_refunded = await staff.post(
            "/api/v1/staff/scan", json={"code": refunded_ticket["code"]}
        )
        assert scan_refunded.status_code == 409
        assert scan_refunded.json()["reason"] == "refunded"
        used_refund = await buyer.post(
            f"/api/v1/orders/{order['order_id']}/refund",
            json={"ticket_ids": [order["tickets"][0]["ticket_id"]]},
        )
        assert used_refund.status_code == 409

        whole = await staff.post(f"/api/v1/staff/orders/{order['order_id']}/refund")
        assert whole.status_code == 200
        assert whole.json()["ticket_ids"] == [order["tickets"][2]["ticket_id"]]
        seats = (await buyer.get(f"/api/v1/events/{unique_id}/seats")).json()["seats"]
        assert seats["A-1-1"] == "free"
        final = (await buyer.get(f"/api/v1/orders/{order['order_id']}")).json()
        assert final["status"] == "partially_refunded"
        assert [ticket["state"] for ticket in final["tickets"]] == ["used", "refunded", "refunded"]

    stock = await shop.runtime.store.stock(unique_id)
    assert stock["sold_total"] == 1 and stock["remaining_total"] == stock["capacity_total"] - 1
    counted = await shop.runtime.sale_redis.hget(EventKeys(unique_id).buyers, visitor)
    assert counted == b"1"  # two of three tickets refunded: the limit was credited
    await shop.runtime.publisher.drain()
    published = await shop.runtime.queue_redis.hgetall(QueueKeys(unique_id).part("stock"))
    assert int(published[b"sold_total"]) == 1
    assert int(published[b"tier:standard:remaining"]) == 99
    assert published[b"tier:vip:name"] == b"VIP"
    sales = await shop.runtime.queue_redis.hgetall(QueueKeys(unique_id).part("sales_per_minute"))
    assert sum(int(value) for value in sales.values()) == 1
    provider_refunds = await shop.runtime.provider.refunded_minor(order["payment_id"])  # type: ignore[attr-defined]
    assert provider_refunds == order["amount_minor"] - order["tickets"][0]["price_minor"]


async def test_buyers_see_only_their_own_holds_and_orders(shop: Shop, unique_id: str) -> None:
    await shop.define(unique_id)
    async with shop.client() as owner, shop.client() as stranger:
        hold = (
            await owner.post(
                "/api/v1/holds",
                json={"event_id": unique_id, "items": [{"tier_id": "standard", "quantity": 1}]},
            )
        ).json()
        order = (
            await owner.post(
                "/api/v1/checkout",
                json=buyer_details(event_id=unique_id, items={"standard": 1}),
                headers={"Idempotency-Key": "own"},
            )
        ).json()
        assert (await stranger.get(f"/api/v1/holds/{hold['hold_id']}")).status_code == 404
        assert (await stranger.delete(f"/api/v1/holds/{hold['hold_id']}")).status_code == 404
        stolen = await stranger.post(
            "/api/v1/checkout",
            json=buyer_details(hold_id=hold["hold_id"]),
            headers={"Idempotency-Key": "steal"},
        )
        assert stolen.status_code == 404
        assert (await stranger.get(f"/api/v1/orders/{order['order_id']}")).status_code == 404
        assert (await stranger.get(f"/orders/{order['order_id']}")).status_code == 404
        refund = await stranger.post(f"/api/v1/orders/{order['order_id']}/refund")
        assert refund.status_code == 404
        assert (await owner.get(f"/api/v1/holds/{hold['hold_id']}")).status_code == 200
        assert (await owner.get(f"/api/v1/orders/{order['order_id']}")).status_code == 200
    stock = await shop.runtime.store.stock(unique_id)
    assert stock["tier:standard:sold"] == 1 and stock["tier:standard:held"] == 1
