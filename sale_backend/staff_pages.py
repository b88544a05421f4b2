"""The door scanner for staff: ``/staff/scan`` (outside the fan gate, opened by a staff
session), ``/staff/login`` and ``/staff/logout``. Plain forms that work without JavaScript and
with hardware scanners that type the code and press Enter; every answer is a page, bad input a
friendly 4xx page. Every form (login, scan, logout) carries the shop's CSRF token
(:mod:`sale_backend.csrf`, the same as the fans' forms); a form without it is answered 403 and
changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sale_backend.csrf import CSRF_FIELD, form_token_valid
from sale_backend.errors import TicketRejected
from sale_backend.pages import base_path, read_form, render
from sale_backend.runtime import shop_runtime
from sale_backend.scan_results import ScanHistory, ScanResult, admitted, rejected
from sale_backend.staff_session import staff_door
from sale_backend.store import EventNotFound
from sale_backend.tickets import MAX_CODE_LENGTH
from waitroom.admin_session import AdminSession
from waitroom.problems import InvalidInput
from waitroom.session_door import FORM_EXPIRED, LoginFormRenderer

SESSION_ENDED = "Your staff session has ended. Log in again."


def _login_page(request: Request) -> LoginFormRenderer:
    def page(status_code: int, login_token: str, error: str) -> Response:
        return render(request, "staff_login.html", status_code, error=error)

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
    return render(
        request,
        "staff_scan.html",
        status_code,
        result=shown[0] if shown and not notice else None,
        earlier=shown[1:] if not notice else shown,
        history=history.dump(shown),
        notice=notice,
    )


async def _fields(request: Request) -> dict[str, str]:
    """The first value of each field of a small form (its size is limited by the app's body
    limit layer); raises InvalidInput."""
    return {name: values[0] for name, values in (await read_form(request)).items()}


async def login(request: Request) -> Response:
    door, page = staff_door(request), _login_page(request)
    scanner = f"{base_path(request)}/staff/scan"
    if request.method == "GET":
        if door.session(request) is not None:
            return RedirectResponse(scanner, status_code=303)
        return door.login_form(page)
    try:
        fields = await _fields(request)
        if not form_token_valid(request, fields.get(CSRF_FIELD)):
            return door.login_form(page, 403, FORM_EXPIRED)
        return await door.login(
            request, page, scanner, lambda fields: "staff", "That staff token is not accepted."
        )
    except (HTTPException, InvalidInput):
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
    if not form_token_valid(request, fields.get(CSRF_FIELD)):
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
    if not form_token_valid(request, fields.get(CSRF_FIELD)):
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
