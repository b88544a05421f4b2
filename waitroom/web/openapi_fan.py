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
    redirect,
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
            "enum": [
                "purchase_completed", "pass_expired", "session_ended", "queue_closed",
                "away_too_long",
            ]
        },
        "degraded": BOOLEAN,
        "away_grace_seconds": INTEGER,
        "returning": BOOLEAN,
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
    },
    ("name", "email"),
)
PROFILE_FORM = obj(
    {
        "name": STRING,
        "email": STRING,
        "tier_id": STRING,
        "quantity": STRING,
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


FRAME_SCHEMA = obj(
    {
        "queue_id": STRING,
        "epoch": INTEGER,
        "state": {"enum": ["prequeue", "open", "paused", "sold_out", "closed"]},
        "opened": BOOLEAN,
        "serving": INTEGER,
        "tail": INTEGER,
        "queue_length": INTEGER,
        "outflow_per_second": {"type": "number"},
        "eta_spread": {"type": "array", "items": {"type": "number"}},
        "heartbeat_after_ms": INTEGER,
        "frame_poll_ms": INTEGER,
        "opens_at": {"type": "number"},
        "tickets_remaining": INTEGER,
        "stock_may_return": BOOLEAN,
        "pause_reason": STRING,
        "away_grace_seconds": INTEGER,
    },
    ("queue_id", "epoch", "state", "serving", "queue_length", "outflow_per_second"),
)


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
                "summary": (
                    "The queue page: the fan's place, or (takes no place) the queue and a way in"
                ),
                "parameters": [QUEUE_ID],
                "responses": {
                    "200": html("Queue page of the place held, or of a visitor without one"),
                    "400": html("Bad input"),
                    "404": html("No such queue"),
                    "503": html("Unavailable"),
                },
            }
        },
        f"{api}/join": {
            "post": {
                "summary": (
                    "Join the queue (or get the place already held); the page's script, or "
                    "its button as a form post"
                ),
                "parameters": [
                    QUEUE_ID,
                    header_parameter("Waitroom-Pow-Challenge", "challenge token (proof of work)"),
                    header_parameter("Waitroom-Pow-Solution", "its solution (proof of work)"),
                ],
                "security": FAN_SECURITY,
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/x-www-form-urlencoded": {"schema": {"type": "object"}}
                    },
                },
                "responses": {
                    "200": json_answer("The place already held", STATUS_SCHEMA),
                    "201": json_answer("A new place", STATUS_SCHEMA),
                    "303": redirect("Form post (the page's button): to the queue page"),
                    **FORM_ERRORS,
                    "403": problem_or_page("A join form sent from another site"),
                    "409": problem("Queue closed or sold out (a form post: to the queue page)"),
                    "428": problem_or_page("Proof of work required"),
                    "429": problem_or_page("Too many joins from this address or network"),
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
        f"{api}/frame": {
            "get": {
                "summary": "The shared queue frame: the same for every fan (public, max-age=1, "
                "ETag); the page computes its own position and ETA from it",
                "parameters": [QUEUE_ID],
                "responses": {
                    "200": json_answer("Frame", FRAME_SCHEMA),
                    "304": {"description": "Not modified (If-None-Match)"},
                    "404": problem("No such queue"),
                },
            }
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
