"""Tickets sold before short codes existed: on start, each event's older orders get a short
code and scanner details per ticket (``register_tickets.lua``, idempotent), once per event. Their
signed QR codes never changed and keep working."""

from __future__ import annotations

import msgspec

from sale_backend.domain.documents import Order
from sale_backend.domain.fulfilment import SHORT_CODE_ATTEMPTS
from sale_backend.domain.records import stored_orders_page
from sale_backend.domain.short_codes import new_short_code
from sale_backend.domain.ticket_details import order_ticket_details
from sale_backend.storage.keys import EventKeys
from sale_backend.storage.store import SaleStore


async def register_older_tickets(store: SaleStore, event_id: str) -> int:
    """Details and short codes for every ticket of the event that has none; returns how many
    tickets got them. Does nothing once the event is marked done."""
    keys = EventKeys(event_id)
    if await store.redis.exists(keys.tickets_registered):
        return 0
    registered = 0
    cursor = 0
    while True:
        cursor, orders = await stored_orders_page(store, event_id, cursor)
        ticket_ids = [ticket.ticket_id for order in orders for ticket in order.tickets]
        known = {
            ticket_id
            for ticket_id, raw in zip(
                ticket_ids, await store.ticket_details(event_id, ticket_ids), strict=True
            )
            if raw is not None
        }
        for order in orders:
            if any(ticket.ticket_id not in known for ticket in order.tickets):
                registered += await _register_order(store, event_id, order)
        if cursor == 0:
            break
    await store.redis.set(keys.tickets_registered, "1")
    return registered


async def _register_order(store: SaleStore, event_id: str, order: Order) -> int:
    for _ in range(SHORT_CODE_ATTEMPTS):
        args: list[str | bytes] = []
        for ticket in order.tickets:
            short_code = ticket.short_code or new_short_code()
            with_code = msgspec.structs.replace(ticket, short_code=short_code)
            details = order_ticket_details(order, with_code)
            args += [details.ticket_id, short_code, details.to_json()]
        answer = await store.scripts.register_tickets(event_id, args)
        if answer[0] == "ok":
            return int(answer[1])
    return 0
