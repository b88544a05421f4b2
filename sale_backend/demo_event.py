"""The sample event of ``waitroom demo``: tiers, sale phases and a small seat map."""

from __future__ import annotations

import time
from typing import Any

from sale_backend.domain.catalog_parsing import parse_event
from sale_backend.domain.records import define_event
from sale_backend.storage.store import SaleStore

DEMO_EVENT_ID = "demo-concert"


def demo_event_id(queue_id: str) -> str:
    """The sample event of a demo queue: ``demo-concert`` for the queue ``demo``."""
    return f"{queue_id[:56]}-concert"


def demo_event_source(queue_id: str, now_seconds: float | None = None) -> dict[str, Any]:
    now = time.time() if now_seconds is None else now_seconds
    return {
        "queue_id": queue_id,
        "name": "Demo concert",
        "venue": "Waitroom Arena",
        "time_zone": "Europe/Tallinn",
        "starts_at": now + 30 * 24 * 3600,
        "currency": "EUR",
        "max_tickets_per_order": 6,
        "max_tickets_per_buyer": 6,
        "tiers": [
            {"tier_id": "standard", "name": "Standing", "price_minor": 4500, "capacity": 200},
            {
                "tier_id": "child",
                "name": "Child (under 12)",
                "kind": "child",
                "price_minor": 2000,
                "capacity": 40,
            },
            {
                "tier_id": "group4",
                "name": "Group of 4",
                "kind": "group",
                "admits": 4,
                "price_minor": 16000,
                "capacity": 20,
            },
            {
                "tier_id": "bundle",
                "name": "Ticket + tour shirt",
                "kind": "bundle",
                "price_minor": 6500,
                "capacity": 50,
                "includes": "One tour T-shirt",
            },
            {"tier_id": "vip", "name": "VIP seat", "kind": "vip", "price_minor": 12000},
        ],
        "phases": [
            {
                "phase_id": "presale",
                "name": "Presale",
                "starts_at": 0,
                "ends_at": now - 60,
                "prices_minor": {"standard": 3900},
            },
            {
                "phase_id": "general",
                "name": "General",
                "starts_at": now - 60,
                "ends_at": now + 14 * 24 * 3600,
            },
            {
                "phase_id": "clearance",
                "name": "Clearance",
                "starts_at": now + 14 * 24 * 3600,
                "ends_at": now + 30 * 24 * 3600,
                "prices_minor": {"standard": 3500},
            },
        ],
        "sections": [
            {
                "section_id": "A",
                "name": "VIP front",
                "tier_id": "vip",
                "rows": [{"row_id": "1", "seats": 8}, {"row_id": "2", "seats": 8}],
            },
        ],
    }


def demo_profile_form(queue_id: str) -> dict[str, Any]:
    """The queue page's pre-checkout form for the sample event: the ticket types the shop can
    pre-select from a profile (seated tiers are picked on the seat map) and the order limit."""
    event = parse_event(demo_event_id(queue_id), demo_event_source(queue_id))
    unseated = [tier for tier in event.tiers if not tier.seated]
    return {
        "tiers": [{"id": tier.tier_id, "label": tier.name.document()} for tier in unseated],
        "max_quantity": event.max_tickets_per_order,
    }


async def seed_demo_event(store: SaleStore, queue_id: str) -> str:
    """Create the sample event once (an existing demo event keeps its sales)."""
    event_id = demo_event_id(queue_id)
    if event_id in await store.event_ids():
        return event_id
    source = demo_event_source(queue_id)
    await define_event(store, parse_event(event_id, source), source)
    return event_id
