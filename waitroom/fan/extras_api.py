"""Fan endpoints around the wait: profile, survey answers, leaving, upsell clicks, content.

All authenticate with the position token (cookie or bearer) like the status endpoint. Form posts
(pages without JavaScript) get a 303 back to the queue page; JSON clients get JSON.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service_kit.errors import InvalidInput, ServiceError
from service_kit.request_body import is_form, read_fields
from waitroom.errors import ItemNotFound, TokenReset
from waitroom.fan import session as fan_session
from waitroom.fan.api import json_response
from waitroom.fan.content import FanContent, surveys_document, upsells_document
from waitroom.fan.cookies import position_cookie_name
from waitroom.fan.page_context import error_page, render_page
from waitroom.fan.profile import load_profile, parse_profile, save_profile
from waitroom.fan.survey_answers import parse_answers
from waitroom.fan.upsell_clicks import count_click
from waitroom.fan.your_turn_choice import apply_your_turn_choice, wants_your_turn_mail
from waitroom.tokens import PositionClaims
from waitroom.web.runtime import Runtime, runtime_of


async def fan_claims(runtime: Runtime, request: Request) -> tuple[str, PositionClaims]:
    queue_id = fan_session.checked_queue_id(request.path_params["queue_id"])
    claims, _ = fan_session.verify_for_status(runtime.codec, request, queue_id)
    view = await runtime.views.get(queue_id)
    if claims.epoch != view.snapshot.epoch:
        raise TokenReset("the queue was reset since then: join again")
    return queue_id, claims


def back_to_page(queue_id: str, anchor: str) -> Response:
    return RedirectResponse(f"/q/{queue_id}#{anchor}", status_code=303)


def failure(request: Request, error: ServiceError) -> Response:
    """A form post (a page without JavaScript) gets an error page; a JSON client the problem
    body, from the app's error handler."""
    if is_form(request):
        return error_page(request, error)
    raise error


def content_document(content: FanContent) -> dict[str, Any]:
    return {
        **surveys_document(content.surveys, include_correct=False),
        **upsells_document(content.upsells),
        "profile_form": content.profile_form.document(),
    }


async def content_endpoint(request: Request) -> Response:
    """``GET /api/v1/queues/{queue_id}/content``: surveys, upsells, profile form, own answers."""
    runtime = runtime_of(request)
    queue_id, claims = await fan_claims(runtime, request)
    content = await runtime.fan.content.get(queue_id)
    answered = await runtime.fan.answers.answered(queue_id, claims.visitor_id, content.surveys)
    profile = await load_profile(runtime.redis, queue_id, claims.visitor_id)
    body = content_document(content)
    body["answered_surveys"] = sorted(answered)
    body["profile"] = profile.document() if profile else None
    return json_response(body, 200, [])


async def profile_get_endpoint(request: Request) -> Response:
    runtime = runtime_of(request)
    queue_id, claims = await fan_claims(runtime, request)
    profile = await load_profile(runtime.redis, queue_id, claims.visitor_id)
    return json_response({"profile": profile.document() if profile else None}, 200, [])


async def profile_put_endpoint(request: Request) -> Response:
    """``PUT`` (JSON) or ``POST`` (JSON or form) ``/api/v1/queues/{queue_id}/profile``."""
    runtime = runtime_of(request)
    try:
        queue_id, claims = await fan_claims(runtime, request)
        fields = await read_fields(request)
        your_turn_wanted = wants_your_turn_mail(fields)
        content = await runtime.fan.content.get(queue_id)
        profile = parse_profile(fields, content.profile_form)
        ttl_seconds = runtime.settings.profile_ttl_seconds
        await save_profile(runtime.redis, queue_id, claims.visitor_id, profile, ttl_seconds)
        your_turn = await apply_your_turn_choice(
            runtime, request, claims, your_turn_wanted, profile.email
        )
    except ServiceError as error:
        return failure(request, error)
    if is_form(request):
        return back_to_page(queue_id, "profile")
    body = {"profile": profile.document(), "ttl_seconds": ttl_seconds, "your_turn_email": your_turn}
    return json_response(body, 200, [])


async def survey_answer_endpoint(request: Request) -> Response:
    """``POST /api/v1/queues/{queue_id}/surveys/{survey_id}/answers``."""
    runtime = runtime_of(request)
    try:
        queue_id, claims = await fan_claims(runtime, request)
        content = await runtime.fan.content.get(queue_id)
        survey_id = request.path_params["survey_id"]
        survey = content.survey(survey_id)
        if survey is None:
            raise ItemNotFound(f"no survey {survey_id[:32]!r} in this queue")
        fields = await read_fields(request)
        raw = fields if is_form(request) else fields.get("answers")
        if not isinstance(raw, dict):
            raise InvalidInput('body must be {"answers": {...}}', field="answers")
        answers = parse_answers(survey, raw)
        recorded = await runtime.fan.answers.record(queue_id, claims.visitor_id, survey, answers)
    except ServiceError as error:
        return failure(request, error)
    if is_form(request):
        return back_to_page(queue_id, f"survey-{survey.id}")
    body: dict[str, Any] = {"survey_id": survey.id, "answers": recorded.answers}
    if recorded.score is not None:
        body.update(score=recorded.score, out_of=recorded.out_of)
    return json_response(body, 201, [])


async def leave_endpoint(request: Request) -> Response:
    """``POST /api/v1/queues/{queue_id}/leave``: frees the place and clears the cookies."""
    runtime = runtime_of(request)
    try:
        queue_id, claims = await fan_claims(runtime, request)
        position = await runtime.fan.leaving.leave(queue_id, claims.visitor_id)
        await runtime.your_turn.unsubscribe(queue_id, claims.visitor_id, position)
        await runtime.waitlist.leave(queue_id, claims.visitor_id)
    except ServiceError as error:
        return failure(request, error)
    runtime.views.invalidate(queue_id)
    cookies = [f"{position_cookie_name(queue_id)}=; Max-Age=0; Path=/; SameSite=Lax; HttpOnly"]
    if is_form(request):
        response = render_page(request, "left.html", 200, queue_id=queue_id)
    else:
        response = json_response({"state": "left", "position": position}, 200, [])
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
