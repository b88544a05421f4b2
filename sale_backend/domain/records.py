"""The shop's records as the domain's types: what :class:`SaleStore` keeps as JSON (catalogs,
holds, orders, payments, refunds), decoded here, so that storage knows nothing of the domain."""

from __future__ import annotations

from typing import Any

import msgspec
import orjson

from sale_backend.domain.catalog import Event
from sale_backend.domain.catalog_parsing import parse_event
from sale_backend.domain.documents import HoldData, Order, Payment, Refund
from sale_backend.storage.store import SaleStore


async def define_event(store: SaleStore, event: Event, source: dict[str, Any]) -> tuple[str, ...]:
    """Store the event's definition as given (``source``) with its tiers and seats."""
    return await store.define_catalog(
        event.event_id,
        source,
        [(tier.tier_id, tier.capacity) for tier in event.tiers],
        list(event.seat_tiers()),
    )


async def stored_event(store: SaleStore, event_id: str) -> Event:
    """The event as defined; raises EventNotFound."""
    return parse_event(event_id, orjson.loads(await store.catalog(event_id)))


async def stored_hold(store: SaleStore, event_id: str, hold_id: str) -> tuple[HoldData, int] | None:
    """The hold and its expiry (ms), or None when it is gone."""
    found = await store.hold(event_id, hold_id)
    return None if found is None else (msgspec.json.decode(found[0], type=HoldData), found[1])


async def stored_order(store: SaleStore, event_id: str, order_id: str) -> Order | None:
    raw = await store.order(event_id, order_id)
    return None if raw is None else msgspec.json.decode(raw, type=Order)


async def stored_orders_page(
    store: SaleStore, event_id: str, cursor: int
) -> tuple[int, list[Order]]:
    """One page of the event's orders: (next cursor, 0 when done; orders)."""
    next_cursor, records = await store.orders_page(event_id, cursor)
    return next_cursor, [msgspec.json.decode(raw, type=Order) for raw in records]


async def stored_payment(
    store: SaleStore, event_id: str, payment_id: str
) -> tuple[Payment, str] | None:
    """The payment intent and its status, or None."""
    found = await store.payment(event_id, payment_id)
    return None if found is None else (msgspec.json.decode(found[0], type=Payment), found[1])


async def stored_refund(store: SaleStore, event_id: str, refund_id: str) -> Refund | None:
    raw = await store.refund_record(event_id, refund_id)
    return None if raw is None else msgspec.json.decode(raw, type=Refund)
