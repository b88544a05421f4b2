"""``GET /q/{queue_id}``: the fan's queue page, in the fan's language.

Joins on first visit; works without JavaScript (a ``<noscript>`` meta refresh, plain form posts);
with JavaScript it polls the status endpoint at the server's interval. Organizer content
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
from waitroom.admission import FanState
from waitroom.errors import QueueNotFound, QueueNotJoinable, QueueUnavailable, TokenError
from waitroom.fan import session as fan_session
from waitroom.fan.content import FanContent
from waitroom.fan.i18n import Translate
from waitroom.fan.mail_page import mail_page_context
from waitroom.fan.page_context import error_page, json_for_script, render_page
from waitroom.fan.profile import Profile, load_profile
from waitroom.fan.proof_of_work_page import proof_of_work_page
from waitroom.fan.status_body import status_body
from waitroom.fan.strings import PLACE_CLOSED_REASONS, SCRIPT_STRINGS, STATE_MESSAGES
from waitroom.fan.upsell_view import BABEL_LOCALES, format_price, upsell_cards
from waitroom.queue.availability import REDIS_ERRORS
from waitroom.tokens import PositionClaims
from waitroom.web.runtime import Runtime, runtime_of

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' https:; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def state_message(body: dict[str, Any], translate: Translate) -> str:
    if body["state"] == "paused" and body.get("pause_reason"):
        return translate(SCRIPT_STRINGS["paused_with_reason"], reason=body["pause_reason"])
    if body["state"] == "closed" and body.get("closed_reason") in PLACE_CLOSED_REASONS:
        return translate(STATE_MESSAGES["closed_" + body["closed_reason"]])
    if body["state"] == "sold_out" and body.get("stock_may_return"):
        return translate(STATE_MESSAGES["sold_out_for_now"])
    return translate(STATE_MESSAGES.get(body["state"], STATE_MESSAGES["closed"]))


def opening_text(unix_seconds: float, language_code: str) -> str:
    """The opening time for a page rendered without knowing the fan's zone: in UTC, named so
    (the page's script shows it in the fan's own zone)."""
    moment = datetime.fromtimestamp(unix_seconds, UTC)
    locale = BABEL_LOCALES.get(language_code, "en")
    day = format_skeleton("MMMEd", moment, tzinfo=UTC, locale=locale)
    return f"{day}, {format_skeleton('Hm', moment, tzinfo=UTC, locale=locale)} UTC"


def eta_text(body: dict[str, Any], translate: Translate) -> str:
    if body["state"] == "admitted":
        return translate(SCRIPT_STRINGS["eta_now"])
    eta_range = body.get("eta_range_seconds")
    if not eta_range:
        return "—"
    low, high = math.floor(eta_range[0] / 60), math.ceil(eta_range[1] / 60)
    if high <= 1:
        return translate(SCRIPT_STRINGS["eta_under_minute"])
    return translate(SCRIPT_STRINGS["eta_range"], low=low, high=high)


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
    runtime: Runtime, queue_id: str, visitor_id: str
) -> tuple[FanContent, set[str], Profile | None]:
    """Surveys, upsells and the profile; while Redis is unreachable the page shows none."""
    try:
        content = await runtime.fan.content.get(queue_id)
        answered = await runtime.fan.answers.answered(queue_id, visitor_id, content.surveys)
        profile = await load_profile(runtime.redis, queue_id, visitor_id)
    except REDIS_ERRORS:
        return FanContent(), set(), None
    return content, answered, profile


SCRIPT_RUNS_COOKIE = "wr_js"


def queue_page_values(
    queue_id: str,
    queue_name: str,
    body: dict[str, Any],
    content: FanContent,
    answered: set[str],
    profile: Profile | None,
    refresh_seconds: int,
    joined_now: bool = False,
    preview: bool = False,
) -> dict[str, Any]:
    """What ``queue.html`` shows: the fan's status ``body`` and the organizer's content. The
    organizer's preview (:mod:`waitroom.organizer.preview`) renders the same page from the same
    values, with a sample status and ``preview`` set (no script, nothing to post)."""
    return {
        "queue_id": queue_id,
        "queue_name": queue_name,
        "status": body,
        "status_json": json_for_script(body),
        "status_url": f"/api/v1/queues/{queue_id}/status",
        "base_api_url": f"/api/v1/queues/{queue_id}",
        "joined_now": joined_now,
        "rejoin_offered": body.get("closed_reason") in PLACE_CLOSED_REASONS,
        "refresh_seconds": 0 if preview else refresh_seconds,
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
        created = False
        if held is None:
            if runtime.protection.proof_of_work.enabled:
                state = (await runtime.views.get(queue_id)).snapshot.config.state.value
                if state in {"closed", "sold_out"}:
                    return render_page(
                        request, "queue_closed.html", 200, queue_id=queue_id, state=state
                    )
                return proof_of_work_page(request, runtime, queue_id)
            joined = await fan_session.join(runtime, request, queue_id)
            held, created = (joined.claims, joined.token), joined.created
        claims, token = held
        try:
            answer = await fan_session.status(runtime, claims)
        except TokenError:
            # the place was given up or reset: take a fresh one (cookie-less rejoin)
            joined = await fan_session.join(runtime, request, queue_id)
            claims, token, created = joined.claims, joined.token, joined.created
            answer = await fan_session.status(runtime, claims)
        content, answered, profile = await _fan_extras(runtime, queue_id, claims.visitor_id)
    except QueueNotFound:
        return render_page(request, "not_found.html", 404, queue_id=raw_queue_id[:64])
    except QueueNotJoinable as error:
        return render_page(
            request, "queue_closed.html", 200, queue_id=raw_queue_id, state=error.extra["state"]
        )
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
            (snapshot.config.name if snapshot is not None else "") or queue_id,
            body,
            content,
            answered,
            profile,
            refresh_seconds,
            joined_now=created,
        ),
        **mail,
    )
    response.headers["content-security-policy"] = CONTENT_SECURITY_POLICY
    if refresh_seconds and request.cookies.get(SCRIPT_RUNS_COOKIE) != "1":
        # contract: the page works without JavaScript through a Refresh header; once the page's
        # script has run it sets SCRIPT_RUNS_COOKIE and polls instead, so reloads stop
        response.headers["refresh"] = str(refresh_seconds)
    for cookie in fan_session.cookie_headers(
        runtime,
        request,
        queue_id,
        answer.refreshed_token or token,
        claims.visitor_id,
    ):
        response.headers.append("set-cookie", cookie)
    return response
