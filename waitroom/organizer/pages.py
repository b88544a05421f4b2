"""Organizer pages: ``/admin/login``, ``/admin/logout``, ``/admin`` (queues) and
``/admin/queues/{queue_id}`` (live dashboard and controls; forms work without JavaScript).

Pages use the session cookie (HttpOnly, SameSite=Strict, Secure over https) and a CSRF token in
every form; they are served with a strict Content-Security-Policy (no inline script, no
third-party requests: the charts are drawn as inline SVG by /static/waitroom/admin.js).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from service_kit.errors import InvalidInput, NotAuthenticated, ServiceError
from service_kit.problems import error_status
from service_kit.session_door import SECURITY_HEADERS, LoginFormRenderer, SessionDoor
from service_kit.throttle import admin_throttle, client_address
from waitroom.fan.session import checked_queue_id
from waitroom.organizer import audit
from waitroom.organizer.actions import (
    create_code,
    parse_opens_at,
    parse_whole_number,
    revoke_code,
    update_queue,
)
from waitroom.organizer.auth import admin_session, clean_actor, require_admin_form, session_codec
from waitroom.queue.codes import CodeStore, validate_code_request
from waitroom.web.runtime import runtime_of


def _utc(unix_seconds: object) -> str:
    if not isinstance(unix_seconds, int | float):
        return ""
    return datetime.fromtimestamp(unix_seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    environment: Environment = request.app.state.templates
    html = environment.get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


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
        return _page(request, "admin_login.html", status_code, login_csrf=login_csrf, error=error)

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


async def queues_page(request: Request) -> Response:
    session = admin_session(request)
    if session is None:
        return RedirectResponse("/admin/login", status_code=303)
    queue_ids = await runtime_of(request).store.queue_ids()
    if len(queue_ids) == 1:
        return RedirectResponse(f"/admin/queues/{queue_ids[0]}", status_code=303)
    return _page(request, "admin_queues.html", queue_ids=queue_ids, session=session)


async def dashboard_page(request: Request) -> Response:
    session = admin_session(request)
    if session is None:
        return RedirectResponse("/admin/login", status_code=303)
    runtime = runtime_of(request)
    notice, created_code, status_code = "", "", 200
    try:
        queue_id = checked_queue_id(request.path_params["queue_id"])
        if request.method == "POST":
            actor, form = await require_admin_form(request)
            try:
                notice, created_code = await _apply_form(request, queue_id, actor, form)
            except InvalidInput as error:
                notice, status_code = f"Not saved: {error.detail}", 400
        runtime.views.invalidate(queue_id)
        view = await runtime.views.get(queue_id)
        codes = await CodeStore(runtime.redis).list(queue_id)
        entries = [
            {**entry, "at_text": _utc(entry.get("at"))}
            for entry in await audit.entries(runtime.redis, queue_id, 20)
        ]
    except NotAuthenticated:
        return RedirectResponse("/admin/login", status_code=303)
    except ServiceError as error:
        return _page(request, "error.html", error_status(error), detail=error.detail)
    return _page(
        request,
        "admin_dashboard.html",
        status_code,
        queue_id=queue_id,
        config=view.snapshot.config,
        codes=codes,
        audit_entries=entries,
        csrf_token=session.csrf_token,
        session=session,
        notice=notice,
        created_code=created_code,
    )


async def _apply_form(
    request: Request, queue_id: str, actor: str, form: dict[str, str]
) -> tuple[str, str]:
    """Apply one dashboard form; returns (notice, plain code shown once)."""
    runtime = runtime_of(request)
    action = form.get("action", "")
    if action == "settings":
        fields: dict[str, Any] = {
            "rate_per_minute": parse_whole_number(
                form.get("rate_per_minute", ""), "rate_per_minute"
            ),
            "active_shopper_cap": parse_whole_number(
                form.get("active_shopper_cap", "0") or "0", "active_shopper_cap"
            ),
        }
        if "opens_at" in form:
            fields["opens_at"] = parse_opens_at(form["opens_at"])
        await update_queue(runtime, queue_id, actor, fields)
        return "Settings saved.", ""
    states = {"pause": "paused", "resume": "open", "close": "closed"}
    if action in states:
        fields = {"state": states[action]}
        if action == "pause":
            fields["pause_reason"] = form.get("pause_reason", "")[:500]
        elif action == "resume":
            fields["pause_reason"] = ""
        await update_queue(runtime, queue_id, actor, fields)
        return f"Queue {states[action]}.", ""
    if action == "code_create":
        kind, max_uses, label, _ = validate_code_request(
            {
                "kind": form.get("kind", "priority"),
                "max_uses": parse_whole_number(form.get("max_uses", "1"), "max_uses"),
                "label": form.get("label", ""),
            }
        )
        plain, _ = await create_code(runtime, queue_id, actor, kind, max_uses, label)
        return "Code created: copy it now, it is shown only once.", plain
    if action == "code_revoke":
        await revoke_code(runtime, queue_id, actor, form.get("code_id", ""))
        return "Code revoked.", ""
    raise InvalidInput("unknown action", field="action")
