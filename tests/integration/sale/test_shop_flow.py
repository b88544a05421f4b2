"""The buyer's journey over the JSON API: event, hold, checkout, order, scan, refund."""

from __future__ import annotations

import uuid

from sale_backend.domain.payments import CARD_SUCCEEDS
from sale_backend.storage.keys import EventKeys
from tests.conftest import METRICS_HEADERS
from tests.support.shop_fixtures import Shop, sample_event
from tests.support.tampering import tampered
from waitroom.storage.keys import QueueKeys
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

        link = {"access": order["access_key"]}
        fetched = (await buyer.get(f"/api/v1/orders/{order['order_id']}", params=link)).json()
        assert fetched["tickets"] == order["tickets"]
        page = await buyer.get(f"/orders/{order['order_id']}", params=link)
        assert page.status_code == 200 and page.text.count("<svg") == 3

        code = order["tickets"][0]["code"]
        first = await staff.post("/api/v1/staff/scan", json={"code": code})
        assert first.status_code == 200 and first.json()["accepted"] is True
        second = await staff.post("/api/v1/staff/scan", json={"code": code})
        assert second.status_code == 409 and second.json()["reason"] == "already_scanned"
        forged = await staff.post("/api/v1/staff/scan", json={"code": tampered(code)})
        assert forged.status_code == 409 and forged.json()["reason"] == "forged"

        refunded_ticket = order["tickets"][1]
        refund = await buyer.post(
            f"/api/v1/orders/{order['order_id']}/refund",
            json={"ticket_ids": [refunded_ticket["ticket_id"]]},
            params=link,
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
            params=link,
        )
        assert used_refund.status_code == 409

        whole = await staff.post(f"/api/v1/staff/orders/{order['order_id']}/refund")
        assert whole.status_code == 200
        assert whole.json()["ticket_ids"] == [order["tickets"][2]["ticket_id"]]
        async with shop.client(visitor) as returning:  # the purchase ended the first session
            seats = (await returning.get(f"/api/v1/events/{unique_id}/seats")).json()["seats"]
        assert seats["A-1-1"] == "free"
        final = (await buyer.get(f"/api/v1/orders/{order['order_id']}", params=link)).json()
        assert final["status"] == "partially_refunded"
        assert [ticket["state"] for ticket in final["tickets"]] == ["used", "refunded", "refunded"]

        # Prometheus' metrics token only: not a buyer's pass, not the staff token
        assert (await buyer.get("/metrics")).status_code == 401
        assert (await staff.get("/metrics")).status_code == 401
        async with shop.client("", **METRICS_HEADERS) as prometheus:
            metrics = (await prometheus.get("/metrics")).text
        assert 'sale_checkouts_total{outcome="order"} 1.0' in metrics
        assert f'sale_tickets_sold_total{{event="{unique_id}"}} 3.0' in metrics
        assert f'sale_tickets_refunded_total{{event="{unique_id}"}} 2.0' in metrics
        for result in ("accepted", "already_scanned", "forged", "refunded"):
            assert f'sale_entry_scans_total{{result="{result}"}} 1.0' in metrics

    stock = await shop.runtime.store.stock(unique_id)
    assert stock["sold_total"] == 1 and stock["remaining_total"] == stock["capacity_total"] - 1
    counted = await shop.runtime.sale_redis.hget(EventKeys(unique_id).buyers, shop.buyer(visitor))
    assert counted == b"1"  # two of three tickets refunded: the limit was credited
    reported = await shop.reported_stock()
    assert reported is not None and reported["sold_total"] == 1
    [event] = reported["events"]
    tiers = {tier["tier_id"]: tier for tier in event["tiers"]}
    assert tiers["standard"]["remaining"] == 99 and tiers["vip"]["name"] == "VIP"
    sales = await shop.waitroom.redis.hgetall(QueueKeys(unique_id).sales_per_minute)
    assert sum(int(value) for value in sales.values()) == 1  # 3 sold, 2 refunded
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
        order_path = f"/api/v1/orders/{order['order_id']}"
        assert (await stranger.get(order_path)).status_code == 404
        assert (await stranger.get(f"/orders/{order['order_id']}")).status_code == 404
        forged = {"access": tampered(order["access_key"])}
        assert (await stranger.get(order_path, params=forged)).status_code == 404
        refund = await stranger.post(f"{order_path}/refund")
        assert refund.status_code == 404
        # the owner's purchase ended the owner's session; the hold of another visitor's
        # session stays theirs, the order opens with its link
        owned = await owner.get(order_path, params={"access": order["access_key"]})
        assert owned.status_code == 200
    stock = await shop.runtime.store.stock(unique_id)
    assert stock["tier:standard:sold"] == 1 and stock["tier:standard:held"] == 1


async def test_a_pass_of_this_queue_buys_nothing_of_another_queue(
    shop: Shop, unique_id: str
) -> None:
    await shop.define(unique_id)
    other_event = unique_id + "-other"
    async with shop.staff() as staff:
        defined = await staff.put(
            f"/api/v1/staff/events/{other_event}", json=sample_event("another-queue")
        )
        assert defined.status_code == 200
        assert (await staff.get(f"/api/v1/staff/events/{other_event}")).status_code == 200
    async with shop.client() as buyer:
        listed = (await buyer.get("/api/v1/events")).json()["events"]
        assert unique_id in {event["event_id"] for event in listed}
        assert other_event not in {event["event_id"] for event in listed}
        assert (await buyer.get(f"/api/v1/events/{other_event}")).status_code == 404
        hold = await buyer.post(
            "/api/v1/holds",
            json={"event_id": other_event, "items": [{"tier_id": "standard", "quantity": 1}]},
        )
        assert hold.status_code == 404
        checkout = await buyer.post(
            "/api/v1/checkout",
            json=buyer_details(event_id=other_event, items={"standard": 1}),
            headers={"Idempotency-Key": "elsewhere"},
        )
        assert checkout.status_code == 404
    assert (await shop.runtime.store.stock(other_event))["held_total"] == 0
