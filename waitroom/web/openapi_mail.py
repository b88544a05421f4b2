"""OpenAPI paths of the e-mail features: the waiting list and the links in the e-mails."""

from __future__ import annotations

from typing import Any

from service_kit.openapi import (
    BOOLEAN,
    STRING,
    html,
    json_answer,
    json_or_form_body,
    obj,
    problem,
    problem_or_page,
    query_parameter,
    redirect,
)
from waitroom.queue.waitlist import STATUSES
from waitroom.web.openapi_fan import QUEUE_ID, _fan

ENTRY = {
    "oneOf": [
        obj(
            {
                "status": {"enum": list(STATUSES)},
                "email": STRING,
                "place_on_list": {"type": ["integer", "null"], "minimum": 1},
                "offer_expires_at": {"type": ["integer", "null"]},
            },
            ("status", "email", "place_on_list", "offer_expires_at"),
        ),
        {"type": "null"},
    ]
}
ENTRY_ANSWER = obj({"waitlist": ENTRY}, ("waitlist",))
EMAIL = obj({"email": {"type": "string", "maxLength": 254}}, ("email",))
LINK_TOKEN = query_parameter("t", {"type": "string", "maxLength": 1024}, "The signed link")
LANGUAGE = query_parameter("lang", STRING, "The page's language")


def mail_paths() -> dict[str, Any]:
    api = "/api/v1/queues/{queue_id}"
    return {
        f"{api}/waitlist": {
            "get": _fan(
                "The fan's waiting-list entry (null when none)",
                {
                    "200": json_answer(
                        "The entry, and whether this waiting room sends e-mail",
                        obj({"waitlist": ENTRY, "offered": BOOLEAN}, ("waitlist", "offered")),
                    )
                },
            ),
            "post": _fan(
                "Join the waiting list (a fan still waiting in a queue sold out by stock)",
                {
                    "200": json_answer("Already on the list (the e-mail updated)", ENTRY_ANSWER),
                    "201": json_answer("On the list", ENTRY_ANSWER),
                    "303": redirect("Form posts go back to the queue page"),
                    "404": problem_or_page("No such queue, or no e-mail sent here"),
                    "409": problem_or_page("Not sold out, or the place is not waiting"),
                },
                form=True,
                requestBody=json_or_form_body(EMAIL, obj({"email": STRING}, ("email",))),
            ),
            "delete": _fan(
                "Leave the waiting list (while still waiting for an offer)",
                {"200": json_answer("Removed", obj({"removed": BOOLEAN}, ("removed",)))},
            ),
        },
        "/q/{queue_id}/return": {
            "get": {
                "summary": "The your-turn e-mail's link: restores the place, then the queue page",
                "parameters": [QUEUE_ID, LINK_TOKEN, LANGUAGE],
                "responses": {
                    "303": redirect("To the queue page, with the place's cookies"),
                    "400": html("Not a valid link (friendly page)"),
                    "503": problem("Store unreachable"),
                },
            }
        },
        "/q/{queue_id}/offer": {
            "get": {
                "summary": "A waiting-list offer's link: hands the offer's pass to the site",
                "parameters": [QUEUE_ID, LINK_TOKEN, LANGUAGE],
                "responses": {
                    "303": redirect("To the site with ?waitroom_pass= (connector handoff)"),
                    "400": html("Not a valid link (friendly page)"),
                    "404": html("No such queue (friendly page)"),
                    "410": html("The offer lapsed or was used (friendly page)"),
                    "503": html("Store unreachable (friendly page)"),
                },
            }
        },
    }
