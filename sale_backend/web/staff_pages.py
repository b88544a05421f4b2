"""The door scanner for staff: ``/staff/scan`` (outside the fan gate, opened by a staff
session), ``/staff/login`` and ``/staff/logout``. Plain forms that work without JavaScript and
with hardware scanners that type the code and press Enter; every answer is a page, bad input a
friendly 4xx page. The page's scripts (``static/scanner*.js``) add the camera, the offline list
and the sync of offline scans on top of the same page; ``/staff/scanner-sw.js`` is its service
worker (the page loads offline). Every form (login, scan, logout) and the scripts' calls of the
staff API carry the shop's CSRF token (:mod:`sale_backend.web.csrf`, the same as the fans' forms);
a form without it is answered 403 and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from sale_backend.domain.catalog import Event
from sale_backend.domain.entry_scans import ScanRequest
from sale_backend.domain.scan_batches import clean_door
from sale_backend.domain.scan_results import (
    LocalClock,
    ScanHistory,
    ScanResult,
    rejected,
    scan_result,
)
from sale_backend.domain.scanner_words import Words, scanner_words
from sale_backend.domain.tickets import MAX_CODE_LENGTH
from sale_backend.errors import EventNotFound, TicketRejected
from sale_backend.storage.keys import is_valid_event_id
from sale_backend.web.csrf import CSRF_FIELD, form_token_valid
from sale_backend.web.forms import LoginForm, LogoutForm, ScanForm
from sale_backend.web.language import shop_language
from sale_backend.web.pages import base_path, render
from sale_backend.web.runtime import ShopRuntime, shop_runtime
from sale_backend.web.staff_session import staff_door
from service_kit.browser_session import AdminSession
from service_kit.errors import InvalidInput
from service_kit.form_fields import decode_form
from service_kit.languages import N_
from service_kit.problems import error_status
from service_kit.request_body import first_value, form_pairs
from service_kit.session_door import FORM_EXPIRED, LoginFormRenderer

SERVICE_WORKER = Path(__file__).parent / "static" / "scanner-sw.js"
SESSION_ENDED = N_("Your staff session has ended. Log in again.")
FORM_NOT_THE_PAGES = N_("Nothing scanned: this form is not the scanner page's. Reload the page.")
SHARED_NOTICES = [
    N_("The form expired or was not sent by this page. Try again."),
    N_("Too many failed logins from this address. Wait a minute and try again."),
]
"""The words of :mod:`service_kit.session_door` that staff read (its ``FORM_EXPIRED`` and
``TOO_MANY_ATTEMPTS``), marked for the shop's catalogs: every notice is translated where the
page is rendered."""
SYNC_SECONDS = 10
"""How often the page's script sends offline scans and fetches the list's changes."""


def _chosen_event(request: Request) -> str:
    """The ``?event=`` a login form came from (well-formed ids only), to return to it."""
    chosen = request.query_params.get("event", "")
    return chosen if is_valid_event_id(chosen) else ""


def _login_page(request: Request) -> LoginFormRenderer:
    def page(status_code: int, login_token: str, error: str) -> Response:
        return render(
            request,
            "staff_login.html",
            status_code,
            error=_say(request, error),
            event_id=_chosen_event(request),
        )

    return page


def _say(request: Request, text: str, **values: object) -> str:
    """A notice (an English msgid) in the page's language."""
    return shop_language(request).translate(text, **values) if text else ""


def _words(request: Request) -> Words:
    return Words(shop_language(request).translate)


def _scanner(
    request: Request,
    session: AdminSession,
    event: Event,
    status_code: int = 200,
    results: list[ScanResult] | None = None,
    notice: str = "",
) -> Response:
    runtime = shop_runtime(request)
    history = ScanHistory(runtime.settings.secret_keys, session.session_id)
    shown = results or []
    translate = shop_language(request).translate
    response = render(
        request,
        "staff_scan.html",
        status_code,
        door=clean_door(session.who),
        event=event,
        clock=LocalClock(event.time_zone).name if event.time_zone else "",
        sync_seconds=SYNC_SECONDS,
        result=shown[0] if shown and not notice else None,
        earlier=shown[1:] if not notice else shown,
        history=history.dump(shown),
        notice=translate(notice) if notice else "",
        words=scanner_words(translate),
    )
    response.headers["x-scanner-page"] = "1"  # the service worker keeps only these pages
    return response


async def _events(runtime: ShopRuntime) -> list[Event]:
    events = []
    for event_id in await runtime.store.event_ids():
        try:
            events.append(await runtime.event(event_id, any_queue=True))
        except EventNotFound:
            continue
    return events


async def _chooser(
    request: Request, session: AdminSession, status_code: int = 200, notice: str = ""
) -> Response:
    """The events to scan for (a door scans one event's tickets)."""
    events = await _events(shop_runtime(request))
    return render(
        request,
        "staff_events.html",
        status_code,
        events=events,
        door=clean_door(session.who),
        notice=_say(request, notice),
    )


async def _form(request: Request) -> tuple[bool, list[tuple[str, str]]]:
    """A small form (its size is limited by the app's body limit layer) and whether its CSRF
    token is this browser's; raises InvalidInput when the form cannot be read. The form is
    decoded into its model (:mod:`sale_backend.web.forms`) after the token is checked."""
    items = await form_pairs(request)
    return form_token_valid(request, first_value(items, CSRF_FIELD) or None), items


async def login(request: Request) -> Response:
    door, page = staff_door(request), _login_page(request)
    scanner = f"{base_path(request)}/staff/scan"
    if _chosen_event(request):
        scanner += f"?event={_chosen_event(request)}"
    if request.method == "GET":
        if door.session(request) is not None:
            return RedirectResponse(scanner, status_code=303)
        return door.login_form(page)
    try:
        token_valid, items = await _form(request)
        if not token_valid:
            return door.login_form(page, 403, FORM_EXPIRED)
        form = decode_form(items, LoginForm)
        return await door.login(
            request,
            page,
            scanner,
            lambda _fields: clean_door(form.door),
            N_("That staff token is not accepted."),
        )
    except (HTTPException, InvalidInput):
        return door.login_form(page, 400, N_("The form could not be read. Try again."))


async def logout(request: Request) -> Response:
    door = staff_door(request)
    session = door.session(request)
    if session is None:
        return door.logged_out(f"{base_path(request)}/staff/scan")
    try:
        token_valid, items = await _form(request)
        if token_valid:
            decode_form(items, LogoutForm)
    except InvalidInput as error:
        notice = _say(request, N_("Not logged out: %(detail)s."), detail=error.detail)
        return await _chooser(request, session, 400, notice)
    if not token_valid:
        return await _chooser(request, session, 403, FORM_EXPIRED)
    return door.logged_out(f"{base_path(request)}/staff/scan")


async def scan_page(request: Request) -> Response:
    door = staff_door(request)
    session = door.session(request)
    if session is None:
        return door.login_form(_login_page(request))
    runtime = shop_runtime(request)
    chosen = request.query_params.get("event")
    if not chosen:  # with one event, that one; "?event=" always lets staff choose
        events = await _events(runtime) if chosen is None else []
        if len(events) != 1:
            return await _chooser(request, session)
        return _scanner(request, session, events[0])
    try:
        event = await runtime.event(chosen, any_queue=True)
    except EventNotFound:
        return await _chooser(request, session, 404, N_("There is no such event. Choose one."))
    return _scanner(request, session, event)


async def scan_form(request: Request) -> Response:
    door = staff_door(request)
    session = door.session(request)
    if session is None:
        return door.login_form(_login_page(request), 401, SESSION_ENDED)
    runtime = shop_runtime(request)
    try:
        token_valid, items = await _form(request)
    except InvalidInput as error:
        notice = _say(request, N_("Nothing scanned: %(detail)s."), detail=error.detail)
        return await _chooser(request, session, 400, notice)
    try:
        form = decode_form(items, ScanForm)
    except InvalidInput:
        if not token_valid:
            return await _chooser(request, session, 403, FORM_EXPIRED)
        return await _chooser(request, session, 400, FORM_NOT_THE_PAGES)
    try:
        event = await runtime.event(form.event_id, any_queue=True)
    except EventNotFound:
        status = 400 if token_valid else 403
        notice = N_("Choose the event of this door first.") if token_valid else FORM_EXPIRED
        return await _chooser(request, session, status, notice)
    earlier = ScanHistory(runtime.settings.secret_keys, session.session_id).load(form.history)
    if not token_valid:
        return _scanner(request, session, event, 403, earlier, FORM_EXPIRED)
    code = form.code.strip()
    if not code:
        notice = N_("Scan or type a ticket code first.")
        return _scanner(request, session, event, 400, earlier, notice)
    if len(code) > MAX_CODE_LENGTH:
        return _scanner(
            request, session, event, 400, earlier, N_("That is far too long for a ticket code.")
        )
    clock = LocalClock(event.time_zone, form.time_zone)
    now = datetime.now(UTC)
    words = _words(request)
    scan = ScanRequest(code=code, door=clean_door(session.who), device=session.session_id)
    try:
        outcome = await runtime.scan(scan, event.event_id)
    except TicketRejected as error:
        return _scanner(
            request,
            session,
            event,
            error_status(error),
            [rejected(error, clock, now, words), *earlier],
        )
    result = scan_result(outcome, event, clock, now, words)
    return _scanner(request, session, event, 200 if result.admitted else 409, [result, *earlier])


async def service_worker(request: Request) -> Response:
    """The scanner page's service worker, served under ``/staff/`` so that it may control the
    scanner page (a worker controls pages under its own path only)."""
    return FileResponse(
        SERVICE_WORKER,
        media_type="text/javascript",
        headers={"cache-control": "no-cache"},
    )
