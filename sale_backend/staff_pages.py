"""The door scanner for staff: ``/staff/scan`` (outside the fan gate, opened by a staff
session), ``/staff/login`` and ``/staff/logout``. Plain forms that work without JavaScript and
with hardware scanners that type the code and press Enter; every answer is a page, bad input a
friendly 4xx page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from sale_backend.errors import TicketRejected
from sale_backend.pages import base_path, read_form, render
from sale_backend.runtime import shop_runtime
from sale_backend.scan_results import ScanHistory, ScanResult, admitted, rejected
from sale_backend.staff_session import staff_door
from sale_backend.store import EventNotFound
from sale_backend.tickets import MAX_CODE_LENGTH
from waitroom.admin_session import CSRF_FIELD, AdminSession, tokens_equal
from waitroom.problems import InvalidInput
from waitroom.session_door import FORM_EXPIRED, SECURITY_HEADERS, LoginFormRenderer

SESSION_ENDED = "Your staff session has ended. Log in again."


def _page(request: Request, template: str, status_code: int, **context: Any) -> HTMLResponse:
    response = render(request, template, status_code, **context)
    response.headers.update(SECURITY_HEADERS)
    return response


def _login_page(request: Request) -> LoginFormRenderer:
    def page(status_code: int, login_csrf: str, error: str) -> Response:
        return _page(request, "staff_login.html", status_code, login_csrf=login_csrf, error=error)

    return page


def _scanner(
    request: Request,
    session: AdminSession,
    status_code: int = 200,
    results: list[ScanResult] | None = None,
    notice: str = "",
) -> Response:
    runtime = shop_runtime(request)
    history = ScanHistory(runtime.settings.base.secret_keys, session.session_id)
    shown = results or []
    return _page(
        request,
        "staff_scan.html",
        status_code,
        csrf_token=session.csrf_token,
        result=shown[0] if shown and not notice else None,
        earlier=shown[1:] if not notice else shown,
        history=history.dump(shown),
        notice=notice,
    )


async def _fields(request: Request) -> dict[str, str]:
    """The first value of each field of a small form (its size is limited by the app's body
    limit layer); raises InvalidInput."""
    return {name: values[0] for name, values in (await read_form(request)).items()}


def _csrf_ok(session: AdminSession, fields: dict[str, str]) -> bool:
    presented = fields.get(CSRF_FIELD, "")
    return bool(presented) and tokens_equal(presented, session.csrf_token)


async def login(request: Request) -> Response:
    door, page = staff_door(request), _login_page(request)
    scanner = f"{base_path(request)}/staff/scan"
    if request.method == "GET":
        if door.session(request) is not None:
            return RedirectResponse(scanner, status_code=303, headers=SECURITY_HEADERS)
        return door.login_form(page)
    try:
        return await door.login(
            request, page, scanner, lambda fields: "staff", "That staff token is not accepted."
        )
    except HTTPException:
        return door.login_form(page, 400, "The form could not be read. Try again.")


async def logout(request: Request) -> Response:
    door = staff_door(request)
    session = door.session(request)
    if session is None:
        return door.logged_out(f"{base_path(request)}/staff/scan")
    try:
        fields = await _fields(request)
    except InvalidInput as error:
        return _scanner(request, session, 400, notice=f"Not logged out: {error.detail}.")
    if not _csrf_ok(session, fields):
        return _scanner(request, session, 403, notice=FORM_EXPIRED)
    return door.logged_out(f"{base_path(request)}/staff/scan")


async def scan_page(request: Request) -> Response:
    door = staff_door(request)
    session = door.session(request)
    if session is None:
        return door.login_form(_login_page(request))
    return _scanner(request, session)


async def scan_form(request: Request) -> Response:
    door = staff_door(request)
    session = door.session(request)
    if session is None:
        return door.login_form(_login_page(request), 401, SESSION_ENDED)
    runtime = shop_runtime(request)
    try:
        fields = await _fields(request)
    except InvalidInput as error:
        return _scanner(request, session, 400, notice=f"Nothing scanned: {error.detail}.")
    earlier = ScanHistory(runtime.settings.base.secret_keys, session.session_id).load(
        fields.get("history")
    )
    if not _csrf_ok(session, fields):
        return _scanner(request, session, 403, earlier, FORM_EXPIRED)
    code = fields.get("code", "").strip()
    if not code:
        return _scanner(request, session, 400, earlier, "Scan or type a ticket code first.")
    if len(code) > MAX_CODE_LENGTH:
        return _scanner(request, session, 400, earlier, "That is far too long for a ticket code.")
    now = datetime.now(UTC)
    try:
        accepted = await runtime.scan(code)
    except TicketRejected as error:
        return _scanner(request, session, 409, [rejected(error, now), *earlier])
    ticket_id, event_id = str(accepted["ticket_id"]), str(accepted["event_id"])
    try:
        event_name = (await runtime.event(event_id, any_queue=True)).name
    except EventNotFound:
        event_name = event_id
    return _scanner(request, session, 200, [admitted(ticket_id, event_name, now), *earlier])
