"""OpenAPI paths of the organizers' JSON API (bearer admin token or admin session)."""

from __future__ import annotations

from typing import Any

from service_kit.openapi import (
    ANY_OBJECT,
    BEARER,
    BOOLEAN,
    INTEGER,
    NUMBER,
    STRING,
    header_parameter,
    json_answer,
    json_body,
    obj,
    path_parameter,
    problem,
    query_parameter,
)
from waitroom.web.openapi_fan import QUEUE_ID
from waitroom.web.openapi_stock import EVENT_ID, STOCK_FIGURES

ADMIN_SECURITY: list[dict[str, list[str]]] = [*BEARER, {"admin_session": []}]
"""The admin bearer token, or the dashboard's session cookie (plus X-CSRF-Token to change)."""
CSRF = header_parameter("X-CSRF-Token", "the session's CSRF token (session cookie callers)")
ADMIN_ERRORS = {
    "400": problem("Malformed input"),
    "401": problem("Admin token or session required"),
    "403": problem("Missing or wrong CSRF token (session callers)"),
    "404": problem("No such queue"),
    "429": problem("Too many failed admin tokens from this address"),
    "503": problem("Store unreachable"),
}
QUEUE_CONFIG = obj(
    {
        "rate_per_minute": {"type": "integer", "minimum": 0},
        "state": {"enum": ["open", "paused", "closed", "sold_out"]},
        "opens_at": {"type": "number", "minimum": 0},
        "burst": {"type": "integer", "minimum": 1},
        "redirect_url": STRING,
        "name": STRING,
        "pause_reason": STRING,
        "event_id": STRING,
        "active_shopper_cap": {"type": "integer", "minimum": 0},
        "abandon_after_seconds": {"type": "integer", "minimum": 0},
        "away_grace_seconds": {"type": "integer", "minimum": 0},
    }
)
QUEUE_DOCUMENT = obj(
    {
        **QUEUE_CONFIG["properties"],
        "active_shopper_cap": {"type": ["integer", "null"], "minimum": 0},
        "abandon_after_seconds": {"type": ["integer", "null"], "minimum": 0},
        "created_at": {"type": ["number", "null"]},
        "shuffle_seed_sha256": STRING,
        "shuffle_seed": STRING,
        "prequeue": {"type": "boolean"},
        "queue_id": STRING,
        "queue_length": INTEGER,
        "prequeue_length": INTEGER,
        "admitted_total": INTEGER,
        "joined_total": INTEGER,
        "serving_position": INTEGER,
        "tail_position": INTEGER,
        "epoch": INTEGER,
        "measured_outflow_per_minute": NUMBER,
        "sold_out_by_stock": BOOLEAN,
        "stock": {"oneOf": [STOCK_FIGURES, {"type": "null"}]},
    },
    ("queue_id", "state", "rate_per_minute", "queue_length", "admitted_total"),
)
AUTOTUNE_SETTINGS = obj(
    {
        "enabled": BOOLEAN,
        "min_rate_per_minute": {"type": "integer", "minimum": 1},
        "max_rate_per_minute": {"type": "integer", "minimum": 1},
        "target_p95_ms": {"type": "integer", "minimum": 1, "maximum": 60_000},
        "max_error_ratio": {"type": "number", "minimum": 0, "maximum": 1},
    }
)
AUTOTUNE_DOCUMENT = obj(
    {
        **AUTOTUNE_SETTINGS["properties"],
        "queue_id": STRING,
        "interval_seconds": NUMBER,
        "health": {"type": ["object", "null"]},
        "decisions": {"type": "array", "items": ANY_OBJECT},
        "now": NUMBER,
    },
    ("queue_id", "enabled", "decisions"),
)
CODE = obj(
    {
        "code_id": STRING,
        "kind": {"enum": ["priority", "bypass"]},
        "max_uses": INTEGER,
        "uses": INTEGER,
        "revoked": {"type": "boolean"},
        "label": STRING,
        "hint": STRING,
        "created_at": NUMBER,
        "code": STRING,
    },
    ("code_id", "kind", "max_uses", "uses", "revoked"),
)


def _admin(
    summary: str, responses: dict[str, Any], unsafe: bool = False, **extra: Any
) -> dict[str, Any]:
    parameters = [QUEUE_ID, *extra.pop("parameters", [])]
    return {
        "summary": summary,
        "parameters": [*parameters, CSRF] if unsafe else parameters,
        "security": ADMIN_SECURITY,
        "responses": {**ADMIN_ERRORS, **responses},
        **extra,
    }


def _content_pair(what: str) -> dict[str, Any]:
    return {
        "get": _admin(f"The {what}", {"200": json_answer(what.capitalize())}),
        "put": _admin(
            f"Replace the {what} (validated)",
            {"200": json_answer(f"The stored {what}")},
            unsafe=True,
            requestBody=json_body(ANY_OBJECT),
        ),
    }


def admin_api_paths() -> dict[str, Any]:
    admin = "/api/v1/admin/queues/{queue_id}"
    return {
        "/api/v1/admin/queues": {
            "get": {
                "summary": "Known queue ids",
                "security": ADMIN_SECURITY,
                "responses": {
                    "200": json_answer(
                        "Queue ids",
                        obj({"queues": {"type": "array", "items": STRING}}, ("queues",)),
                    ),
                    "401": problem("Admin token required"),
                    "429": problem("Too many failed admin tokens"),
                    "503": problem("Store unreachable"),
                },
            }
        },
        admin: {
            "get": _admin(
                "Queue config, live figures and protection figures",
                {"200": json_answer("Queue", QUEUE_DOCUMENT)},
            ),
            "put": _admin(
                "Create or update a queue",
                {
                    "200": json_answer("Updated", QUEUE_DOCUMENT),
                    "201": json_answer("Created", QUEUE_DOCUMENT),
                },
                unsafe=True,
                requestBody=json_body(QUEUE_CONFIG),
            ),
        },
        f"{admin}/live": {
            "get": _admin(
                "Every figure of the dashboard in one answer",
                {
                    "200": json_answer(
                        "Live figures",
                        obj(
                            {
                                "queue_id": STRING,
                                "now": NUMBER,
                                "state": STRING,
                                "queue_length": INTEGER,
                                "admitted_total": INTEGER,
                                "series": ANY_OBJECT,
                                "audit": {"type": "array", "items": ANY_OBJECT},
                            },
                            ("queue_id", "now", "state", "series"),
                        ),
                    )
                },
            ),
        },
        f"{admin}/autotune": {
            "get": _admin(
                "Autotune settings, the site's health and the latest decisions",
                {"200": json_answer("Autotune", AUTOTUNE_DOCUMENT)},
            ),
            "put": _admin(
                "Turn autotune on or off, set its range and limits (partial update)",
                {"200": json_answer("Autotune", AUTOTUNE_DOCUMENT)},
                unsafe=True,
                requestBody=json_body(AUTOTUNE_SETTINGS),
            ),
        },
        f"{admin}/audit": {
            "get": _admin(
                "The audit log, newest first",
                {
                    "200": json_answer(
                        "Entries",
                        obj(
                            {
                                "queue_id": STRING,
                                "entries": {
                                    "type": "array",
                                    "items": obj(
                                        {
                                            "at": NUMBER,
                                            "actor": STRING,
                                            "action": STRING,
                                            "changes": ANY_OBJECT,
                                        }
                                    ),
                                },
                            },
                            ("queue_id", "entries"),
                        ),
                    )
                },
                parameters=[
                    query_parameter(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": 1000},
                        "entries to return (default 50)",
                    )
                ],
            ),
        },
        f"{admin}/codes": {
            "get": _admin(
                "The queue's codes (never the plain codes)",
                {
                    "200": json_answer(
                        "Codes",
                        obj(
                            {"queue_id": STRING, "codes": {"type": "array", "items": CODE}},
                            ("queue_id", "codes"),
                        ),
                    )
                },
            ),
            "post": _admin(
                "Create a priority or bypass code (plain code shown once)",
                {
                    "201": json_answer("Created", CODE),
                    "409": problem("Code already exists, or too many codes"),
                },
                unsafe=True,
                requestBody=json_body(
                    obj(
                        {
                            "kind": {"enum": ["priority", "bypass"]},
                            "max_uses": {"type": "integer", "minimum": 0, "maximum": 1_000_000},
                            "label": {"type": "string", "maxLength": 200},
                            "code": {"type": "string", "pattern": "^[A-Za-z0-9_-]{6,64}$"},
                        }
                    )
                ),
            ),
        },
        f"{admin}/codes/{{code_id}}": {
            "delete": _admin(
                "Revoke a code",
                {
                    "200": json_answer("The revoked code", CODE),
                    "404": problem("No such queue or code"),
                },
                unsafe=True,
                parameters=[path_parameter("code_id", max_length=64)],
            ),
        },
        f"{admin}/events/{{event_id}}": {
            "delete": _admin(
                "Remove an event from the queue (its later reports are refused)",
                {
                    "200": json_answer(
                        "Removed",
                        obj(
                            {
                                "queue_id": STRING,
                                "event_id": STRING,
                                "removed": BOOLEAN,
                                "had_figures": BOOLEAN,
                                "queue_state": STRING,
                                "stock": {"oneOf": [STOCK_FIGURES, {"type": "null"}]},
                            },
                            ("queue_id", "event_id", "queue_state"),
                        ),
                    )
                },
                unsafe=True,
                parameters=[EVENT_ID],
            ),
        },
        f"{admin}/events/{{event_id}}/restore": {
            "post": _admin(
                "Accept a removed event's reports again",
                {
                    "200": json_answer(
                        "Restored (false: it was not removed)",
                        obj(
                            {"queue_id": STRING, "event_id": STRING, "restored": BOOLEAN},
                            ("queue_id", "event_id", "restored"),
                        ),
                    )
                },
                unsafe=True,
                parameters=[EVENT_ID],
            ),
        },
        f"{admin}/surveys": _content_pair("surveys and quizzes"),
        f"{admin}/upsells": _content_pair("upsell cards (with click counts)"),
        f"{admin}/profile-form": _content_pair("profile form settings"),
        f"{admin}/survey-results": {
            "get": _admin(
                "Aggregated survey answers",
                {
                    "200": json_answer(
                        "Results",
                        obj(
                            {"queue_id": STRING, "surveys": {"type": "array", "items": ANY_OBJECT}},
                            ("queue_id", "surveys"),
                        ),
                    )
                },
            ),
        },
    }
