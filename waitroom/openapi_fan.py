"""OpenAPI paths of the fans' side: queue page, join/status, extras, receipts, code lanes."""

from __future__ import annotations

from typing import Any

from waitroom.openapi_common import (
    ANY_OBJECT,
    BEARER,
    BOOLEAN,
    ID_PATTERN,
    INTEGER,
    NUMBER,
    STRING,
    form_body,
    header_parameter,
    html,
    json_answer,
    json_body,
    json_or_form_body,
    obj,
    path_parameter,
    problem,
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
        "opens_at": NUMBER,
        "pause_reason": STRING,
        "token": STRING,
        "queue_id": STRING,
        "pass": STRING,
        "pass_expires_at": INTEGER,
        "redirect_url": STRING,
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


def _fan(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "parameters": [QUEUE_ID, *extra.pop("parameters", [])],
        "security": FAN_SECURITY,
        "responses": {**FAN_ERRORS, **responses},
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


def extras_paths() -> dict[str, Any]:
    api = "/api/v1/queues/{queue_id}"
    profile_answer = json_answer(
        "The saved profile", obj({"profile": PROFILE, "ttl_seconds": INTEGER}, ("profile",))
    )
    survey_id = path_parameter("survey_id", max_length=64)
    return {
        f"{api}/content": {
            "get": _fan(
                "Surveys, upsells, the profile form and the fan's own answers",
                {
                    "200": json_answer(
                        "Content",
                        obj(
                            {
                                "surveys": {"type": "array", "items": ANY_OBJECT},
                                "upsells": {"type": "array", "items": ANY_OBJECT},
                                "profile_form": ANY_OBJECT,
                                "answered_surveys": {"type": "array", "items": STRING},
                                "profile": {"type": ["object", "null"]},
                            },
                            ("surveys", "upsells", "profile_form", "answered_surveys", "profile"),
                        ),
                    ),
                },
            )
        },
        f"{api}/profile": {
            "get": _fan(
                "The fan's pre-checkout profile",
                {
                    "200": json_answer(
                        "Profile (null when none)",
                        obj({"profile": {"type": ["object", "null"]}}, ("profile",)),
                    ),
                },
            ),
            "put": _fan(
                "Save the pre-checkout profile",
                {"200": profile_answer},
                requestBody=json_body(PROFILE),
            ),
            "post": _fan(
                "Save the pre-checkout profile (JSON, or a form from the page)",
                {
                    "200": profile_answer,
                    "303": redirect("Form posts go back to the queue page"),
                },
                requestBody=json_or_form_body(PROFILE, PROFILE_FORM),
            ),
        },
        f"{api}/surveys/{{survey_id}}/answers": {
            "post": _fan(
                "Answer a survey or quiz (once per place)",
                {
                    "201": json_answer(
                        "Recorded (a quiz adds score and out_of)",
                        obj(
                            {
                                "survey_id": STRING,
                                "answers": ANY_OBJECT,
                                "score": INTEGER,
                                "out_of": INTEGER,
                            },
                            ("survey_id", "answers"),
                        ),
                    ),
                    "303": redirect("Form posts go back to the queue page"),
                    "404": problem("No such queue or survey"),
                    "409": problem("Already answered from this place"),
                },
                parameters=[survey_id],
                requestBody=json_or_form_body(
                    obj(
                        {
                            "answers": {
                                "type": "object",
                                "additionalProperties": {
                                    "anyOf": [STRING, {"type": "array", "items": STRING}]
                                },
                            }
                        },
                        ("answers",),
                    ),
                    {"type": "object", "additionalProperties": STRING},
                ),
            ),
        },
        f"{api}/leave": {
            "post": _fan(
                "Give up the place (clears the cookies)",
                {
                    "200": json_answer(
                        "Left (an HTML page for form posts)",
                        obj(
                            {"state": {"const": "left"}, "position": INTEGER}, ("state", "position")
                        ),
                    ),
                },
            ),
        },
        "/q/{queue_id}/upsells/{upsell_id}": {
            "get": {
                "summary": "Follow an upsell card (counts the click)",
                "parameters": [QUEUE_ID, path_parameter("upsell_id", max_length=64)],
                "responses": {
                    "303": redirect("To the card's link"),
                    "404": problem("No such queue or offer"),
                    "503": problem("Store unreachable"),
                },
            }
        },
    }


def fairness_paths() -> dict[str, Any]:
    api = "/api/v1/queues/{queue_id}"
    receipt = obj(
        {"receipt": ANY_OBJECT, "signed": STRING, "publication_url": STRING},
        ("receipt", "signed", "publication_url"),
    )
    code_body = obj({"code": {"type": "string", "maxLength": 64}}, ("code",))
    return {
        f"{api}/prequeue": {
            "get": {
                "summary": "Public record of the fair pre-queue (commitment, hashed ids, seed)",
                "parameters": [QUEUE_ID],
                "responses": {
                    "200": json_answer(
                        "Publication",
                        obj(
                            {
                                "queue_id": STRING,
                                "opened": BOOLEAN,
                                "opens_at": NUMBER,
                                "shuffle_seed_sha256": STRING,
                                "shuffle_seed": STRING,
                                "count": INTEGER,
                                "first_position": INTEGER,
                                "hashed_visitor_ids": {"type": "array", "items": STRING},
                                "ordered_hashed_visitor_ids": {"type": "array", "items": STRING},
                            },
                            ("queue_id", "opened", "count", "hashed_visitor_ids"),
                        ),
                    ),
                    "404": problem("No such queue"),
                    "503": problem("Store unreachable"),
                },
            }
        },
        f"{api}/receipt": {
            "get": _fan(
                "A signed receipt of the fan's place", {"200": json_answer("Receipt", receipt)}
            ),
        },
        f"{api}/receipts/verify": {
            "post": {
                "summary": "Check a signed receipt",
                "parameters": [QUEUE_ID],
                "requestBody": json_body(obj({"signed": STRING}, ("signed",))),
                "responses": {
                    "200": json_answer(
                        "Genuine (valid: whether it names this queue)",
                        obj({"valid": BOOLEAN, "receipt": ANY_OBJECT}, ("valid", "receipt")),
                    ),
                    "400": problem("Not JSON, or not a genuine receipt"),
                    "404": problem("Invalid queue id"),
                },
            }
        },
        f"{api}/codes/redeem": {
            "post": _fan(
                "Redeem a priority or bypass code",
                {
                    "200": json_answer("The fan's lane", LANE_SCHEMA),
                    "404": problem("No such queue, or unknown code"),
                    "409": problem("Code revoked or used up"),
                },
                requestBody=json_body(code_body),
            ),
        },
        f"{api}/lane": {
            "get": _fan(
                "The fan's lane status (a pass once admitted)",
                {
                    "200": json_answer("Lane", LANE_SCHEMA),
                    "404": problem("No such queue, or no code redeemed"),
                },
            ),
        },
        "/q/{queue_id}/receipt": {
            "get": {
                "summary": "The fan's receipt page",
                "parameters": [QUEUE_ID],
                "security": FAN_SECURITY,
                "responses": {"200": html("Receipt"), **PAGE_ERRORS},
            }
        },
        "/q/{queue_id}/code": {
            "get": {
                "summary": "The code form",
                "parameters": [QUEUE_ID],
                "responses": {"200": html("Form")},
            },
            "post": {
                "summary": "Redeem a code from the form",
                "parameters": [QUEUE_ID],
                "security": FAN_SECURITY,
                "requestBody": form_body(code_body),
                "responses": {
                    "303": redirect("To the lane page"),
                    "400": html("The form again, with the reason"),
                },
            },
        },
        "/q/{queue_id}/lane": {
            "get": {
                "summary": "The fan's lane page (refreshes by itself)",
                "parameters": [QUEUE_ID],
                "security": FAN_SECURITY,
                "responses": {"200": html("Lane"), **PAGE_ERRORS},
            }
        },
    }
