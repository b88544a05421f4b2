"""The fans' routes with what each takes and answers: the queue page, join and status, the
extras around the wait (profile, surveys, upsells, leaving), the fair pre-queue's
publication, receipts and the code lanes. The OpenAPI document is generated from these."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.routing import BaseRoute

from service_kit.openapi import (
    BEARER,
    PUBLIC,
    Answer,
    ApiRoute,
    Body,
    Operation,
    header,
    json,
    page,
    problem,
    problem_or_page,
    redirect,
)
from waitroom.fan import api as fan_api
from waitroom.fan import extras_api as extras
from waitroom.fan import lanes_api, models, proof_of_work_challenge, receipts_api
from waitroom.fan import page as queue_page
from waitroom.fan.frame import frame_endpoint
from waitroom.fan.profile import ProfileSubmission
from waitroom.fan.rejoin import rejoin_endpoint
from waitroom.organizer import prequeue_publication

QUEUE_API = "/api/v1/queues/{queue_id}"
FAN = (*BEARER, *PUBLIC)
"""The position token as ``Authorization: Bearer`` or the ``wr_pos_<queue>`` cookie."""
FAN_ERRORS = {
    400: problem("Malformed input"),
    401: problem("Missing, invalid, expired or stale position token"),
    404: problem("No such queue"),
    503: problem("The store is unreachable (fail closed); see Retry-After"),
}
FORM_ERRORS = {status: problem_or_page(answer.description) for status, answer in FAN_ERRORS.items()}
"""Errors of endpoints that also take form posts from the page without JavaScript."""
PAGE_ERRORS = {
    400: page("Bad input (friendly page)"),
    401: page("No valid position token (friendly page)"),
    404: page("No such queue or item (friendly page)"),
    503: page("Unavailable (friendly page)"),
}
BACK_TO_PAGE = redirect("Form posts go back to the queue page")


def _fan(
    summary: str, answers: Mapping[int, Answer], *, form: bool = False, body: Body | None = None
) -> Operation:
    errors = FORM_ERRORS if form else FAN_ERRORS
    return Operation(summary, {**errors, **answers}, body=body, security=FAN)


QUEUE_PAGE = Operation(
    "The queue page: the fan's place, or (takes no place) the queue and a way in",
    {
        200: page("Queue page of the place held, or of a visitor without one"),
        400: page("Bad input"),
        404: page("No such queue"),
        503: page("Unavailable"),
    },
)
JOIN = Operation(
    "Join the queue (or get the place already held); the page's script, or its button as a "
    "form post",
    {
        **FORM_ERRORS,
        200: json(models.Status, "The place already held"),
        201: json(models.Status, "A new place"),
        303: redirect("Form post (the page's button): to the queue page"),
        403: problem_or_page("A join form sent from another site"),
        409: problem("Queue closed or sold out (a form post: to the queue page)"),
        428: problem_or_page("Proof of work required"),
        429: problem_or_page("Too many joins from this address or network"),
    },
    body=Body(form=models.JoinForm, required=False),
    parameters=(
        header("Waitroom-Pow-Challenge", "challenge token (proof of work)"),
        header("Waitroom-Pow-Solution", "its solution (proof of work)"),
    ),
    security=FAN,
)
STATUS = _fan("The fan's status (poll at poll_after_ms)", {200: json(models.Status, "Status")})
FRAME = Operation(
    "The shared queue frame: the same for every fan (public, max-age=1, ETag); the page "
    "computes its own position and ETA from it",
    {
        200: json(models.Frame, "Frame"),
        304: Answer("Not modified (If-None-Match)"),
        404: problem("No such queue"),
    },
)
CHALLENGE = Operation(
    "A proof-of-work challenge for joining",
    {200: json(models.Challenge, "Challenge"), 404: problem("Invalid queue id")},
)
PROFILE_SAVED = json(models.SavedProfile, "The saved profile")
SURVEY_ANSWER = _fan(
    "Answer a survey or quiz (once per place)",
    {
        201: json(models.RecordedAnswers, "Recorded (a quiz adds score, out_of and the review)"),
        303: BACK_TO_PAGE,
        404: problem_or_page("No such queue or survey"),
        409: problem_or_page("Already answered from this place"),
    },
    form=True,
    body=Body(json=models.SurveySubmission, form=dict[str, str]),
)


def queue_routes() -> list[BaseRoute]:
    return [
        ApiRoute("/q/{queue_id}", queue_page.queue_page, {"get": QUEUE_PAGE}),
        ApiRoute(f"{QUEUE_API}/join", fan_api.join_endpoint, {"post": JOIN}),
        ApiRoute(f"{QUEUE_API}/status", fan_api.status_endpoint, {"get": STATUS}),
        ApiRoute(f"{QUEUE_API}/frame", frame_endpoint, {"get": FRAME}),
        ApiRoute(
            f"{QUEUE_API}/challenge", proof_of_work_challenge.challenge_endpoint, {"get": CHALLENGE}
        ),
    ]


def fan_extra_routes() -> list[BaseRoute]:
    profile = f"{QUEUE_API}/profile"
    return [
        ApiRoute(
            f"{QUEUE_API}/content",
            extras.content_endpoint,
            {
                "get": _fan(
                    "Surveys, upsells, the profile form and the fan's own answers",
                    {200: json(models.FanContent, "Content")},
                )
            },
        ),
        ApiRoute(
            profile,
            extras.profile_get_endpoint,
            {
                "get": _fan(
                    "The fan's pre-checkout profile",
                    {200: json(models.ProfileAnswer, "Profile (null when none)")},
                )
            },
        ),
        ApiRoute(
            profile,
            extras.profile_put_endpoint,
            {
                "put": _fan(
                    "Save the pre-checkout profile",
                    {200: PROFILE_SAVED},
                    form=True,
                    body=Body(json=ProfileSubmission),
                ),
                "post": _fan(
                    "Save the pre-checkout profile (JSON, or a form from the page)",
                    {200: PROFILE_SAVED, 303: BACK_TO_PAGE},
                    form=True,
                    body=Body(json=ProfileSubmission, form=ProfileSubmission),
                ),
            },
        ),
        ApiRoute(
            f"{QUEUE_API}/surveys/{{survey_id}}/answers",
            extras.survey_answer_endpoint,
            {"post": SURVEY_ANSWER},
        ),
        ApiRoute(
            f"{QUEUE_API}/leave",
            extras.leave_endpoint,
            {
                "post": _fan(
                    "Give up the place (clears the cookies)",
                    {
                        200: json(models.Left, "Left"),
                        303: redirect("Form post: to the queue page (?left=1)"),
                    },
                    form=True,
                )
            },
        ),
        ApiRoute(
            f"{QUEUE_API}/rejoin",
            rejoin_endpoint,
            {
                "post": _fan(
                    "Join the queue again: give up a place that is done, take a new one at "
                    "the back",
                    {
                        201: json(models.Status, "The new place"),
                        303: redirect("Form post: back to the queue page"),
                    },
                    form=True,
                )
            },
        ),
        ApiRoute(
            "/q/{queue_id}/upsells/{upsell_id}",
            extras.upsell_click_endpoint,
            {
                "get": Operation(
                    "Follow an upsell card (counts the click)",
                    {
                        303: redirect("To the card's link"),
                        404: problem("No such queue or offer"),
                        503: problem("Store unreachable"),
                    },
                )
            },
        ),
    ]


def fairness_routes() -> list[BaseRoute]:
    """The fair pre-queue's publication, receipts and the code lanes."""
    lane_answers = {200: json(models.Lane, "The fan's lane")}
    return [
        ApiRoute(
            f"{QUEUE_API}/prequeue",
            prequeue_publication.publication_endpoint,
            {
                "get": Operation(
                    "Public record of the fair pre-queue (commitment, hashed ids, seed)",
                    {
                        200: json(models.Publication, "Publication"),
                        404: problem("No such queue"),
                        503: problem("Store unreachable"),
                    },
                )
            },
        ),
        ApiRoute(
            f"{QUEUE_API}/receipt",
            receipts_api.receipt_endpoint,
            {
                "get": _fan(
                    "A signed receipt of the fan's place", {200: json(models.Receipt, "Receipt")}
                )
            },
        ),
        ApiRoute(
            f"{QUEUE_API}/receipts/verify",
            receipts_api.verify_receipt_endpoint,
            {
                "post": Operation(
                    "Check a signed receipt",
                    {
                        200: json(
                            models.ReceiptCheck, "Genuine (valid: whether it names this queue)"
                        ),
                        400: problem("Not JSON, or not a genuine receipt"),
                        404: problem("Invalid queue id"),
                    },
                    body=Body(json=models.ReceiptToCheck),
                )
            },
        ),
        ApiRoute(
            f"{QUEUE_API}/codes/redeem",
            lanes_api.redeem_endpoint,
            {
                "post": _fan(
                    "Redeem a priority or bypass code",
                    {
                        **lane_answers,
                        404: problem("No such queue, or unknown code"),
                        409: problem("Code revoked or used up"),
                    },
                    body=Body(json=models.CodeRedemption),
                )
            },
        ),
        ApiRoute(
            f"{QUEUE_API}/lane",
            lanes_api.lane_endpoint,
            {
                "get": _fan(
                    "The fan's lane status (a pass once admitted)",
                    {**lane_answers, 404: problem("No such queue, or no code redeemed")},
                )
            },
        ),
        ApiRoute(
            "/q/{queue_id}/receipt",
            receipts_api.receipt_page,
            {
                "get": Operation(
                    "The fan's receipt page", {200: page("Receipt"), **PAGE_ERRORS}, security=FAN
                )
            },
        ),
        ApiRoute(
            "/q/{queue_id}/code",
            lanes_api.code_page,
            {
                "get": Operation("The code form", {200: page("Form")}),
                "post": Operation(
                    "Redeem a code from the form",
                    {
                        303: redirect("To the lane page"),
                        400: problem_or_page("The form again, with the reason"),
                    },
                    body=Body(form=models.CodeForm),
                    security=FAN,
                ),
            },
        ),
        ApiRoute(
            "/q/{queue_id}/lane",
            lanes_api.lane_page,
            {
                "get": Operation(
                    "The fan's lane page (refreshes by itself)",
                    {200: page("Lane"), **PAGE_ERRORS},
                    security=FAN,
                )
            },
        ),
    ]


def fan_routes() -> list[BaseRoute]:
    return [*queue_routes(), *fan_extra_routes(), *fairness_routes()]
