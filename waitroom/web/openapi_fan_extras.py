"""OpenAPI paths of the fan extras: content, profile, surveys, leaving, upsell clicks."""

from __future__ import annotations

from typing import Any

from service_kit.openapi import (
    ANY_OBJECT,
    BOOLEAN,
    INTEGER,
    STRING,
    json_answer,
    json_body,
    json_or_form_body,
    obj,
    path_parameter,
    problem,
    problem_or_page,
    redirect,
)
from waitroom.web.openapi_fan import (
    PROFILE,
    PROFILE_FORM,
    QUEUE_ID,
    _fan,
)

LEFT = {
    "description": "Left (position null when the place was already gone; a page for forms)",
    "content": {
        "application/json": {
            "schema": obj(
                {"state": {"const": "left"}, "position": {"type": ["integer", "null"]}},
                ("state", "position"),
            )
        },
        "text/html": {"schema": STRING},
    },
}


def extras_paths() -> dict[str, Any]:
    api = "/api/v1/queues/{queue_id}"
    profile_answer = json_answer(
        "The saved profile (``your_turn_email``: the your-turn e-mail will be sent)",
        obj(
            {"profile": PROFILE, "ttl_seconds": INTEGER, "your_turn_email": BOOLEAN},
            ("profile",),
        ),
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
                form=True,
                requestBody=json_body(PROFILE),
            ),
            "post": _fan(
                "Save the pre-checkout profile (JSON, or a form from the page)",
                {
                    "200": profile_answer,
                    "303": redirect("Form posts go back to the queue page"),
                },
                form=True,
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
                    "404": problem_or_page("No such queue or survey"),
                    "409": problem_or_page("Already answered from this place"),
                },
                form=True,
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
                {"200": LEFT},
                form=True,
            ),
        },
        f"{api}/rejoin": {
            "post": _fan(
                "Join the queue again: give up a place that is done, take a new one at the back",
                {
                    "201": json_answer("The new place", {"$ref": "#/components/schemas/Status"}),
                    "303": redirect("Form post: back to the queue page"),
                },
                form=True,
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
