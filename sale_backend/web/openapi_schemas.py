"""Schemas of the shop's OpenAPI document (request bodies and answers of the JSON API)."""

from __future__ import annotations

from typing import Any

from service_kit.openapi import (
    ANY_OBJECT,
    BOOLEAN,
    ID_PATTERN,
    INTEGER,
    NUMBER,
    STRING,
    localized_text,
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
        "time_zone": STRING,
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
        "short_code": {"type": "string", "description": "printed under the QR: K7M4-PX2Q-9C"},
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
        "name": localized_text(200),
        "venue": localized_text(200),
        "time_zone": {"type": "string", "maxLength": 64, "examples": ["Europe/Tallinn"]},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "starts_at": NUMBER,
        "max_tickets_per_order": {"type": "integer", "minimum": 1, "maximum": 100},
        "max_tickets_per_buyer": {"type": "integer", "minimum": 1, "maximum": 1000},
        "tiers": array(
            obj(
                {
                    "tier_id": LOCAL_ID,
                    "name": localized_text(200),
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
                    "includes": localized_text(200),
                },
                ("tier_id", "price_minor"),
            )
        ),
        "phases": array(
            obj(
                {
                    "phase_id": LOCAL_ID,
                    "name": localized_text(200),
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
                    "name": localized_text(200),
                    "tier_id": LOCAL_ID,
                    "rows": array(obj({"row_id": LOCAL_ID, "seats": INTEGER}, ("row_id", "seats"))),
                },
                ("section_id", "tier_id", "rows"),
            )
        ),
    },
    ("queue_id", "tiers"),
)
SCAN_ID = {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"}
SCANNED_TICKET = obj(
    {
        "ticket_id": STRING,
        "order_id": STRING,
        "short_code": STRING,
        "tier_id": STRING,
        "tier_name": STRING,
        "admits": INTEGER,
        "seat_id": STRING,
        "seat": {"type": ["object", "null"]},
        "seat_label": STRING,
        "holder": STRING,
    },
    ("ticket_id",),
)
FIRST_SCAN = {
    "type": ["object", "null"],
    "properties": {"at_ms": INTEGER, "door": STRING, "device": STRING},
}
SCAN_OUTCOME = obj(
    {
        "scan_id": STRING,
        "outcome": {
            "description": "admitted | already_scanned | duplicate | refunded | not_admitted, "
            "or for codes that are no ticket of the event: mistyped | forged | unknown | "
            "wrong_event",
            "type": "string",
        },
        "admitted": BOOLEAN,
        "flagged": {"type": "boolean", "description": "let in twice, or let in though refunded"},
        "ticket_id": STRING,
        "event_id": STRING,
        "state": STRING,
        "ticket": SCANNED_TICKET,
        "scanned_at_ms": {"type": ["integer", "null"]},
        "first_scan": FIRST_SCAN,
        "admissions": INTEGER,
        "entries": array(ANY_OBJECT),
        "detail": STRING,
    },
    ("scan_id", "outcome", "admitted"),
)
SCAN = obj(
    {"accepted": {"const": True}, **SCAN_OUTCOME["properties"]},
    ("accepted", "ticket_id", "event_id"),
)
SCAN_REQUEST = obj(
    {
        "code": {"type": "string", "description": "the signed QR code, or a short code"},
        "event_id": {"type": "string", "pattern": ID_PATTERN},
        "door": {"type": "string", "maxLength": 40},
        "scan_id": {"type": "string", "maxLength": 64},
    },
    ("code",),
)
SCAN_BATCH = obj(
    {
        "device_id": SCAN_ID,
        "door": {"type": "string", "maxLength": 40},
        "device_clock_ms": {"type": "integer", "minimum": 0},
        "scans": array(
            obj(
                {
                    "scan_id": SCAN_ID,
                    "code": {"type": "string", "minLength": 1, "maxLength": 300},
                    "scanned_at_ms": {"type": "integer", "minimum": 0},
                    "decision": {"enum": ["check", "admitted", "rejected"]},
                },
                ("scan_id", "code"),
            ),
            200,
        ),
    },
    ("device_id", "scans"),
)
SCAN_RESULTS = obj(
    {"event_id": STRING, "door": STRING, "results": array(SCAN_OUTCOME)},
    ("event_id", "results"),
)
TICKET_LIST = obj(
    {
        "event": ANY_OBJECT,
        "after_version": INTEGER,
        "version": INTEGER,
        "more": BOOLEAN,
        "server_time_ms": INTEGER,
        "tickets": array(
            obj(
                {
                    "ticket_id": STRING,
                    "version": INTEGER,
                    "state": {"enum": ["valid", "used", "refunded", "missing"]},
                    "code_hashes": array(STRING),
                    "short_code_hash": STRING,
                    "short_code_hint": STRING,
                    "tier_name": STRING,
                    "admits": INTEGER,
                    "seat_label": STRING,
                    "holder": STRING,
                    "first_scan": FIRST_SCAN,
                    "admissions": INTEGER,
                    "entries": array(ANY_OBJECT),
                },
                ("ticket_id", "version", "state", "code_hashes"),
            )
        ),
    },
    ("version", "more", "tickets"),
)
