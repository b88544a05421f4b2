"""The buyer's order page (reached by its order link) and its refunds: a confirmation page, then
one button that refunds (no script needed).

The pages read typed views (:class:`OrderPage`, :class:`TicketPage`): the order as the buyer sees
it, each ticket with its place in the order, seat in words and the accessible name of its QR
code, in the buyer's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from msgspec import UNSET
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sale_backend.domain.catalog import Event
from sale_backend.domain.documents import OrderView, TicketView
from sale_backend.domain.order_links import ACCESS_PARAMETER
from sale_backend.domain.orders import load_order, public_order
from sale_backend.domain.tickets import qr_svg
from sale_backend.errors import TicketNotRefundable
from sale_backend.storage.keys import event_of
from sale_backend.web.error_text import PageError
from sale_backend.web.forms import RefundForm, RefundQuery
from sale_backend.web.language import ShopLanguage, shop_language
from sale_backend.web.pages import base_path, protected_form, render
from sale_backend.web.runtime import shop_runtime
from service_kit.errors import InvalidInput
from service_kit.form_fields import decode_form
from service_kit.request_body import first_value


@dataclass(frozen=True, slots=True)
class TicketPage:
    """A ticket as the order page shows it."""

    ticket_id: str
    number: int
    """Its place in the order, from 1."""
    state: str
    admits: int
    price_minor: int
    code: str
    short_code: str
    tier_name: str
    seat_label: str
    title: str
    """``Ticket 2 of 3, Standard, Front, row 2, seat 1``."""
    qr_label: str
    """The QR code's accessible name: the title and the short code."""
    qr_svg: str = ""
    """The QR code (tickets that still admit only)."""


@dataclass(frozen=True, slots=True)
class OrderPage:
    """An order as its buyer's page shows it."""

    order_id: str
    event_name: str
    status: str
    amount_minor: int
    currency: str
    name: str
    email: str
    access_key: str
    tickets: list[TicketPage]


def _ticket_page(
    ticket: TicketView,
    number: int,
    count: int,
    event: Event,
    language: ShopLanguage,
    with_qr_code: bool,
) -> TicketPage:
    _ = language.translate
    tier = event.tier(ticket.tier_id) if ticket.tier_id else None
    tier_name = tier.name.text(language.code) if tier is not None else ticket.tier_name
    place = event.seat_place(ticket.seat_id) if ticket.seat_id else None
    seat_label = place.words(language.code, _) if place else ticket.seat_id
    title = ", ".join(
        part
        for part in (
            _("Ticket %(number)s of %(count)s", number=number, count=count),
            tier_name,
            seat_label,
        )
        if part
    )
    state = "" if ticket.state is UNSET else str(ticket.state)
    return TicketPage(
        ticket_id=ticket.ticket_id,
        number=number,
        state=state,
        admits=ticket.admits,
        price_minor=ticket.price_minor,
        code=ticket.code,
        short_code=ticket.short_code,
        tier_name=tier_name,
        seat_label=seat_label,
        title=title,
        qr_label=title
        + (_(", code %(code)s", code=ticket.short_code) if ticket.short_code else ""),
        qr_svg=qr_svg(ticket.code) if with_qr_code and state != "refunded" else "",
    )


async def order_view(
    request: Request, access_key: str | None, with_qr_codes: bool = False
) -> OrderPage:
    """The buyer's order (reached by its order link: the access key) in the buyer's language;
    ``with_qr_codes``: with the QR code of each ticket that still admits."""
    runtime = shop_runtime(request)
    order = await load_order(runtime.store, request.path_params["order_id"], None)
    runtime.links.check(order, access_key)
    event = await runtime.event(order.event_id, any_queue=True)
    language = shop_language(request)
    public: OrderView = public_order(order, runtime.codes, runtime.links)
    count = len(public.tickets)
    return OrderPage(
        order_id=public.order_id,
        event_name=event.name.text(language.code),
        status="" if public.status is UNSET else str(public.status),
        amount_minor=public.amount_minor,
        currency=public.currency,
        name=public.name,
        email=public.email,
        access_key=public.access_key,
        tickets=[
            _ticket_page(ticket, number, count, event, language, with_qr_codes)
            for number, ticket in enumerate(public.tickets, start=1)
        ],
    )


async def _order_page(
    request: Request, access_key: str | None, error: PageError | None = None
) -> Response:
    view = await order_view(request, access_key, with_qr_codes=True)
    return render(request, "order.html", error.status if error else 200, order=view, error=error)


async def order_page(request: Request) -> Response:
    return await _order_page(request, request.query_params.get(ACCESS_PARAMETER))


def refund_choice(view: OrderPage, ticket_ids: list[str]) -> list[TicketPage]:
    """The valid tickets a refund would take (all valid ones when none is named)."""
    for ticket_id in ticket_ids:
        event_of(ticket_id, "ticket")
    chosen = [
        ticket
        for ticket in view.tickets
        if ticket.state == "valid" and (not ticket_ids or ticket.ticket_id in ticket_ids)
    ]
    if not chosen or (ticket_ids and len(chosen) != len(set(ticket_ids))):
        raise TicketNotRefundable("no ticket of this order can be refunded any more")
    return chosen


async def refund_confirmation(request: Request) -> Response:
    """``GET /orders/{id}/refund?access=...[&ticket_id=...]``: the second step of a refund;
    a ticket id that is none is the order page again with the buyer's words for it."""
    items = request.query_params.multi_items()
    try:
        query = decode_form(items, RefundQuery)
    except InvalidInput as error:
        return await _order_page(
            request, first_value(items, ACCESS_PARAMETER), PageError.of_form(error)
        )
    return await _refund_confirmation(request, query.access, query.ticket_id)


async def _refund_confirmation(
    request: Request, access_key: str | None, ticket_ids: list[str]
) -> Response:
    """What would be refunded, for how much, and one button that does it (no script needed)."""
    view = await order_view(request, access_key)
    chosen = refund_choice(view, ticket_ids)
    return render(
        request,
        "refund_confirm.html",
        order=view,
        chosen=chosen,
        whole_order=not ticket_ids,
        amount_minor=sum(ticket.price_minor for ticket in chosen),
    )


async def refund_form(request: Request) -> Response:
    """Refunds only with ``confirm=yes`` (sent by the confirmation page); without it, the
    confirmation page. The order link's access key comes with the form; a form the model
    refuses is the order page again with the buyer's words for what is wrong."""
    items = await protected_form(request)
    runtime = shop_runtime(request)
    order_id = request.path_params["order_id"]
    event = await runtime.event(event_of(order_id, "order"))
    order = await load_order(runtime.store, order_id, None)
    try:
        form = decode_form(items, RefundForm)
        for ticket_id in form.ticket_id:
            event_of(ticket_id, "ticket")
    except InvalidInput as error:
        return await _order_page(
            request, first_value(items, ACCESS_PARAMETER), PageError.of_form(error)
        )
    runtime.links.check(order, form.access)
    if form.confirm != "yes":
        return await _refund_confirmation(request, form.access, form.ticket_id)
    record = await runtime.refunds.refund(event, order_id, form.ticket_id, order.buyer)
    runtime.metrics.tickets_refunded.labels(event.event_id).inc(len(record.ticket_ids))
    location = f"{base_path(request)}/orders/{order_id}?{ACCESS_PARAMETER}={form.access}"
    return RedirectResponse(location, status_code=303)
