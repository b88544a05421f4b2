"""Schemas of the shop's OpenAPI document (request bodies and answers of the JSON API)."""

from __future__ import annotations

from typing import Any

from waitroom.openapi_common import (
    ANY_OBJECT,
    BOOLEAN,
    ID_PATTERN,
    INTEGER,
    NUMBER,
    STRING,
    obj,
)

SHOP_ID = "^[a-z0-9][a-z0-9_-]{0,63}~[a-z][0-9a-f]{16}$"
"""Hold, order and ticket ids: ``<event_id>~<kind letter><16 hex>``."""
LOCAL_ID = {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,32}$"}


def array(items: dict[str, Any], max_items: int | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "array", "items": items}
    if max_items is not None:
        schema["maxItems"] = max_items
    return schema


TIER_VIEW = obj(
    {
        "tier_id": STRING,
        "name": STRING,
        "kind": STRING,
        "price_minor": INTEGER,
        "admits": INTEGER,
        "includes": STRING,
        "seated": BOOLEAN,
        "on_sale": BOOLEAN,
        "capacity": INTEGER,
        "remaining": INTEGER,
        "held": INTEGER,
        "sold": INTEGER,
    },
    ("tier_id", "name", "price_minor", "on_sale", "capacity", "remaining", "held", "sold"),
)
EVENT_VIEW = obj(
    {
        "event_id": STRING,
        "queue_id": STRING,
        "name": STRING,
        "venue": STRING,
        "starts_at": NUMBER,
        "currency": STRING,
        "max_tickets_per_order": INTEGER,
        "max_tickets_per_buyer": INTEGER,
        "phase": {"type": ["object", "null"]},
        "phases": array(ANY_OBJECT),
        "tiers": array(TIER_VIEW),
        "sections": array(ANY_OBJECT),
        "sold_out": BOOLEAN,
        "capacity_total": INTEGER,
        "remaining_total": INTEGER,
        "held_total": INTEGER,
        "sold_total": INTEGER,
    },
    ("event_id", "queue_id", "name", "currency", "tiers", "sold_out"),
)
ITEM = obj(
    {"tier_id": {"type": "string", "maxLength": 64}, "quantity": {"type": "integer"}},
    ("tier_id", "quantity"),
)
SELECTION: dict[str, Any] = {
    "event_id": {"type": "string", "pattern": ID_PATTERN},
    "items": array(ITEM, 50),
    "seats": array({"type": "string", "maxLength": 100}, 50),
}
HOLD_REQUEST = obj(SELECTION, ("event_id",))
HOLD = obj(
    {
        "hold_id": STRING,
        "event_id": STRING,
        "items": ANY_OBJECT,
        "seats": array(STRING),
        "lines": array(ANY_OBJECT),
        "tickets": INTEGER,
        "amount_minor": INTEGER,
        "currency": STRING,
        "phase_id": STRING,
        "expires_at_ms": INTEGER,
        "expires_in_seconds": INTEGER,
    },
    ("hold_id", "event_id", "lines", "amount_minor", "currency", "expires_at_ms"),
)
PAYER: dict[str, Any] = {
    "card_number": {"type": "string", "pattern": "^[0-9]{12,19}$"},
    "name": {"type": "string", "minLength": 1, "maxLength": 120},
    "email": {"type": "string", "format": "email"},
}
CHECKOUT_REQUEST: dict[str, Any] = {
    "oneOf": [
        obj(
            {"hold_id": {"type": "string", "pattern": SHOP_ID}, **PAYER},
            ("hold_id", "card_number", "name", "email"),
        ),
        obj({**SELECTION, **PAYER}, ("event_id", "card_number", "name", "email")),
    ]
}
TICKET = obj(
    {
        "ticket_id": STRING,
        "tier_id": STRING,
        "tier_name": STRING,
        "admits": INTEGER,
        "seat_id": STRING,
        "price_minor": INTEGER,
        "code": STRING,
        "state": STRING,
    },
    ("ticket_id", "tier_id", "code"),
)
ORDER = obj(
    {
        "order_id": STRING,
        "event_id": STRING,
        "event_name": STRING,
        "payment_id": STRING,
        "name": STRING,
        "email": STRING,
        "amount_minor": INTEGER,
        "currency": STRING,
        "created_at": INTEGER,
        "tickets": array(TICKET),
        "status": {"enum": ["paid", "partially_refunded", "refunded"]},
    },
    ("order_id", "event_id", "amount_minor", "currency", "tickets"),
)
REFUND_REQUEST = obj({"ticket_ids": array({"type": "string", "pattern": SHOP_ID}, 100)})
REFUND = obj(
    {
        "refund_id": STRING,
        "order_id": STRING,
        "payment_id": STRING,
        "amount_minor": INTEGER,
        "ticket_ids": array(STRING),
        "status": {"enum": ["done", "pending"]},
    },
    ("refund_id", "amount_minor", "ticket_ids", "status"),
)
EVENT_DEFINITION = obj(
    {
        "queue_id": {"type": "string", "pattern": ID_PATTERN},
        "name": {"type": "string", "maxLength": 200},
        "venue": {"type": "string", "maxLength": 200},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "starts_at": NUMBER,
        "max_tickets_per_order": {"type": "integer", "minimum": 1, "maximum": 100},
        "max_tickets_per_buyer": {"type": "integer", "minimum": 1, "maximum": 1000},
        "tiers": array(
            obj(
                {
                    "tier_id": LOCAL_ID,
                    "name": STRING,
                    "kind": {
                        "enum": [
                            "standard",
                            "vip",
                            "child",
                            "group",
                            "bundle",
                            "accessible",
                            "other",
                        ]
                    },
                    "price_minor": {"type": "integer", "minimum": 0},
                    "capacity": {"type": "integer", "minimum": 0},
                    "admits": {"type": "integer", "minimum": 1, "maximum": 50},
                    "includes": STRING,
                },
                ("tier_id", "price_minor"),
            )
        ),
        "phases": array(
            obj(
                {
                    "phase_id": LOCAL_ID,
                    "name": STRING,
                    "starts_at": NUMBER,
                    "ends_at": NUMBER,
                    "tier_ids": array(STRING),
                    "prices_minor": {"type": "object", "additionalProperties": INTEGER},
                },
                ("phase_id",),
            )
        ),
        "sections": array(
            obj(
                {
                    "section_id": LOCAL_ID,
                    "name": STRING,
                    "tier_id": LOCAL_ID,
                    "rows": array(obj({"row_id": LOCAL_ID, "seats": INTEGER}, ("row_id", "seats"))),
                },
                ("section_id", "tier_id", "rows"),
            )
        ),
    },
    ("queue_id", "tiers"),
)
SCAN = obj(
    {"accepted": {"const": True}, "ticket_id": STRING, "event_id": STRING},
    ("accepted", "ticket_id", "event_id"),
)
