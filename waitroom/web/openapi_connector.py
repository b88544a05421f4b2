"""OpenAPI paths of the connector API (docs/connector.md, section 6), site-authenticated."""

from __future__ import annotations

from typing import Any

from service_kit.openapi import (
    INTEGER,
    STRING,
    json_answer,
    json_body,
    obj,
    path_parameter,
    problem,
)
from waitroom.web.openapi_fan import QUEUE_ID

SITE: list[dict[str, list[str]]] = [{"site": []}]
PASS_ID = path_parameter("pass_id", "^[A-Za-z0-9_-]{1,64}$")
ERRORS = {
    "400": problem("Bad input"),
    "401": problem("Site token missing or not valid (site-auth-rejected)"),
    "404": problem("No such queue or session"),
    "503": problem("Store unreachable"),
}
SESSION = obj(
    {"pass_id": STRING, "session_id": STRING, "deadline": INTEGER, "buyer": STRING},
    ("pass_id", "session_id", "deadline", "buyer"),
)


OPERATION_HEALTH = obj(
    {
        "requests": {"type": "integer", "minimum": 0},
        "errors": {"type": "integer", "minimum": 0},
        "p95_ms": {"type": ["number", "null"], "minimum": 0},
    },
    ("requests",),
)
HEALTH_REPORT = obj(
    {
        "reporter": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"},
        "window_seconds": {"type": "integer", "minimum": 1, "maximum": 3600},
        "interval_seconds": {"type": "number", "minimum": 0.1, "maximum": 600},
        "operations": {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 8,
            "propertyNames": {"pattern": "^[a-z][a-z0-9_]{0,31}$"},
            "additionalProperties": OPERATION_HEALTH,
        },
    },
    ("reporter", "window_seconds", "operations"),
)


def _site(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "parameters": [QUEUE_ID, *extra.pop("parameters", [])],
        "security": SITE,
        "responses": {**ERRORS, **responses},
        **extra,
    }


def connector_paths() -> dict[str, Any]:
    sessions = "/api/v1/connector/queues/{queue_id}/sessions"
    return {
        sessions: {
            "post": _site(
                "Claim a pass for one site session",
                {
                    "200": json_answer("Already this session's", SESSION),
                    "201": json_answer("Bound now", SESSION),
                    "409": problem("pass-in-use"),
                    "410": problem("pass-ended (closed_reason)"),
                },
                requestBody=json_body(
                    obj({"pass": STRING, "session_id": STRING}, ("pass", "session_id"))
                ),
            )
        },
        f"{sessions}/{{pass_id}}": {
            "get": _site(
                "The session's state",
                {
                    "200": json_answer(
                        "active, ended or expired",
                        obj(
                            {
                                "state": {"enum": ["active", "ended", "expired"]},
                                "deadline": INTEGER,
                                "reason": STRING,
                            },
                            ("state", "deadline"),
                        ),
                    )
                },
                parameters=[PASS_ID],
            )
        },
        f"{sessions}/{{pass_id}}/extend": {
            "post": _site(
                "Extend the session (at most the session maximum after the claim)",
                {
                    "200": json_answer("The granted deadline", obj({"deadline": INTEGER})),
                    "410": problem("session-ended or session-expired"),
                },
                parameters=[PASS_ID],
                requestBody=json_body(obj({"until": INTEGER}, ("until",))),
            )
        },
        f"{sessions}/{{pass_id}}/end": {
            "post": _site(
                "End the session (idempotent): the active-shopper slot is freed at once",
                {"200": json_answer("Ended", obj({"ended": {"type": "boolean"}}))},
                parameters=[PASS_ID],
                requestBody=json_body(
                    obj({"reason": {"enum": ["purchase_completed", "session_ended"]}}),
                    required=False,
                ),
            )
        },
        f"{sessions}/{{pass_id}}/profile": {
            "get": _site(
                "The fan's pre-checkout profile ({} when none)",
                {"200": json_answer("The profile", obj({"profile": {"type": "object"}}))},
                parameters=[PASS_ID],
            )
        },
        "/api/v1/connector/queues/{queue_id}/health": {
            "put": _site(
                "One site process's recent latency and errors per operation (section 7)",
                {
                    "200": json_answer(
                        "Stored",
                        obj(
                            {"accepted": {"type": "boolean"}, "autotune": {"type": "boolean"}},
                            ("accepted", "autotune"),
                        ),
                    )
                },
                requestBody=json_body(HEALTH_REPORT),
            )
        },
    }
