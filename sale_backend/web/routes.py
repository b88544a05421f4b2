"""The shop's routes with what each takes and answers: the buyer's pages and JSON API (behind
the gate), the staff API and the door scanner pages (outside it), operations. The OpenAPI
document (:mod:`sale_backend.web.openapi`) is generated from these."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import BaseRoute, Mount, request_response
from starlette.staticfiles import StaticFiles

from sale_backend.domain import documents as docs
from sale_backend.domain import requests as bodies
from sale_backend.web import (
    buyer_api,
    forms,
    openapi,
    operations,
    order_pages,
    pages,
    staff_api,
    staff_pages,
)
from sale_backend.web.metrics import metrics_endpoint
from service_kit.form_fields import FormModel, form_body
from service_kit.openapi import (
    HEALTHZ,
    METRICS,
    OPENAPI,
    Answer,
    ApiRoute,
    Body,
    Operation,
    Security,
    header,
    json,
    page,
    page_or_problem,
    problem,
    query,
    readiness,
    redirect,
    text,
)

STATIC_DIR = Path(__file__).parent / "static"
API = "/api/v1"
STAFF_API = "/api/v1/staff"
PASS: Security = ({"pass": (), "visitor": ()},)
"""The waiting room's pass (bearer, or the site session cookie ``wr_site_<queue>`` its
handoff set) and the visitor cookie."""
STAFF: Security = ({"staff": ()},)
STAFF_OR_SESSION: Security = ({"staff": ()}, {"staff_session": ()})
STAFF_SESSION: Security = ({"staff_session": ()},)
GATE_ERRORS = {
    401: problem("No valid pass (join the waiting room)"),
    403: problem(
        "Pass of another visitor, or in use in another session; or (no bearer) a request "
        "that the browser marks as sent from another site or origin"
    ),
    503: problem("The sale store or the pass check is unavailable"),
}
BUYER_ERRORS = {
    400: problem("Malformed input"),
    404: problem("No such event (of this shop's queue), hold or order"),
    **GATE_ERRORS,
}
PAGE_ERRORS = {
    303: redirect("No valid pass: to the waiting room (or on after a form)"),
    401: problem("A bearer pass that is not valid (a browser without one goes to the queue)"),
    403: page_or_problem(
        "Pass of another visitor, or in use in another session; or a request the browser "
        "marks as sent from another site or origin"
    ),
    400: page("Bad input (friendly page)"),
    404: page("Not found (friendly page)"),
    409: page("Conflict: sold out, seat taken, limit reached, ... (friendly page)"),
    503: page("Unavailable (friendly page)"),
}
FORM_REFUSED = page_or_problem(
    "CSRF token (csrf_token) missing or not this browser's, or a form sent from another site "
    "or origin: nothing changed (friendly page; problem JSON for JSON clients)"
)
STAFF_ERRORS = {
    400: problem("Malformed input"),
    401: problem("Staff bearer token required"),
    404: problem("No such event or order"),
    503: problem("The sale store is unavailable"),
}
NO_STAFF_CSRF = problem("Staff session without its X-CSRF-Token header")
SCANNER_FORM_ERRORS = {
    400: page("The form could not be read, or no usable code (friendly page)"),
    403: page(
        "Form expired or forged: the shop's CSRF token missing or not this browser's, or sent "
        "from another site or origin (friendly page)"
    ),
    503: page("The sale store is unavailable (friendly page)"),
}
ACCESS = query("access", "the order link's access key")


def _buyer(
    summary: str,
    answers: Mapping[int, Answer],
    body: Body | None = None,
    parameters: tuple[Any, ...] = (),
) -> Operation:
    return Operation(
        summary, {**BUYER_ERRORS, **answers}, body=body, parameters=parameters, security=PASS
    )


def _page(summary: str, body: Body | None = None, parameters: tuple[Any, ...] = ()) -> Operation:
    answers: dict[int, Answer] = {**PAGE_ERRORS}
    if body is None:
        answers[200] = page(summary)
    else:
        answers[403] = FORM_REFUSED
    return Operation(summary, answers, body=body, parameters=parameters, security=PASS)


def _staff(
    summary: str,
    answers: Mapping[int, Answer],
    body: Body | None = None,
    security: Security = STAFF,
    query_model: Any = None,
) -> Operation:
    return Operation(
        summary, {**STAFF_ERRORS, **answers}, body=body, query=query_model, security=security
    )


def _form(model: type[FormModel], required: bool = True) -> Body:
    return Body(form=form_body(model), required=required)
REFUND = json(docs.Refund, "Refund")


def page_routes() -> list[BaseRoute]:
    """Every form carries ``csrf_token``, the page's token of the ``shop_csrf`` cookie."""
    return [
        ApiRoute("/", pages.index, {"get": _page("Events on sale")}),
        ApiRoute("/events/{event_id}", pages.event_page, {"get": _page("Tiers and seat map")}),
        ApiRoute(
            "/events/{event_id}/hold",
            pages.hold_form,
            {"post": _page("Hold tickets (fields qty_<tier_id>, seat)", _form(forms.HoldForm))},
        ),
        ApiRoute(
            "/holds/{hold_id}", pages.hold_page, {"get": _page("Cart with timer and checkout form")}
        ),
        ApiRoute(
            "/holds/{hold_id}/cancel", pages.cancel_form,
            {"post": _page("Cancel the hold", _form(forms.ShopForm))},
        ),
        ApiRoute(
            "/holds/{hold_id}/checkout",
            pages.checkout_form,
            {
                "post": _page(
                    "Pay (card_number, name, email, idempotency_key)", _form(forms.CheckoutForm)
                )
            },
        ),
        ApiRoute(
            "/orders/{order_id}",
            order_pages.order_page,
            {"get": _page("E-tickets with QR codes", parameters=(ACCESS,))},
        ),
        ApiRoute(
            "/orders/{order_id}/refund",
            order_pages.refund_confirmation,
            {
                "get": _page(
                    "Refund confirmation: what ?ticket_id= (none: the whole order) would refund",
                    parameters=(
                        ACCESS,
                        query(
                            "ticket_id",
                            "a ticket of the order (repeatable)",
                            bodies.RefundTicketIds,
                        ),
                    ),
                )
            },
        ),
        ApiRoute(
            "/orders/{order_id}/refund",
            order_pages.refund_form,
            {
                "post": _page(
                    "Refund tickets (fields ticket_id, confirm=yes; without confirm: the "
                    "confirmation page)",
                    _form(forms.RefundForm, required=False),
                )
            },
        ),
    ]


def buyer_routes() -> list[BaseRoute]:
    event = f"{API}/events/{{event_id}}"
    hold = f"{API}/holds/{{hold_id}}"
    order = f"{API}/orders/{{order_id}}"
    return [
        ApiRoute(
            f"{API}/events",
            buyer_api.list_events,
            {"get": _buyer("Events of this shop's queue", {200: json(docs.Events, "Events")})},
        ),
        ApiRoute(
            event,
            buyer_api.get_event,
            {"get": _buyer("An event with live stock", {200: json(docs.EventView, "Event")})},
        ),
        ApiRoute(
            f"{event}/seats",
            buyer_api.get_seats,
            {"get": _buyer("Seat states", {200: json(docs.Seats, "Seats")})},
        ),
        ApiRoute(
            f"{event}/profile",
            buyer_api.get_profile,
            {
                "get": _buyer(
                    "The buyer's pre-checkout profile from the waiting room",
                    {200: json(docs.BuyerProfile, "Profile (empty when none)")},
                )
            },
        ),
        ApiRoute(
            f"{API}/holds",
            buyer_api.post_hold,
            {
                "post": _buyer(
                    "Hold tickets or seats (the cart timer starts)",
                    {
                        201: json(docs.HoldView, "Hold"),
                        409: problem("Sold out, seat taken, buyer limit, or sale not open"),
                    },
                    Body(json=bodies.HoldBody),
                )
            },
        ),
        ApiRoute(
            hold,
            buyer_api.get_hold,
            {"get": _buyer("A hold of this buyer", {200: json(docs.HoldView, "Hold")})},
        ),
        ApiRoute(
            hold,
            buyer_api.delete_hold,
            {
                "delete": _buyer(
                    "Cancel a hold (tickets back to stock)",
                    {
                        204: Answer("Cancelled"),
                        409: problem("The hold is being paid"),
                    },
                )
            },
        ),
        ApiRoute(
            f"{API}/checkout",
            buyer_api.post_checkout,
            {
                "post": _buyer(
                    "Pay a hold (or express: a selection) into an order",
                    {
                        201: json(
                            docs.OrderView, "Order (replays send Idempotent-Replayed: true)"
                        ),
                        402: problem("Payment declined"),
                        409: problem("Sold out, seat taken, limit, hold expired, key busy, ..."),
                        422: problem("Idempotency-Key reused with another body"),
                        428: problem("Idempotency-Key missing"),
                        503: problem(
                            "Payment status unknown (settled later), store or pass check "
                            "unavailable"
                        ),
                        504: problem("Payment provider timed out (nothing charged)"),
                    },
                    Body(json=bodies.CheckoutBody),
                    (
                        header(
                            "Idempotency-Key",
                            "1-255 visible ASCII characters, unique per attempt",
                            required=True,
                        ),
                        header(
                            "Accept-Language",
                            "the language of the order's tickets e-mail: the first supported "
                            "one (en, et, ru, zh-Hans), else English",
                        ),
                    ),
                )
            },
        ),
        ApiRoute(
            order,
            buyer_api.get_order,
            {
                "get": _buyer(
                    "An order by its order link, live ticket states",
                    {200: json(docs.OrderView, "Order")},
                    parameters=(ACCESS,),
                )
            },
        ),
        ApiRoute(
            f"{order}/refund",
            buyer_api.post_refund,
            {
                "post": _buyer(
                    "Refund tickets (none listed: every valid ticket)",
                    {200: REFUND, 409: problem("Ticket cannot be refunded")},
                    Body(json=bodies.RefundBody, required=False),
                    (ACCESS,),
                )
            },
        ),
    ]


def staff_routes() -> list[BaseRoute]:
    event = f"{STAFF_API}/events/{{event_id}}"
    order = f"{STAFF_API}/orders/{{order_id}}"
    return [
        ApiRoute(
            f"{STAFF_API}/scan",
            staff_api.post_scan,
            {
                "post": _staff(
                    "Entry scan: accept a genuine ticket once",
                    {
                        200: json(docs.ScanAccepted, "Accepted"),
                        403: NO_STAFF_CSRF,
                        409: problem(
                            "Rejected: reason forged, already_scanned, refunded, unknown, "
                            "wrong_event (with ticket, first_scan, scanned_at_ms)"
                        ),
                        422: problem("A short code with a mistyped character (reason mistyped)"),
                    },
                    Body(json=bodies.ScanBody),
                    STAFF_OR_SESSION,
                )
            },
        ),
        ApiRoute(
            f"{event}/tickets",
            GZipMiddleware(request_response(staff_api.get_tickets), minimum_size=1024),
            {
                "get": _staff(
                    "Door scanners' ticket list: tickets changed after a version (hashed codes)",
                    {200: json(docs.TicketListPage, "A page of the list"), 403: NO_STAFF_CSRF},
                    security=STAFF_OR_SESSION,
                    query_model=bodies.TicketListQuery,
                )
            },
        ),
        ApiRoute(
            f"{event}/scans",
            staff_api.post_scans,
            {
                "post": _staff(
                    "A scanner's scans (online, and the ones made offline), each once by scan_id",
                    {200: json(docs.ScanResults, "One answer per scan"), 403: NO_STAFF_CSRF},
                    Body(json=bodies.ScanBatchBody),
                    STAFF_OR_SESSION,
                )
            },
        ),
        ApiRoute(
            event,
            staff_api.put_event,
            {
                "put": _staff(
                    "Create or update an event",
                    {200: json(docs.EventView, "Event")},
                    Body(json=bodies.EventDefinition),
                )
            },
        ),
        ApiRoute(
            event,
            staff_api.get_event,
            {"get": _staff("Any event with live stock", {200: json(docs.EventView, "Event")})},
        ),
        ApiRoute(
            order,
            staff_api.get_order,
            {"get": _staff("Any order", {200: json(docs.OrderView, "Order")})},
        ),
        ApiRoute(
            f"{order}/refund",
            staff_api.post_refund,
            {
                "post": _staff(
                    "Refund tickets of any order",
                    {200: REFUND, 409: problem("Ticket cannot be refunded")},
                    Body(json=bodies.RefundBody, required=False),
                )
            },
        ),
    ]


def staff_page_routes() -> list[BaseRoute]:
    return [
        ApiRoute(
            "/staff/scan",
            staff_pages.scan_page,
            {
                "get": Operation(
                    "Door scanner of ?event= (no staff session: the login form)",
                    {
                        200: page("Scanner, the list of events to choose from, or the login form"),
                        404: page("No such event: the list of events"),
                    },
                    parameters=(
                        query("event", "the door's event (none: the only one, or a choice)"),
                    ),
                    security=STAFF_SESSION,
                )
            },
        ),
        ApiRoute(
            "/staff/scan",
            staff_pages.scan_form,
            {
                "post": Operation(
                    "Scan one ticket code and show ADMIT or REJECTED",
                    {
                        200: page("ADMIT"),
                        401: page("No staff session: the login form"),
                        409: page("REJECTED: used before, refunded or not a ticket of this event"),
                        422: page("REJECTED: a short code with a mistyped character"),
                        **SCANNER_FORM_ERRORS,
                    },
                    body=_form(forms.ScanForm),
                    security=STAFF_SESSION,
                )
            },
        ),
        ApiRoute(
            "/staff/login",
            staff_pages.login,
            {
                "get": Operation(
                    "Login form (with a session: on to the scanner)",
                    {200: page("Form"), 303: redirect("To /staff/scan")},
                ),
                "post": Operation(
                    "Log in with the staff token (the shop's CSRF token)",
                    {
                        303: redirect("Logged in: to /staff/scan"),
                        400: page("The form could not be read"),
                        401: page("Token not accepted"),
                        403: page("Form expired or forged"),
                        429: page("Too many failed logins"),
                    },
                    body=_form(forms.LoginForm),
                ),
            },
        ),
        ApiRoute(
            "/staff/logout",
            staff_pages.logout,
            {
                "post": Operation(
                    "Log out (CSRF-checked)",
                    {303: redirect("To /staff/scan"), **SCANNER_FORM_ERRORS},
                    body=_form(forms.LogoutForm),
                    security=STAFF_SESSION,
                )
            },
        ),
        ApiRoute(
            "/staff/scanner-sw.js",
            staff_pages.service_worker,
            {
                "get": Operation(
                    "The scanner page's service worker (the page loads offline)",
                    {200: text("JavaScript", "text/javascript")},
                )
            },
        ),
    ]


def shop_routes() -> list[BaseRoute]:
    """Every route with what it takes and answers (the OpenAPI document is made from these)."""
    return [
        *page_routes(),
        *staff_page_routes(),
        *buyer_routes(),
        *staff_routes(),
        ApiRoute("/healthz", operations.healthz, {"get": HEALTHZ}),
        ApiRoute("/readyz", operations.readyz, {"get": readiness("Sale Redis")}),
        ApiRoute("/metrics", metrics_endpoint, {"get": METRICS}),
        ApiRoute("/openapi.json", openapi.openapi_endpoint, {"get": OPENAPI}),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
