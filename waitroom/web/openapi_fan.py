"""OpenAPI paths of the fans' side: the queue page, join, status, the challenge."""

from __future__ import annotations

from typing import Any

from service_kit.openapi import (
    BEARER,
    BOOLEAN,
    ID_PATTERN,
    INTEGER,
    NUMBER,
    STRING,
    header_parameter,
    html,
    json_answer,
    obj,
    path_parameter,
    problem,
    problem_or_page,
)

QUEUE_ID = path_parameter("queue_id", ID_PATTERN)
FAN_SECURITY: list[dict[str, list[str]]] = [*BEARER, {}]
"""The position token as ``Authorization: Bearer`` or the ``wr_pos_<queue>`` cookie."""

STATUS_SCHEMA = obj(
    {
        "state": {"enum": ["prequeue", "waiting", "admitted", "paused", "sold_out", "closed"]},
        "position": {"type": "integer", "minimum": 0},
        "ahead": {"type": "integer", "minimum": 0},
        "eta_seconds": {"type": ["integer", "null"]},
        "eta_range_seconds": {"type": ["array", "null"], "items": INTEGER},
        "poll_after_ms": {"type": "integer", "minimum": 0},
        "serving": INTEGER,
        "queue_length": INTEGER,
        "progress": NUMBER,
        "server_time": NUMBER,
        "tickets_remaining": INTEGER,
        "stock_may_return": BOOLEAN,
        "opens_at": NUMBER,
        "pause_reason": STRING,
        "token": STRING,
        "queue_id": STRING,
        "pass": STRING,
        "pass_expires_at": INTEGER,
        "redirect_url": STRING,
        "session_deadline": INTEGER,
        "closed_reason": {
            "enum": ["purchase_completed", "pass_expired", "session_ended", "queue_closed"]
        },
        "degraded": BOOLEAN,
    },
    ("state", "position", "ahead", "eta_seconds", "poll_after_ms"),
)
LANE_SCHEMA = obj(
    {
        "lane": {"enum": ["priority", "bypass"]},
        "state": STRING,
        "priority_position": INTEGER,
        "ahead": INTEGER,
        "poll_after_ms": INTEGER,
        "pass": STRING,
        "pass_expires_at": INTEGER,
        "redirect_url": STRING,
        "closed_reason": STRING,
    },
    ("lane", "state", "priority_position", "ahead", "poll_after_ms"),
)
PROFILE = obj(
    {
        "name": {"type": "string", "maxLength": 100},
        "email": {"type": "string", "maxLength": 254},
        "tier_id": STRING,
        "quantity": {"type": "integer", "minimum": 1},
        "your_turn_email": {
            "type": "boolean",
            "description": "E-mail the fan when the turn comes (when the waiting room sends "
            "e-mail); not part of the stored profile",
        },
    },
    ("name", "email"),
)
PROFILE_FORM = obj(
    {
        "name": STRING,
        "email": STRING,
        "tier_id": STRING,
        "quantity": STRING,
        "your_turn_email": {"enum": ["on"]},
    },
    ("name", "email"),
)
FAN_ERRORS = {
    "400": problem("Malformed input"),
    "401": problem("Missing, invalid, expired or stale position token"),
    "404": problem("No such queue"),
    "503": problem("The store is unreachable (fail closed); see Retry-After"),
}
PAGE_ERRORS = {
    "400": html("Bad input (friendly page)"),
    "401": html("No valid position token (friendly page)"),
    "404": html("No such queue or item (friendly page)"),
    "503": html("Unavailable (friendly page)"),
}


FORM_ERRORS = {code: problem_or_page(answer["description"]) for code, answer in FAN_ERRORS.items()}
"""Errors of endpoints that also take form posts from the page without JavaScript."""


def _fan(
    summary: str, responses: dict[str, Any], form: bool = False, **extra: Any
) -> dict[str, Any]:
    return {
        "summary": summary,
        "parameters": [QUEUE_ID, *extra.pop("parameters", [])],
        "security": FAN_SECURITY,
        "responses": {**(FORM_ERRORS if form else FAN_ERRORS), **responses},
        **extra,
    }


def queue_paths() -> dict[str, Any]:
    api = "/api/v1/queues/{queue_id}"
    return {
        "/q/{queue_id}": {
            "get": {
                "summary": "The fan's queue page (joins on first visit)",
                "parameters": [QUEUE_ID],
                "responses": {
                    "200": html("Queue page (or the proof-of-work page, or queue closed)"),
                    "400": html("Bad input"),
                    "401": html("The presented token is not valid for this queue"),
                    "404": html("No such queue"),
                    "409": html("Queue not joinable"),
                    "428": html("Proof of work required"),
                    "429": html("Too many joins"),
                    "503": html("Unavailable"),
                },
            }
        },
        f"{api}/join": {
            "post": {
                "summary": "Join the queue (or get the place already held)",
                "parameters": [
                    QUEUE_ID,
                    header_parameter("Waitroom-Pow-Challenge", "challenge token (proof of work)"),
                    header_parameter("Waitroom-Pow-Solution", "its solution (proof of work)"),
                ],
                "security": FAN_SECURITY,
                "responses": {
                    "200": json_answer("The place already held", STATUS_SCHEMA),
                    "201": json_answer("A new place", STATUS_SCHEMA),
                    **FAN_ERRORS,
                    "409": problem("Queue closed or sold out"),
                    "428": problem("Proof of work required"),
                    "429": problem("Too many joins from this address or network"),
                },
            }
        },
        f"{api}/status": {
            "get": _fan(
                "The fan's status (poll at poll_after_ms)",
                {
                    "200": json_answer("Status", STATUS_SCHEMA),
                },
            )
        },
        f"{api}/challenge": {
            "get": {
                "summary": "A proof-of-work challenge for joining",
                "parameters": [QUEUE_ID],
                "responses": {
                    "200": json_answer(
                        "Challenge",
                        obj(
                            {
                                "challenge": STRING,
                                "difficulty_bits": INTEGER,
                                "expires_in_seconds": INTEGER,
                                "required": BOOLEAN,
                            },
                            ("challenge", "difficulty_bits", "expires_in_seconds", "required"),
                        ),
                    ),
                    "404": problem("Invalid queue id"),
                },
            }
        },
    }
