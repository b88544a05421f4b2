"""Fan endpoints around the wait: profile, survey answers, leaving, upsell clicks, content.

All authenticate with the position token (cookie or bearer) like the status endpoint. Form posts
(pages without JavaScript) get a 303 back to the queue page (:mod:`waitroom.fan.forms`); JSON
clients get JSON. A refusal is a page only for a browser's form (a form post that accepts
``text/html``); any other client of these ``/api/`` paths gets a problem body.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service_kit.errors import ServiceError
from service_kit.form_fields import decode_form, grouped_values
from service_kit.models import convert, to_builtins
from service_kit.request_body import (
    form_pairs,
    is_form,
    model_response,
    read_json,
    read_json_or_form,
)
from waitroom.errors import ItemNotFound, TokenReset
from waitroom.fan import models
from waitroom.fan import session as fan_session
from waitroom.fan.content import FanContent, surveys_document, upsells_document
from waitroom.fan.cookies import position_cookie_name
from waitroom.fan.forms import back_to_page, failure
from waitroom.fan.page_context import page_language
from waitroom.fan.profile import ProfileSubmission, load_profile, parse_profile, save_profile
from waitroom.fan.quiz_review import review_quiz
from waitroom.fan.survey_answers import parse_answers
from waitroom.fan.upsell_clicks import count_click
from waitroom.fan.visitor_page import LEFT_QUERY
from waitroom.fan.your_turn_choice import apply_your_turn_choice
from waitroom.tokens import PositionClaims
from waitroom.web.runtime import Runtime, runtime_of


async def fan_claims(runtime: Runtime, request: Request) -> tuple[str, PositionClaims]:
    queue_id = fan_session.checked_queue_id(request.path_params["queue_id"])
    claims, _ = fan_session.verify_for_status(runtime.codec, request, queue_id)
    view = await runtime.views.get(queue_id)
    if claims.epoch != view.snapshot.epoch:
        raise TokenReset("the queue was reset since then: join again")
    return queue_id, claims


def content_document(
    content: FanContent,
    answered: list[str],
    quiz_reviews: dict[str, list[dict[str, Any]]],
    profile: models.Profile | None,
) -> models.FanContent:
    document = {
        **surveys_document(content.surveys, include_correct=False),
        **upsells_document(content.upsells),
        "profile_form": content.profile_form.document(),
        "answered_surveys": answered,
        "quiz_reviews": quiz_reviews,
        "profile": None if profile is None else to_builtins(profile),
    }
    return convert(document, models.FanContent)


async def content_endpoint(request: Request) -> Response:
    """``GET /api/v1/queues/{queue_id}/content``: surveys, upsells, profile form, own answers."""
    runtime = runtime_of(request)
    queue_id, claims = await fan_claims(runtime, request)
    # every organizer text in the fan's language (reviews included)
    stored = await runtime.fan.content.get(queue_id)
    content = stored.in_language(page_language(runtime, request).code)
    given = await runtime.fan.answers.own_answers(queue_id, claims.visitor_id, content.surveys)
    profile = await load_profile(runtime.redis, queue_id, claims.visitor_id)
    # an answered quiz's review: the fan's answers against the right ones
    reviews = {
        survey.id: review_quiz(survey, given[survey.id]).document()
        for survey in content.surveys
        if survey.kind == "quiz" and survey.id in given
    }
    body = content_document(
        content,
        sorted(given),
        reviews,
        profile.document() if profile else None,
    )
    return model_response(body, 200)


async def profile_get_endpoint(request: Request) -> Response:
    runtime = runtime_of(request)
    queue_id, claims = await fan_claims(runtime, request)
    profile = await load_profile(runtime.redis, queue_id, claims.visitor_id)
    return model_response(models.ProfileAnswer(profile.document() if profile else None), 200)


async def profile_put_endpoint(request: Request) -> Response:
    """``PUT`` (JSON) or ``POST`` (JSON or form) ``/api/v1/queues/{queue_id}/profile``."""
    runtime = runtime_of(request)
    try:
        queue_id, claims = await fan_claims(runtime, request)
        submission = await read_json_or_form(request, ProfileSubmission, ProfileSubmission)
        content = await runtime.fan.content.get(queue_id)
        profile = parse_profile(submission, content.profile_form)
        ttl_seconds = runtime.settings.profile_ttl_seconds
        await save_profile(runtime.redis, queue_id, claims.visitor_id, profile, ttl_seconds)
        your_turn = await apply_your_turn_choice(
            runtime, request, claims, submission.your_turn_email, profile.email
        )
    except ServiceError as error:
        return failure(request, error, "profile")
    if is_form(request):
        return back_to_page(queue_id, "profile")
    saved = models.SavedProfile(profile.document(), ttl_seconds, your_turn)
    return model_response(saved, 200)


async def survey_answer_endpoint(request: Request) -> Response:
    """``POST /api/v1/queues/{queue_id}/surveys/{survey_id}/answers``."""
    runtime = runtime_of(request)
    try:
        queue_id, claims = await fan_claims(runtime, request)
        stored = await runtime.fan.content.get(queue_id)
        content = stored.in_language(page_language(runtime, request).code)
        survey_id = request.path_params["survey_id"]
        survey = content.survey(survey_id)
        if survey is None:
            raise ItemNotFound(f"no survey {survey_id[:32]!r} in this queue")
        answers = parse_answers(survey, await submitted_answers(request))
        recorded = await runtime.fan.answers.record(queue_id, claims.visitor_id, survey, answers)
    except ServiceError as error:
        return failure(request, error, f"survey-{request.path_params['survey_id'][:32]}")
    if is_form(request):
        return back_to_page(queue_id, f"survey-{survey.id}")
    body = models.RecordedAnswers(survey.id, recorded.answers)
    if recorded.review is not None:
        review = recorded.review
        body.score, body.out_of = review.score, review.out_of
        body.review = convert(review.document(), list[models.QuestionReview])
    return model_response(body, 201)


async def submitted_answers(request: Request) -> dict[str, models.SurveyAnswer]:
    """``{"answers": {question: answer}}`` as JSON, or a form of question fields."""
    if is_form(request):
        answers = grouped_values(await form_pairs(request))
        return decode_form({"answers": answers}, models.SurveySubmission).answers
    return (await read_json(request, models.SurveySubmission)).answers


async def leave_endpoint(request: Request) -> Response:
    """``POST /api/v1/queues/{queue_id}/leave``: frees the place and clears the cookies."""
    runtime = runtime_of(request)
    try:
        queue_id, claims = await fan_claims(runtime, request)
        position = await runtime.fan.leaving.leave(queue_id, claims.visitor_id)
        await runtime.your_turn.unsubscribe(queue_id, claims.visitor_id, position)
        await runtime.waitlist.leave(queue_id, claims.visitor_id)
    except ServiceError as error:
        return failure(request, error, "leave")
    runtime.views.invalidate(queue_id)
    cookies = [f"{position_cookie_name(queue_id)}=; Max-Age=0; Path=/; SameSite=Lax; HttpOnly"]
    if is_form(request):
        # the page of a visitor without a place, saying they left (and not joining again)
        response = back_to_page(queue_id, query=f"{LEFT_QUERY}=1")
    else:
        response = model_response(models.Left("left", position), 200)
    for cookie in cookies:
        response.headers.append("set-cookie", cookie)
    return response


async def upsell_click_endpoint(request: Request) -> Response:
    """``GET /q/{queue_id}/upsells/{upsell_id}``: count the click, then go to the card's link."""
    runtime = runtime_of(request)
    queue_id = fan_session.checked_queue_id(request.path_params["queue_id"])
    content = await runtime.fan.content.get(queue_id)
    upsell = content.upsell(request.path_params["upsell_id"])
    if upsell is None:
        raise ItemNotFound("no such offer")
    visitor_id = fan_session.visitor_cookie(request)
    await count_click(runtime.redis, queue_id, upsell.id, visitor_id)
    return RedirectResponse(upsell.link_url, status_code=303, headers={"cache-control": "no-store"})
