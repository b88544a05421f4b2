"""``GET /q/{queue_id}``: the fan's queue page, in the fan's language.

A fan who holds a place (the position cookie) sees it; anyone else sees the queue and a way in
(:mod:`waitroom.fan.visitor_page`): a GET never takes a place. Works without JavaScript (a
``Refresh`` header and ``<noscript>`` meta refresh, plain form posts that come back here with
a 303); with JavaScript it polls the status endpoint at the server's interval. Organizer content
(surveys, upsells, the profile form) comes from the in-process content cache.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Any

from babel.dates import format_skeleton
from starlette.requests import Request
from starlette.responses import Response

from service_kit.errors import ServiceError
from service_kit.languages import Translate
from waitroom.admission import FanState
from waitroom.errors import QueueNotFound, QueueUnavailable, TokenError
from waitroom.fan import session as fan_session
from waitroom.fan.content import FanContent
from waitroom.fan.cookies import SCRIPT_RUNS_COOKIE
from waitroom.fan.mail_page import mail_page_context
from waitroom.fan.page_context import (
    error_page,
    eta_text,
    json_for_script,
    page_language,
    render_page,
)
from waitroom.fan.profile import Profile, load_profile
from waitroom.fan.quiz_review import QuizReview, review_quiz
from waitroom.fan.status_body import status_body
from waitroom.fan.strings import (
    PLACE_CLOSED_REASONS,
    SCRIPT_STRINGS,
    STATE_MESSAGES,
    grace_minutes,
    waiting_message_key,
)
from waitroom.fan.upsell_view import BABEL_LOCALES, format_price, upsell_cards
from waitroom.fan.visitor_page import visitor_page
from waitroom.queue.availability import REDIS_ERRORS
from waitroom.tokens import PositionClaims
from waitroom.web.runtime import Runtime, runtime_of


def state_message(body: dict[str, Any], translate: Translate) -> str:
    if body["state"] == "paused" and body.get("pause_reason"):
        return translate(SCRIPT_STRINGS["paused_with_reason"], reason=body["pause_reason"])
    if body["state"] == "closed" and body.get("closed_reason") in PLACE_CLOSED_REASONS:
        return translate(STATE_MESSAGES["closed_" + body["closed_reason"]])
    if body["state"] == "sold_out" and body.get("stock_may_return"):
        return translate(STATE_MESSAGES["sold_out_for_now"])
    if body["state"] == "waiting":
        key = waiting_message_key(body)
        return translate(STATE_MESSAGES[key], minutes=grace_minutes(body))
    return translate(STATE_MESSAGES.get(body["state"], STATE_MESSAGES["closed"]))


def opening_text(unix_seconds: float, language_code: str) -> str:
    """The opening time for a page rendered without knowing the fan's zone: in UTC, named so
    (the page's script shows it in the fan's own zone)."""
    moment = datetime.fromtimestamp(unix_seconds, UTC)
    locale = BABEL_LOCALES.get(language_code, "en")
    day = format_skeleton("MMMEd", moment, tzinfo=UTC, locale=locale)
    return f"{day}, {format_skeleton('Hm', moment, tzinfo=UTC, locale=locale)} UTC"


async def _held_place(
    runtime: Runtime, request: Request, queue_id: str
) -> tuple[PositionClaims, str] | None:
    """The place this browser's token proves, if it is valid for the queue's current epoch."""
    token, _ = fan_session.presented_token(request, queue_id)
    if token is None:
        return None
    try:
        claims = runtime.codec.verify_position(token, queue_id=queue_id)
    except TokenError:
        return None
    try:
        view = await runtime.views.get(queue_id)
    except QueueUnavailable:
        return claims, token  # the token proves the place: the status says "paused"
    return (claims, token) if claims.epoch == view.snapshot.epoch else None


async def _fan_extras(
    runtime: Runtime, queue_id: str, visitor_id: str, language: str
) -> tuple[FanContent, dict[str, QuizReview | None], Profile | None]:
    """Surveys, upsells and the profile, and the surveys this fan answered (with a quiz's
    review); while Redis is unreachable the page shows none."""
    try:
        stored = await runtime.fan.content.get(queue_id)
        content = stored.in_language(language)  # reviews in the fan's language too
        given = await runtime.fan.answers.own_answers(queue_id, visitor_id, content.surveys)
        profile = await load_profile(runtime.redis, queue_id, visitor_id)
    except REDIS_ERRORS:
        return FanContent(), {}, None
    answered = {
        survey.id: review_quiz(survey, given[survey.id]) if survey.kind == "quiz" else None
        for survey in content.surveys
        if survey.id in given
    }
    return content, answered, profile


def queue_page_values(
    queue_id: str,
    queue_name: str,
    body: dict[str, Any],
    content: FanContent,
    answered: dict[str, QuizReview | None],
    profile: Profile | None,
    refresh_seconds: int,
    preview: bool = False,
) -> dict[str, Any]:
    """What ``queue.html`` shows: the fan's status ``body`` and the organizer's content
    (``answered``: the surveys this fan answered, with a quiz's review). The organizer's preview
    (:mod:`waitroom.organizer.preview`) renders the same page from the same values, with a
    sample status and ``preview`` set (no script, nothing to post)."""
    return {
        "queue_id": queue_id,
        "queue_name": queue_name,
        "status": body,
        "status_json": json_for_script(body),
        "status_url": f"/api/v1/queues/{queue_id}/status",
        "frame_url": f"/api/v1/queues/{queue_id}/frame",
        "base_api_url": f"/api/v1/queues/{queue_id}",
        "rejoin_offered": body.get("closed_reason") in PLACE_CLOSED_REASONS,
        "refresh_seconds": 0 if preview else refresh_seconds,
        # the page's own URL, without a fragment, for the Refresh (see queue_page)
        "page_url": f"/q/{queue_id}",
        "updated_utc": time.strftime("%H:%M:%S UTC", time.gmtime()),
        "opening_iso": (
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(body["opens_at"]))
            if body.get("opens_at")
            else ""
        ),
        "opening_pending": bool(body.get("opens_at"))
        and float(body.get("opens_at") or 0) > time.time(),
        "surveys": content.surveys,
        "answered": answered,
        "upsells": upsell_cards(queue_id, content.upsells),
        "profile_form": content.profile_form,
        "profile": profile,
        "message_for": state_message,
        "eta_for": eta_text,
        "format_price": format_price,
        "opening_text": opening_text,
        "preview": preview,
    }


async def queue_page(request: Request) -> Response:
    runtime = runtime_of(request)
    raw_queue_id = request.path_params["queue_id"]
    try:
        queue_id = fan_session.checked_queue_id(raw_queue_id)
        held = await _held_place(runtime, request, queue_id)
        answer: fan_session.StatusAnswer | None = None
        if held is not None:
            try:
                answer = await fan_session.status(runtime, held[0])
            except TokenError:
                answer = None  # the place was given up or the queue reset: no place now
        if held is None or answer is None:
            stale = fan_session.presented_token(request, queue_id)[0] is not None
            return await visitor_page(request, runtime, queue_id, stale_token=stale)
        claims, token = held
        language = page_language(runtime, request).code
        content, answered, profile = await _fan_extras(
            runtime, queue_id, claims.visitor_id, language
        )
    except QueueNotFound:
        return render_page(request, "not_found.html", 404, queue_id=raw_queue_id[:64])
    except ServiceError as error:
        return error_page(request, error)
    snapshot = runtime.views.last_known(queue_id)
    body = status_body(answer)
    mail = await mail_page_context(runtime, queue_id, claims.visitor_id, body)

    final = (
        answer.status.state in {FanState.CLOSED, FanState.SOLD_OUT, FanState.ADMITTED}
        and not answer.status.stock_may_return  # stock that comes back reopens the queue
    )
    refresh_seconds = 0 if final else max(2, math.ceil(answer.status.poll_after_ms / 1000))
    response = render_page(
        request,
        "queue.html",
        200,
        **queue_page_values(
            queue_id,
            (snapshot.config.display_name(language) if snapshot is not None else "") or queue_id,
            body,
            content,
            answered,
            profile,
            refresh_seconds,
        ),
        **mail,
    )
    if refresh_seconds and request.cookies.get(SCRIPT_RUNS_COOKIE) != "1":
        # contract: the page works without JavaScript through a Refresh header; once the page's
        # script has run it sets SCRIPT_RUNS_COOKIE and polls instead, so reloads stop. The URL
        # is the page's without a fragment: a form post comes back to ``/q/{id}#section``, and
        # a refresh to the same URL with a fragment only scrolls, it loads nothing
        response.headers["refresh"] = f"{refresh_seconds}; url=/q/{queue_id}"
    for cookie in fan_session.cookie_headers(
        runtime,
        request,
        queue_id,
        answer.refreshed_token or token,
        claims.visitor_id,
    ):
        response.headers.append("set-cookie", cookie)
    return response
