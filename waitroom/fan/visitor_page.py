"""The queue page for a visitor who holds no place: the queue as it is, and a way in.

``GET /q/{queue_id}`` takes no place (link previews, crawlers and ``curl`` only look). It shows
the queue's state, how many fans wait, the wait a newcomer can expect and what happens next.
A place is taken by a human action: the page's script joins at once (``join.js``, the
contract's ``POST /api/v1/queues/{queue_id}/join``, with the proof of work when the queue asks
for one); without JavaScript, the "Join the queue" button posts the same URL as a form.

The figures are those the status would tell a fan who joined now (position ``tail + 1``, or
the pre-queue before opening), from the in-process view: no Redis call per page.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from service_kit.cookies import set_cookie_header
from waitroom.admission import FanState
from waitroom.fan import session as fan_session
from waitroom.fan.cookies import (
    SCRIPT_RUNS_COOKIE,
    VISITOR_COOKIE,
    VISITOR_COOKIE_MAX_AGE_SECONDS,
    position_cookie_name,
)
from waitroom.fan.i18n import Translate
from waitroom.fan.page_context import eta_text, render_page
from waitroom.fan.status import FanStatus, fan_status
from waitroom.fan.strings import STATE_MESSAGES, VISITOR_MESSAGES
from waitroom.queue.view import QueueView
from waitroom.tokens import new_visitor_id
from waitroom.web.runtime import Runtime

LEFT_QUERY = "left"
"""``?left=1``: the visitor has just left the queue (the page says so and does not rejoin)."""
JOINABLE_STATES = {FanState.WAITING, FanState.PAUSED, FanState.PREQUEUE, FanState.ADMITTED}


def newcomer_status(runtime: Runtime, view: QueueView) -> FanStatus:
    """What the status would tell a fan who joined now (read only, nothing is taken)."""
    snapshot = view.snapshot
    position = snapshot.tail + 1 if snapshot.opened else 0
    settings = runtime.settings
    return fan_status(
        view,
        position,
        time.time(),
        settings.poll_interval_min_ms,
        settings.poll_interval_max_ms,
    )


def visitor_message(preview: FanStatus, translate: Translate) -> str:
    """What happens next, for someone who has not joined yet."""
    state = preview.state
    if state is FanState.SOLD_OUT:
        if preview.stock_may_return:
            return translate(VISITOR_MESSAGES["sold_out_for_now"])
        return translate(VISITOR_MESSAGES["sold_out"])
    if state is FanState.CLOSED:
        return translate(VISITOR_MESSAGES["closed"])
    if state is FanState.PAUSED and preview.pause_reason:
        return translate(VISITOR_MESSAGES["paused_with_reason"], reason=preview.pause_reason)
    if state is FanState.PREQUEUE:
        return translate(STATE_MESSAGES["prequeue"])
    return translate(VISITOR_MESSAGES[state.value])


def refresh_seconds(preview: FanStatus, runtime: Runtime) -> int:
    """Pages without JavaScript look again at the longest poll interval; a final state never."""
    if preview.state in {FanState.CLOSED, FanState.SOLD_OUT} and not preview.stock_may_return:
        return 0
    return max(2, runtime.settings.poll_interval_max_ms // 1000)


async def visitor_page(
    request: Request, runtime: Runtime, queue_id: str, stale_token: bool
) -> Response:
    """The page for a visitor without a place (``stale_token``: clear the cookie it sent)."""
    view = await runtime.views.get(queue_id)
    preview = newcomer_status(runtime, view)
    left = request.query_params.get(LEFT_QUERY) == "1"
    page_url = f"/q/{queue_id}" + (f"?{LEFT_QUERY}=1" if left else "")
    refresh = refresh_seconds(preview, runtime)
    proof = runtime.protection.proof_of_work
    values: dict[str, Any] = {
        "queue_id": queue_id,
        "queue_name": view.snapshot.config.name or queue_id,
        "preview": preview,
        "preview_body": {
            "state": preview.state.value,
            "eta_range_seconds": preview.eta_range_seconds,
        },
        "message_for": visitor_message,
        "eta_for": eta_text,
        "joinable": preview.state in JOINABLE_STATES,
        "join_url": f"/api/v1/queues/{queue_id}/join",
        "challenge_url": f"/api/v1/queues/{queue_id}/challenge" if proof.enabled else "",
        "auto_join": not left,
        "left": left,
        "page_url": page_url,
        "refresh_seconds": refresh,
        "opens_at_utc": (
            time.strftime("%H:%M UTC", time.gmtime(preview.opens_at))
            if preview.state is FanState.PREQUEUE and preview.opens_at
            else ""
        ),
    }
    response = render_page(request, "queue_visitor.html", 200, **values)
    if refresh and request.cookies.get(SCRIPT_RUNS_COOKIE) != "1":
        response.headers["refresh"] = f"{refresh}; url={page_url}"
    secure = runtime.cookie_secure(request)
    if fan_session.visitor_cookie(request) is None:
        # one visitor id before joining: tabs opened meanwhile join as one visitor, one place
        response.headers.append(
            "set-cookie",
            set_cookie_header(
                VISITOR_COOKIE, new_visitor_id(), VISITOR_COOKIE_MAX_AGE_SECONDS, secure
            ),
        )
    if stale_token:
        response.headers.append(
            "set-cookie", set_cookie_header(position_cookie_name(queue_id), "", 0, secure)
        )
    return response
