"""``GET /q/{queue_id}``: the fan's queue page, in the fan's language.

Joins on first visit; works without JavaScript (a ``<noscript>`` meta refresh, plain form posts);
with JavaScript it polls the status endpoint at the server's interval. Organizer content
(surveys, upsells, the profile form) comes from the in-process content cache.
"""

from __future__ import annotations

import math
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from waitroom import fan_session
from waitroom.admission import FanState, QueueNotFound, QueueNotJoinable
from waitroom.fan_api import status_body
from waitroom.fan_page_context import json_for_script, render_page
from waitroom.fan_profile import load_profile
from waitroom.fan_strings import SCRIPT_STRINGS, STATE_MESSAGES
from waitroom.i18n import Translate
from waitroom.problems import WaitroomError
from waitroom.runtime import Runtime, runtime_of
from waitroom.tokens import PositionClaims, TokenError
from waitroom.upsell_view import format_price, upsell_cards

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' https:; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def state_message(body: dict[str, Any], translate: Translate) -> str:
    if body["state"] == "paused" and body.get("pause_reason"):
        return translate(SCRIPT_STRINGS["paused_with_reason"], reason=body["pause_reason"])
    return translate(STATE_MESSAGES.get(body["state"], STATE_MESSAGES["closed"]))


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


async def _claims(
    runtime: Runtime, request: Request, queue_id: str
) -> tuple[PositionClaims, str, bool]:
    token, _ = fan_session.presented_token(request, queue_id)
    if token is not None:
        try:
            claims = runtime.codec.verify_position(token, queue_id=queue_id)
            view = await runtime.views.get(queue_id)
            if claims.epoch == view.snapshot.epoch:
                return claims, token, False
        except TokenError:
            pass
    joined = await fan_session.join(runtime, request, queue_id)
    return joined.claims, joined.token, joined.created


SCRIPT_RUNS_COOKIE = "wr_js"


async def queue_page(request: Request) -> Response:
    runtime = runtime_of(request)
    raw_queue_id = request.path_params["queue_id"]
    try:
        queue_id = fan_session.checked_queue_id(raw_queue_id)
        claims, token, created = await _claims(runtime, request, queue_id)
        try:
            answer = await fan_session.status(runtime, claims)
        except fan_session.TokenRejected:
            # the place was given up or reset: take a fresh one (cookie-less rejoin)
            joined = await fan_session.join(runtime, request, queue_id)
            claims, token, created = joined.claims, joined.token, joined.created
            answer = await fan_session.status(runtime, claims)
        content = await runtime.fan.content.get(queue_id)
        answered = await runtime.fan.answers.answered(queue_id, claims.visitor_id, content.surveys)
        profile = await load_profile(runtime.redis, queue_id, claims.visitor_id)
        view = await runtime.views.get(queue_id)
    except QueueNotFound:
        return render_page(request, "not_found.html", 404, queue_id=raw_queue_id[:64])
    except QueueNotJoinable as error:
        return render_page(
            request, "queue_closed.html", 200, queue_id=raw_queue_id, state=error.extra["state"]
        )
    except WaitroomError as error:
        return render_page(request, "error.html", error.status, detail=error.detail)
    body = status_body(answer)
    final = answer.status.state in {FanState.CLOSED, FanState.SOLD_OUT, FanState.ADMITTED}
    refresh_seconds = 0 if final else max(2, math.ceil(answer.status.poll_after_ms / 1000))
    response = render_page(
        request,
        "queue.html",
        200,
        queue_id=queue_id,
        queue_name=view.snapshot.config.name or queue_id,
        status=body,
        status_json=json_for_script(body),
        status_url=f"/api/v1/queues/{queue_id}/status",
        base_api_url=f"/api/v1/queues/{queue_id}",
        joined_now=created,
        refresh_seconds=refresh_seconds,
        updated_utc=time.strftime("%H:%M:%S UTC", time.gmtime()),
        surveys=content.surveys,
        answered=answered,
        upsells=upsell_cards(queue_id, content.upsells),
        profile_form=content.profile_form,
        profile=profile,
        message_for=state_message,
        eta_for=eta_text,
        format_price=format_price,
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
        answer.pass_token,
    ):
        response.headers.append("set-cookie", cookie)
    return response
