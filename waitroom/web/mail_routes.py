"""Routes of the e-mail features with what each takes and answers: the waiting list after
sell-out and the links in the fans' e-mails (waitroom/fan/mail_api.py)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from service_kit.openapi import (
    ApiRoute,
    Body,
    Operation,
    json,
    page,
    problem_or_page,
    query,
    redirect,
)
from waitroom.fan import mail_api, models
from waitroom.web.fan_routes import BACK_TO_PAGE, QUEUE_API, _fan

LINK = (
    query("t", "the signed link (from the e-mail)"),
    query("lang", "the page's language"),
)


def mail_routes() -> list[BaseRoute]:
    waitlist = f"{QUEUE_API}/waitlist"
    return [
        ApiRoute(
            waitlist,
            mail_api.waitlist_get_endpoint,
            {
                "get": _fan(
                    "The fan's waiting-list entry (null when none)",
                    {200: json(models.WaitlistAnswer, "The entry")},
                )
            },
        ),
        ApiRoute(
            waitlist,
            mail_api.waitlist_join_endpoint,
            {
                "post": _fan(
                    "Join the waiting list (a fan still waiting in a queue sold out by stock)",
                    {
                        200: json(models.WaitlistAnswer, "Already on the list"),
                        201: json(models.WaitlistAnswer, "On the list"),
                        303: BACK_TO_PAGE,
                        404: problem_or_page("No such queue, or no e-mail sent here"),
                        409: problem_or_page("Not sold out by stock, or the place is not waiting"),
                    },
                    form=True,
                    body=Body(json=models.WaitlistSubmission, form=models.WaitlistSubmission),
                )
            },
        ),
        ApiRoute(
            waitlist,
            mail_api.waitlist_leave_endpoint,
            {
                "delete": _fan(
                    "Leave the waiting list (while still waiting for an offer)",
                    {200: json(models.WaitlistRemoved, "Removed")},
                )
            },
        ),
        ApiRoute(
            "/q/{queue_id}/return",
            mail_api.return_link_endpoint,
            {
                "get": Operation(
                    "The your-turn e-mail's link: restores the place, then the queue page",
                    {
                        303: redirect("To the queue page, with the place's cookies"),
                        400: page("Not a valid link (friendly page)"),
                        404: page("No such queue (friendly page)"),
                        503: page("Unavailable (friendly page)"),
                    },
                    parameters=LINK,
                )
            },
        ),
        ApiRoute(
            "/q/{queue_id}/offer",
            mail_api.offer_link_endpoint,
            {
                "get": Operation(
                    "A waiting-list offer's link: hands the offer's pass to the site "
                    "(?waitroom_pass=, the connector's handoff)",
                    {
                        303: redirect("To the site with ?waitroom_pass= (the offer's pass)"),
                        400: page("Not a valid link (friendly page)"),
                        404: page("No such queue (friendly page)"),
                        410: page("The offer lapsed or was used (friendly page)"),
                        503: page("Unavailable (friendly page)"),
                    },
                    parameters=LINK,
                )
            },
        ),
    ]
