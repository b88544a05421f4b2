"""The fan page as fans will see it, with the organizer's draft: ``/admin/preview``.

It renders the real queue page (``queue.html`` from :func:`waitroom.fan.page.queue_page_values`,
in the organizer's browser language) with a sample fan's status and the draft the dashboard
form holds: the queue's name and opening (the creation form) or its surveys and upsell cards
(the content editor), checked by the same validators as saving. Nothing is stored. The
dashboard shows it in an iframe: the forms post to it with ``formtarget``, so it works without
JavaScript, and the dashboard's script re-posts the form as the organizer types.

The answer may be framed by the dashboard only (``frame-ancestors 'self'``) and runs no script
(``script-src 'none'``); the iframe is sandboxed (no forms, no navigation of the dashboard).
"""

from __future__ import annotations

import math
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service_kit.errors import InvalidInput, NotAuthenticated, ServiceError
from service_kit.form_fields import decode_form, unflatten
from service_kit.problems import error_status
from waitroom.fan.content import FanContent
from waitroom.fan.page import queue_page_values
from waitroom.fan.page_context import render_page
from waitroom.fan.session import checked_queue_id
from waitroom.organizer.auth import (
    CONTENT_FORM_MAX_FIELDS,
    admin_session,
    require_admin_form,
)
from waitroom.organizer.content_forms import content_of
from waitroom.organizer.form_models import CONTENT_GROUPS, PreviewForm
from waitroom.organizer.form_words import message_of
from waitroom.organizer.local_time import parse_local, zone_named
from waitroom.web.runtime import runtime_of

PREVIEW_HEADERS = {
    "cache-control": "no-store",
    "content-security-policy": "default-src 'self'; img-src 'self' https: data:; "
    "script-src 'none'; style-src 'self'; frame-ancestors 'self'; base-uri 'none'; "
    "form-action 'none'",
    "x-frame-options": "SAMEORIGIN",
    "referrer-policy": "no-referrer",
}
SAMPLE_POSITION = 128
SAMPLE_SERVING = 40
SAMPLE_PREQUEUE_LENGTH = 350


def sample_status(opens_at: float, rate_per_minute: int, now: float) -> dict[str, Any]:
    """What a typical fan's status would say: waiting in line, or in the pre-queue."""
    if opens_at > now:
        return {
            "state": "prequeue",
            "position": 0,
            "ahead": SAMPLE_PREQUEUE_LENGTH,
            "eta_seconds": math.ceil(opens_at - now),
            "eta_range_seconds": None,
            "poll_after_ms": 0,
            "progress": 0.0,
            "opens_at": opens_at,
            "server_time": round(now, 3),
        }
    ahead = SAMPLE_POSITION - SAMPLE_SERVING - 1
    eta = math.ceil((ahead + 1) / max(rate_per_minute, 1) * 60)
    return {
        "state": "waiting",
        "position": SAMPLE_POSITION,
        "ahead": ahead,
        "eta_seconds": eta,
        "eta_range_seconds": [math.floor(eta * 0.8), math.ceil(eta * 1.2)],
        "poll_after_ms": 0,
        "serving": SAMPLE_SERVING,
        "progress": round(SAMPLE_SERVING / SAMPLE_POSITION, 4),
        "server_time": round(now, 3),
    }


def preview_response(
    request: Request,
    queue_id: str,
    queue_name: str,
    content: FanContent,
    opens_at: float,
    rate_per_minute: int,
    problem: str = "",
) -> Response:
    body = sample_status(opens_at, rate_per_minute, time.time())
    values = queue_page_values(queue_id, queue_name, body, content, {}, None, 0, preview=True)
    response = render_page(request, "queue.html", 200, **values, preview_problem=problem)
    response.headers.update(PREVIEW_HEADERS)
    return response


async def _queue_defaults(request: Request, queue_id: str) -> tuple[str, FanContent, float, int]:
    """Name, content, opening and rate of an existing queue (a sample for a new one)."""
    runtime = runtime_of(request)
    if not queue_id:
        return "", FanContent(), 0.0, 60
    try:
        snapshot = (await runtime.views.get(queue_id)).snapshot
        content = await runtime.fan.content.get(queue_id)
    except ServiceError:
        return "", FanContent(), 0.0, 60
    config = snapshot.config
    return config.display_name("en"), content, config.opens_at, config.rate_per_minute


async def preview_get(request: Request) -> Response:
    """``GET /admin/preview[?queue_id=]``: the stored page of a queue (the iframe's start)."""
    if admin_session(request) is None:
        return RedirectResponse("/admin/login", status_code=303)
    raw = request.query_params.get("queue_id", "")
    try:
        queue_id = checked_queue_id(raw) if raw else ""
    except InvalidInput:
        queue_id = ""
    name, content, opens_at, rate = await _queue_defaults(request, queue_id)
    return preview_response(
        request, queue_id or "new-queue", name or "Your event", content, opens_at, rate
    )


async def preview_post(request: Request) -> Response:
    """``POST /admin/preview``: the page with the form's draft (session and CSRF token)."""
    try:
        _, form = await require_admin_form(request, CONTENT_FORM_MAX_FIELDS)
    except NotAuthenticated:
        return RedirectResponse("/admin/login", status_code=303)
    except ServiceError as error:
        return Response(error.detail, status_code=error_status(error), headers=PREVIEW_HEADERS)
    raw = form.get("queue_id", "").strip()
    try:
        queue_id = checked_queue_id(raw) if raw else ""
    except InvalidInput:
        queue_id = ""
    name, content, opens_at, rate = await _queue_defaults(request, queue_id)
    problem = ""
    try:
        draft = decode_form(unflatten(form, CONTENT_GROUPS), PreviewForm)
        name = draft.name or name or queue_id or "Your event"
        if isinstance(draft.rate_per_minute, int):
            rate = draft.rate_per_minute
        if isinstance(draft.start, str):  # the creation form: at once, or at a local time
            opens_at = 0.0
            if draft.start == "schedule" and isinstance(draft.opens_at_local, str):
                opens_at = parse_local(draft.opens_at_local, zone_named(draft.time_zone))
        if draft.content_form == "1":
            surveys, upsells = content_of(draft)
            content = FanContent(
                surveys=surveys, upsells=upsells, profile_form=content.profile_form
            )
    except InvalidInput as error:
        name = name or queue_id or "Your event"
        problem = message_of(error)
    return preview_response(
        request, queue_id or "new-queue", name, content, opens_at, rate, problem
    )
