"""OpenAPI paths of the fair pre-queue publication, receipts and the code lanes."""

from __future__ import annotations

from typing import Any

from service_kit.openapi import (
    ANY_OBJECT,
    BOOLEAN,
    INTEGER,
    NUMBER,
    STRING,
    form_body,
    html,
    json_answer,
    json_body,
    obj,
    problem,
    problem_or_page,
    redirect,
)
from waitroom.web.openapi_fan import (
    FAN_SECURITY,
    LANE_SCHEMA,
    PAGE_ERRORS,
    QUEUE_ID,
    _fan,
)


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
                    "400": problem_or_page("The form again, with the reason"),
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
