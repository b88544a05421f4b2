"""OpenAPI of stock per event: the site's report (connector API, contract section 5) and the
figures organizers see (the admin paths that remove an event are in openapi_admin.py)."""

from __future__ import annotations

from typing import Any

from service_kit.openapi import (
    BOOLEAN,
    INTEGER,
    STRING,
    header_parameter,
    json_answer,
    json_body,
    obj,
    path_parameter,
    problem,
)
from waitroom.queue.stock_reports import (
    EVENT_ID_PATTERN,
    MAX_COUNT,
    MAX_SALES_MINUTES,
    MAX_SALES_PER_MINUTE,
    MAX_TIER_NAME_CHARS,
    MAX_TIERS,
    TIER_ID_PATTERN,
)
from waitroom.web.openapi_fan import QUEUE_ID

EVENT_ID = path_parameter("event_id", EVENT_ID_PATTERN.pattern)
COUNT: dict[str, Any] = {"type": "integer", "minimum": 0, "maximum": MAX_COUNT}
TIER = obj(
    {
        "tier_id": {"type": "string", "pattern": TIER_ID_PATTERN.pattern},
        "name": {"type": "string", "maxLength": MAX_TIER_NAME_CHARS},
        "remaining": COUNT,
        "capacity": COUNT,
        "sold": COUNT,
        "held": COUNT,
    },
    ("tier_id", "remaining"),
)
STOCK_REPORT = {
    **obj(
        {
            "remaining": COUNT,
            "capacity": COUNT,
            "sold": COUNT,
            "held": COUNT,
            "tiers": {"type": "array", "items": TIER, "maxItems": MAX_TIERS},
            "sold_by_minute": {
                "type": "object",
                "description": "unix minute -> tickets sold since the last report (refunds < 0)",
                "maxProperties": MAX_SALES_MINUTES,
                "additionalProperties": {
                    "type": "integer",
                    "minimum": -MAX_SALES_PER_MINUTE,
                    "maximum": MAX_SALES_PER_MINUTE,
                },
            },
            "version": {"type": "integer", "minimum": 0},
        },
        ("remaining",),
    ),
    "additionalProperties": False,
}
STOCK_FIGURES = obj(
    {
        "remaining_total": {"type": ["integer", "null"]},
        "capacity_total": {"type": ["integer", "null"]},
        "sold_total": {"type": ["integer", "null"]},
        "held_total": {"type": ["integer", "null"]},
        "sold_out": BOOLEAN,
        "updated_at": {"type": ["number", "null"]},
        "events": {"type": "array", "items": {"type": "object"}},
        "removed_event_ids": {"type": "array", "items": STRING},
    },
    ("events", "removed_event_ids"),
)
"""Stock per event and the totals, as organizers see them (``GET /api/v1/admin/queues/{id}``)."""


def connector_stock_paths() -> dict[str, Any]:
    return {
        "/api/v1/connector/queues/{queue_id}/events/{event_id}/stock": {
            "put": {
                "summary": "A protected site reports one event's stock (docs/connector.md 5)",
                "parameters": [
                    QUEUE_ID,
                    EVENT_ID,
                    header_parameter(
                        "Authorization", "Site <token> (docs/connector.md, section 6)"
                    ),
                ],
                "requestBody": json_body(STOCK_REPORT),
                "responses": {
                    "200": json_answer(
                        "Stored; the queue's state and the stock over all its events",
                        obj(
                            {
                                "queue_state": STRING,
                                "remaining_total": INTEGER,
                                "stale": BOOLEAN,
                            },
                            ("queue_state", "remaining_total"),
                        ),
                    ),
                    "400": problem("Malformed report (the problem names the field)"),
                    "401": problem("Site authentication rejected"),
                    "404": problem("No such queue"),
                    "409": problem("The organizer removed this event from the queue"),
                    "503": problem("Store unreachable"),
                },
            }
        },
    }
