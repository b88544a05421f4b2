"""The shop's stock reports (sale_backend/domain/stock_reporter.py) through the connector to a real
waiting-room app: coalesced per event, soon after every change, never failing a sale, and
retried by the periodic round with the sales they carry."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

import httpx
import pytest

from sale_backend.domain.payments import CARD_SUCCEEDS
from sale_backend.domain.stock_reporter import MIN_INTERVAL_SECONDS
from tests.support.shop_fixtures import ShopFactory, sample_event
from waitroom.storage.keys import QueueKeys


class ConnectorWire(httpx.AsyncBaseTransport):
    """The shop's line to the waiting room: counts stock reports per event, and can cut them
    (the waiting room unreachable) while session calls still get through."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.reports: dict[str, int] = {}
        self.cut = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/stock"):
            if self.cut:
                raise httpx.ConnectError("connection refused", request=request)
            event_id = path.split("/")[-2]
            self.reports[event_id] = self.reports.get(event_id, 0) + 1
        return await self.inner.handle_async_request(request)


def checkout_body(event_id: str, quantity: int) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "items": [{"tier_id": "standard", "quantity": quantity}],
        "card_number": CARD_SUCCEEDS,
        "name": "Fan",
        "email": "fan@example.org",
    }


async def test_reports_are_coalesced_and_follow_every_change(
    shop_factory: ShopFactory, unique_id: str
) -> None:
    wires: list[ConnectorWire] = []

    def wire(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        wires.append(ConnectorWire(inner))
        return wires[-1]

    async with shop_factory(wrap_connector=wire) as shop:
        await shop.define(unique_id)
        async with shop.staff() as staff:
            elsewhere = await staff.put(
                f"/api/v1/staff/events/{unique_id}-elsewhere", json=sample_event("another-queue")
            )
            assert elsewhere.status_code == 200
        await shop.runtime.reporter.drain()
        assert wires[0].reports == {unique_id: 1}  # another queue's event is not this shop's
        started = time.monotonic()
        buyers = [shop.client() for _ in range(30)]

        async def hold(buyer: httpx.AsyncClient) -> int:
            response = await buyer.post(
                "/api/v1/holds",
                json={"event_id": unique_id, "items": [{"tier_id": "standard", "quantity": 1}]},
            )
            return response.status_code

        assert set(await asyncio.gather(*(hold(buyer) for buyer in buyers))) == {201}
        reported = await shop.reported_stock()
        elapsed = time.monotonic() - started
        for buyer in buyers:
            await buyer.aclose()
        assert reported is not None
        [event] = reported["events"]
        own = await shop.runtime.store.stock(unique_id)
        assert (event["remaining"], event["held"], event["sold"]) == (
            own["remaining_total"],
            30,
            0,
        )
        assert event["capacity"] == own["capacity_total"] == own["remaining_total"] + 30
        rounds = wires[0].reports[unique_id] - 1
        assert 1 <= rounds <= 2 + elapsed / MIN_INTERVAL_SECONDS, (rounds, elapsed)
        assert rounds < 30  # a burst of holds costs a round, not a report each


async def test_failed_reports_never_fail_a_sale_and_are_retried(
    shop_factory: ShopFactory, unique_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    wires: list[ConnectorWire] = []

    def wire(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        wires.append(ConnectorWire(inner))
        wires[-1].cut = True  # the waiting room cannot be reached for stock reports
        return wires[-1]

    caplog.set_level(logging.WARNING, logger="sale_backend")
    async with shop_factory(
        wrap_connector=wire, sweep_interval_seconds=0.05, stock_report_seconds=0.2
    ) as shop:
        await shop.define(unique_id)
        async with shop.client() as buyer:
            order = await buyer.post(
                "/api/v1/checkout",
                json=checkout_body(unique_id, 2),
                headers={"idempotency-key": str(uuid.uuid4())},
            )
            assert order.status_code == 201, order.text
        async with shop.staff() as staff:
            ticket_id = order.json()["tickets"][0]["ticket_id"]
            refunded = await staff.post(
                f"/api/v1/staff/orders/{order.json()['order_id']}/refund",
                json={"ticket_ids": [ticket_id]},
            )
            assert refunded.status_code == 200
        await asyncio.sleep(0.5)  # periodic rounds fail too
        assert await shop.reported_stock() is None
        warnings = [record for record in caplog.records if "not reported" in record.message]
        assert len(warnings) == 1  # once per run of failures, not once per attempt

        wires[0].cut = False  # the waiting room is back: the periodic round delivers
        deadline = time.monotonic() + 5
        while (reported := await shop.reported_stock()) is None:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        own = await shop.runtime.store.stock(unique_id)
        assert (reported["sold_total"], reported["remaining_total"]) == (1, own["remaining_total"])
        sales = await shop.waitroom.redis.hgetall(QueueKeys(unique_id).sales_per_minute)
        assert sum(int(count) for count in sales.values()) == 1  # 2 sold, 1 refunded, kept
