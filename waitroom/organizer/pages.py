"""Organizer pages: ``/admin/login``, ``/admin/logout``, ``/admin`` (queues, and creating one)
and ``/admin/queues/{queue_id}`` (live dashboard and controls; forms work without JavaScript).

Pages use the session cookie (HttpOnly, SameSite=Strict, Secure over https) and a CSRF token in
every form; they are served with a strict Content-Security-Policy (no inline script, no
third-party requests: the charts are drawn as inline SVG by /static/waitroom/admin.js). Every
form that changes something answers with a redirect (post/redirect/get, :mod:`flash`), so a
reload never repeats it; the steps that stop a sale ask to be confirmed first
(:mod:`dashboard_forms`). Times are shown in the organizer's time zone (:mod:`local_time`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from service_kit.errors import InvalidInput, NotAuthenticated, ServiceError
from service_kit.problems import error_status
from service_kit.session_door import SECURITY_HEADERS, LoginFormRenderer, SessionDoor
from service_kit.throttle import admin_throttle, client_address
from waitroom.admission import QueueSnapshot
from waitroom.fan.session import checked_queue_id
from waitroom.organizer import audit
from waitroom.organizer.audit_words import readable
from waitroom.organizer.auth import admin_session, clean_actor, require_admin_form, session_codec
from waitroom.organizer.dashboard_forms import (
    NeedsConfirmation,
    apply_dashboard_form,
    dashboard_form,
)
from waitroom.organizer.flash import Flash, FlashCodec, clear_flash, redirect_with_flash, take_flash
from waitroom.organizer.form_words import message_of
from waitroom.organizer.local_time import (
    TIME_ZONE_COOKIE,
    local_input_value,
    local_text,
    zone_label,
    zone_name,
    zone_named,
)
from waitroom.queue.autotune_store import AutotuneStore
from waitroom.queue.codes import CodeStore
from waitroom.queue.site_health import current_health
from waitroom.web.runtime import runtime_of

AUDIT_ENTRIES_SHOWN = 20


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    environment: Environment = request.app.state.templates
    html = environment.get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def flash_codec(request: Request) -> FlashCodec:
    return FlashCodec(runtime_of(request).settings.secret_keys)


def _door(request: Request) -> SessionDoor:
    runtime = runtime_of(request)
    return SessionDoor(
        session_codec(request),
        runtime.settings.admin_token,
        admin_throttle(request),
        client_address(request, runtime.settings.trusted_proxy_count),
        runtime.cookie_secure(request),
    )


def _login_page(request: Request) -> LoginFormRenderer:
    def render(status_code: int, login_csrf: str, error: str) -> Response:
        return page(request, "admin_login.html", status_code, login_csrf=login_csrf, error=error)

    return render


async def login(request: Request) -> Response:
    door = _door(request)
    if request.method == "GET":
        return door.login_form(_login_page(request))
    return await door.login(
        request,
        _login_page(request),
        "/admin",
        lambda fields: clean_actor(fields.get("name", "")) or "organizer",
        "That admin token is not accepted.",
    )


async def logout(request: Request) -> Response:
    try:
        await require_admin_form(request)
    except ServiceError:
        return RedirectResponse("/admin/login", status_code=303)
    return _door(request).logged_out("/admin/login")


def with_flash(request: Request, response: Response, flash: Flash | None) -> Response:
    """Clear the flash cookie of a page that showed it."""
    if flash is not None:
        clear_flash(response, runtime_of(request).cookie_secure(request))
    return response


def time_context(request: Request, at: float) -> dict[str, Any]:
    """The organizer's zone (the ``wr_tz`` cookie the dashboard script keeps) for a page."""
    zone = zone_named(request.cookies.get(TIME_ZONE_COOKIE))
    return {"zone": zone, "zone_name": zone_name(zone), "zone_label": zone_label(zone, at)}


def _iso(unix_seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(unix_seconds))


def opening_context(snapshot: QueueSnapshot, zone: Any, now: float) -> dict[str, Any]:
    opens_at = snapshot.config.opens_at
    scheduled = opens_at > now
    return {
        "scheduled": scheduled,
        "opens_at": opens_at,
        "opens_at_text": local_text(opens_at, zone) if opens_at else "",
        "opens_at_input": local_input_value(opens_at, zone) if scheduled else "",
        "opens_at_iso": _iso(opens_at),
    }


async def dashboard_page(request: Request) -> Response:
    session = admin_session(request)
    if session is None:
        return RedirectResponse("/admin/login", status_code=303)
    runtime = runtime_of(request)
    try:
        queue_id = checked_queue_id(request.path_params["queue_id"])
        runtime.views.invalidate(queue_id)
        config = (await runtime.views.get(queue_id)).snapshot.config
        if request.method == "POST":
            actor, fields = await require_admin_form(request)
            try:
                form = dashboard_form(fields)
                outcome = await apply_dashboard_form(runtime, queue_id, actor, form, config)
            except InvalidInput as error:
                return await render_dashboard(
                    request, queue_id, f"Not saved: {message_of(error)}", 400, draft=fields
                )
            if isinstance(outcome, NeedsConfirmation):
                return page(
                    request,
                    "admin_confirm.html",
                    queue_id=queue_id,
                    queue_name=config.display_name("en") or queue_id,
                    confirmation=outcome,
                    csrf_token=session.csrf_token,
                    session=session,
                    form_action=f"/admin/queues/{queue_id}",
                )
            return redirect_with_flash(
                flash_codec(request),
                f"/admin/queues/{queue_id}",
                Flash(outcome.notice, outcome.created_code),
                runtime.cookie_secure(request),
            )
    except NotAuthenticated:
        return RedirectResponse("/admin/login", status_code=303)
    except ServiceError as error:
        return page(request, "error.html", error_status(error), detail=error.detail)
    flash = take_flash(flash_codec(request), request)
    response = await render_dashboard(
        request, queue_id, flash.notice if flash else "", 200, flash.created_code if flash else ""
    )
    return with_flash(request, response, flash)


async def render_dashboard(
    request: Request,
    queue_id: str,
    notice: str,
    status_code: int,
    created_code: str = "",
    draft: Mapping[str, str] | None = None,
) -> Response:
    """The dashboard; ``draft`` is a refused form's fields, shown again as typed."""
    runtime = runtime_of(request)
    session = admin_session(request)
    try:
        view = await runtime.views.get(queue_id)
        codes = await CodeStore(runtime.store.scripts).list(queue_id)
        entries = await audit.entries(runtime.redis, queue_id, AUDIT_ENTRIES_SHOWN)
        autotune = await AutotuneStore(runtime.redis).settings(queue_id)
        health = await current_health(runtime.redis, queue_id)
    except ServiceError as error:
        return page(request, "error.html", error_status(error), detail=error.detail)
    now = time.time()
    times = time_context(request, now)
    zone = times["zone"]
    snapshot = view.snapshot
    return page(
        request,
        "admin_dashboard.html",
        status_code,
        queue_id=queue_id,
        config=snapshot.config,
        snapshot=snapshot,
        opening=opening_context(snapshot, zone, now),
        codes=codes,
        audit_entries=[
            {
                **readable(entry, zone),
                "at_text": local_text(float(entry.get("at", 0)), zone, True),
                "at_iso": _iso(float(entry.get("at", 0))),
            }
            for entry in entries
        ],
        autotune=autotune,
        health=None if health is None else health.document(),
        csrf_token=session.csrf_token if session else "",
        session=session,
        notice=notice,
        created_code=created_code,
        draft={name: value[:500] for name, value in (draft or {}).items() if name != "csrf_token"},
        **times,
    )
