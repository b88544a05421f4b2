"""Staff JSON API (outside the gate): entry scans, the door scanners' ticket lists and scan
batches, refunds, event setup. Callers present the staff bearer token, or (the door scanner
page) a staff session cookie with the page's CSRF token (:mod:`sale_backend.web.csrf`, the same
token as its forms) in ``X-CSRF-Token``."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from sale_backend.domain.catalog_parsing import event_definition, parse_event
from sale_backend.domain.documents import ScanAccepted, ScanResult, ScanResults
from sale_backend.domain.entry_scans import ScanRequest
from sale_backend.domain.orders import load_order, public_order
from sale_backend.domain.records import define_event
from sale_backend.domain.refunds import parse_ticket_ids
from sale_backend.domain.requests import (
    PAGE_SIZE,
    RefundBody,
    ScanBatchBody,
    ScanBody,
    TicketListQuery,
)
from sale_backend.domain.scan_batches import clean_door, outcome_view, parse_batch, rejection_view
from sale_backend.domain.ticket_list import ticket_page
from sale_backend.errors import TicketRejected
from sale_backend.storage.keys import event_of
from sale_backend.web.csrf import form_token_valid
from sale_backend.web.runtime import shop_runtime
from sale_backend.web.staff_session import staff_door
from sale_backend.web.views import json_response, staff_event_view
from service_kit.browser_session import CSRF_HEADER
from service_kit.credentials import bearer_token
from service_kit.errors import Forbidden, InvalidInput, NotAuthenticated
from service_kit.models import to_builtins
from service_kit.request_body import read_json, read_query
from service_kit.throttle import bearer_accepted, client_address, throttle_of


@dataclass(frozen=True, slots=True)
class StaffCaller:
    door: str | None
    """The door of a staff session (its login named it); ``None`` for bearer-token callers."""


def require_staff(request: Request, sessions_allowed: bool = False) -> StaffCaller:
    """A staff bearer token (wrong guesses are throttled per address like the admin token's),
    or, where ``sessions_allowed``, a staff session with its CSRF token in ``X-CSRF-Token``."""
    presented = bearer_token(request)
    if presented is None and sessions_allowed:
        session = staff_door(request).session(request)
        if session is not None:
            if not form_token_valid(request, request.headers.get(CSRF_HEADER)):
                raise Forbidden("the X-CSRF-Token header of the staff session is missing")
            return StaffCaller(door=clean_door(session.who))
    if presented is None:
        raise NotAuthenticated("staff bearer token required")
    settings = shop_runtime(request).settings
    address = client_address(request, settings.trusted_proxy_count)
    if not bearer_accepted(throttle_of(request, "staff"), address, presented, settings.staff_token):
        raise NotAuthenticated("staff token not accepted")
    return StaffCaller(door=None)


async def post_scan(request: Request) -> Response:
    """One scan, decided now: ``{"code"}`` (a signed code), or ``{"code", "event_id"}`` at an
    event's door (short codes too); optional ``door`` and ``scan_id`` (a retry is harmless)."""
    caller = require_staff(request, sessions_allowed=True)
    runtime = shop_runtime(request)
    body = await read_json(request, ScanBody)
    event_id = body.event_id
    if event_id is not None:
        event_id = (await runtime.event(event_id, any_queue=True)).event_id
    outcome = await runtime.scan(
        ScanRequest(
            code=body.code,
            door=caller.door or clean_door(body.door),
            device="api",
            scan_id=body.scan_id,
        ),
        event_id,
    )
    view = outcome_view(outcome, await runtime.event(outcome.event_id, any_queue=True))
    if outcome.admitted:
        return json_response(ScanAccepted(**msgspec.structs.asdict(view)))
    first = outcome.first_admission
    raise TicketRejected(
        f"ticket rejected: {outcome.outcome.replace('_', ' ')}",
        reason=outcome.outcome,
        **({"scanned_at_ms": first.at_ms} if first else {}),
        ticket_id=view.ticket_id,
        event_id=view.event_id,
        ticket=to_builtins(view.ticket),
        first_scan=to_builtins(view.first_scan),
    )


async def get_tickets(request: Request) -> Response:
    """The door scanners' ticket list of one event: a page of the tickets changed after
    ``?after=<version>`` (0: all), at most ``?limit=`` tickets."""
    require_staff(request, sessions_allowed=True)
    runtime = shop_runtime(request)
    event = await runtime.event(request.path_params["event_id"], any_queue=True)
    query = read_query(request, TicketListQuery)
    limit = query.limit or PAGE_SIZE
    return json_response(await ticket_page(runtime.store, runtime.codes, event, query.after, limit))


async def post_scans(request: Request) -> Response:
    """A scanner's batch: online scans and the ones it decided offline, each recorded once."""
    caller = require_staff(request, sessions_allowed=True)
    runtime = shop_runtime(request)
    event = await runtime.event(request.path_params["event_id"], any_queue=True)
    batch = parse_batch(await read_json(request, ScanBatchBody), caller.door)
    results: list[ScanResult] = []
    for scan in batch.scans:
        try:
            outcome = await runtime.scan(scan, event.event_id)
        except TicketRejected as error:
            results.append(rejection_view(scan.scan_id, error))
        else:
            results.append(outcome_view(outcome, event))
    return json_response(ScanResults(event.event_id, batch.door, results))


async def post_refund(request: Request) -> Response:
    require_staff(request)
    runtime = shop_runtime(request)
    order_id = request.path_params["order_id"]
    ticket_ids = parse_ticket_ids(await read_json(request, RefundBody))
    event = await runtime.event(event_of(order_id, "order"), any_queue=True)
    record = await runtime.refunds.refund(event, order_id, ticket_ids, None)
    runtime.metrics.tickets_refunded.labels(event.event_id).inc(len(record.ticket_ids))
    return json_response(record)


async def get_order(request: Request) -> Response:
    require_staff(request)
    runtime = shop_runtime(request)
    order = await load_order(runtime.store, request.path_params["order_id"], None)
    return json_response(public_order(order, runtime.codes, runtime.links))


async def put_event(request: Request) -> Response:
    require_staff(request)
    runtime = shop_runtime(request)
    event_id = request.path_params["event_id"]
    definition = event_definition(await request.body() or b"{}")
    event = parse_event(event_id, definition)
    answer = await define_event(runtime.store, event, to_builtins(definition))
    if answer[0] != "ok":
        raise InvalidInput(
            f"tier {answer[1]} cannot shrink below the tickets already held or sold",
            field="capacity",
        )
    runtime.forget_event(event_id)
    runtime.reporter.changed(event)
    return json_response(staff_event_view(event, await runtime.store.stock(event_id)), 200)


async def get_event(request: Request) -> Response:
    require_staff(request)
    runtime = shop_runtime(request)
    event = await runtime.event(request.path_params["event_id"], any_queue=True)
    return json_response(staff_event_view(event, await runtime.store.stock(event.event_id)))
