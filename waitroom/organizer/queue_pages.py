"""``/admin``: the organizer's queues, and a form to create one (``POST /admin/queues``) next to
a live preview of its fan page (:mod:`waitroom.organizer.preview`).

A new queue opens at once or at a local date and time in the organizer's zone; until then fans
wait in the pre-queue and get random places at opening. Creating answers with a redirect to
the new queue's dashboard (post/redirect/get); a queue id that is taken is refused, never
overwritten.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service_kit.errors import InvalidInput, NotAuthenticated, ServiceError
from service_kit.form_fields import decode_form
from service_kit.problems import error_status
from waitroom.errors import QueueNotFound
from waitroom.organizer.actions import update_queue
from waitroom.organizer.auth import admin_session, require_admin_form
from waitroom.organizer.flash import Flash, redirect_with_flash, take_flash
from waitroom.organizer.form_models import DEFAULT_RATE_PER_MINUTE, QueueCreationForm
from waitroom.organizer.form_words import message_of
from waitroom.organizer.local_time import local_text, parse_local, zone_label, zone_named
from waitroom.organizer.pages import flash_codec, page, time_context, with_flash
from waitroom.storage.keys import QueueKeys
from waitroom.web.runtime import runtime_of


async def queue_rows(request: Request) -> list[dict[str, Any]]:
    runtime = runtime_of(request)
    rows = []
    for queue_id in await runtime.store.queue_ids():
        try:
            snapshot = (await runtime.views.get(queue_id)).snapshot
        except QueueNotFound:
            continue
        state = snapshot.config.state.value
        rows.append(
            {
                "queue_id": queue_id,
                "name": snapshot.config.display_name("en") or queue_id,
                "state": "pre-queue" if state == "open" and not snapshot.opened else state,
                "queue_length": snapshot.queue_length,
            }
        )
    return rows


async def queues_page(request: Request) -> Response:
    session = admin_session(request)
    if session is None:
        return RedirectResponse("/admin/login", status_code=303)
    flash = take_flash(flash_codec(request), request)
    response = await _render(request, flash.notice if flash else "", 200, {})
    return with_flash(request, response, flash)


async def _render(
    request: Request, notice: str, status_code: int, draft: dict[str, str]
) -> Response:
    session = admin_session(request)
    try:
        rows = await queue_rows(request)
    except ServiceError as error:
        return page(request, "error.html", error_status(error), detail=error.detail)
    return page(
        request,
        "admin_queues.html",
        status_code,
        queues=rows,
        session=session,
        csrf_token=session.csrf_token if session else "",
        notice=notice,
        draft={"rate_per_minute": str(DEFAULT_RATE_PER_MINUTE), "start": "now", **draft},
        **time_context(request, time.time()),
    )


def creation_fields(form: QueueCreationForm) -> dict[str, Any]:
    """The new queue's settings from the creation form (raises InvalidInput): what the model
    cannot say is that a scheduled opening needs a time, and one to come in the organizer's
    zone."""
    fields: dict[str, Any] = {
        "name": form.name or form.queue_id,
        "rate_per_minute": form.rate_per_minute,
        "active_shopper_cap": form.active_shopper_cap,
        "state": "open",
    }
    if form.redirect_url:
        fields["redirect_url"] = form.redirect_url
    if form.start == "schedule":
        if not isinstance(form.opens_at_local, str):
            raise InvalidInput(
                "opens_at: choose the date and time of the opening (or open at once)",
                field="opens_at",
            )
        zone = zone_named(form.time_zone)
        opens_at = parse_local(form.opens_at_local, zone)
        if opens_at <= time.time():
            raise InvalidInput(
                f"opens_at: {local_text(opens_at, zone)} ({zone_label(zone, opens_at)}) has "
                "passed: choose a time to come, or open at once",
                field="opens_at",
            )
        fields["opens_at"] = opens_at
    return fields


async def create_queue(request: Request) -> Response:
    runtime = runtime_of(request)
    try:
        actor, form = await require_admin_form(request)
    except NotAuthenticated:
        return RedirectResponse("/admin/login", status_code=303)
    except ServiceError as error:
        return page(request, "error.html", error_status(error), detail=error.detail)
    draft = {name: value[:500] for name, value in form.items() if name != "csrf_token"}
    try:
        creation = decode_form(form, QueueCreationForm)
        queue_id, fields = creation.queue_id, creation_fields(creation)
        if await runtime.redis.exists(QueueKeys(queue_id).config):
            raise InvalidInput(
                f"a queue named {queue_id!r} exists already: choose another id", field="queue_id"
            )
        await update_queue(runtime, queue_id, actor, fields)
    except InvalidInput as error:
        return await _render(request, f"Not created: {message_of(error)}", 400, draft)
    opening = ""
    if "opens_at" in fields:
        zone = zone_named(creation.time_zone)
        opening = (
            f" Fans who come before {local_text(fields['opens_at'], zone)} "
            f"({zone_label(zone, fields['opens_at'])}) wait in the pre-queue."
        )
    return redirect_with_flash(
        flash_codec(request),
        f"/admin/queues/{queue_id}",
        Flash(f"Queue {fields['name']} created.{opening}"),
        runtime.cookie_secure(request),
    )
