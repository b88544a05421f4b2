"""Tickets sold before short codes existed: the shop's next start gives each a short code and
the details door scanners show (once per event), and their QR codes keep working."""

from __future__ import annotations

import orjson
from redis.asyncio import Redis

from sale_backend.domain.older_tickets import register_older_tickets
from sale_backend.domain.short_codes import parse_short_code
from sale_backend.storage.keys import EventKeys
from tests.integration.sale.test_staff_scanner import bought_tickets
from tests.support.shop_fixtures import ShopFactory


async def as_sold_before_short_codes(redis: Redis, event_id: str, order_id: str) -> None:
    """The order as the shop wrote it before: no short codes, no details, no scans recorded."""
    keys = EventKeys(event_id)
    order = orjson.loads(await redis.hget(keys.orders, order_id))
    for ticket in order["tickets"]:
        del ticket["short_code"]
    await redis.hset(keys.orders, order_id, orjson.dumps(order))
    await redis.delete(
        keys.short_codes,
        keys.ticket_details,
        keys.ticket_changes,
        keys.entries,
        keys.tickets_registered,
    )


async def test_older_tickets_get_short_codes_on_start_and_keep_their_qr_codes(
    shop_factory: ShopFactory, unique_id: str, redis: Redis
) -> None:
    async with shop_factory() as shop:
        order_id, tickets = await bought_tickets(shop, unique_id, 2)
        async with shop.staff() as staff:
            used = await staff.post("/api/v1/staff/scan", json={"code": tickets[0]["code"]})
            assert used.status_code == 200
    await as_sold_before_short_codes(redis, unique_id, order_id)
    used_state = (await redis.hget(EventKeys(unique_id).tickets, tickets[0]["ticket_id"])) or b""
    assert used_state.startswith(b"used:")

    async with shop_factory() as shop:  # the next start
        async with shop.staff() as staff:
            order = (await staff.get(f"/api/v1/staff/orders/{order_id}")).json()
            short_codes = [ticket["short_code"] for ticket in order["tickets"]]
            assert all(parse_short_code(code) for code in short_codes)
            assert short_codes[0] != tickets[0]["short_code"]  # new ones were drawn
            listed = (await staff.get(f"/api/v1/staff/events/{unique_id}/tickets")).json()
            states = {ticket["ticket_id"]: ticket for ticket in listed["tickets"]}
            assert states[tickets[0]["ticket_id"]]["state"] == "used"
            first = states[tickets[0]["ticket_id"]]["first_scan"]
            assert first["at_ms"] == int(used_state.decode()[5:]) and first["door"] == ""

            again = await staff.post("/api/v1/staff/scan", json={"code": tickets[0]["code"]})
            assert again.status_code == 409 and again.json()["reason"] == "already_scanned"
            typed = await staff.post(
                "/api/v1/staff/scan", json={"code": short_codes[1], "event_id": unique_id}
            )
            assert typed.status_code == 200 and typed.json()["ticket"]["holder"] == "Ada Fan"
        assert await register_older_tickets(shop.runtime.store, unique_id) == 0  # once
