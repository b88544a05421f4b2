"""Orders: the document written by the confirm script, and its public views."""

from __future__ import annotations

import time
from typing import Any, cast

import msgspec

from sale_backend.domain.catalog import Event
from sale_backend.domain.documents import (
    Order,
    OrderTicket,
    OrderView,
    TicketState,
    TicketView,
)
from sale_backend.domain.holds import Hold
from sale_backend.domain.order_links import OrderLinks
from sale_backend.domain.records import stored_order
from sale_backend.domain.short_codes import format_short_code, new_short_code
from sale_backend.domain.ticket_details import TicketDetails, order_ticket_details
from sale_backend.domain.tickets import TicketCodes
from sale_backend.errors import OrderNotFound
from sale_backend.storage.keys import derived_id, event_of
from sale_backend.storage.store import SaleStore


def order_id_for_payment(event_id: str, payment_id: str) -> str:
    """The order of a payment has a derived id: confirming twice can never make two orders."""
    return derived_id(event_id, "o", payment_id)


def build_order(
    event: Event, hold: Hold, payment_id: str, name: str, email: str, language: str
) -> Order:
    """The order of a paid hold; ``language``: the buyer's at checkout (its e-mail's)."""
    order_id = order_id_for_payment(event.event_id, payment_id)
    tickets = []
    for index, line in enumerate(hold.data.lines):
        tier = event.tier(line.tier_id)
        tickets.append(
            OrderTicket(
                ticket_id=derived_id(event.event_id, "t", f"{order_id}#{index}"),
                tier_id=line.tier_id,
                tier_name=str(tier.name) if tier else line.tier_id,
                admits=tier.admits if tier else 1,
                seat_id=line.seat_id,
                price_minor=line.price_minor,
                short_code=new_short_code(),
            )
        )
    return Order(
        order_id=order_id,
        event_id=event.event_id,
        event_name=str(event.name),
        buyer=hold.buyer,
        payment_id=payment_id,
        hold_id=hold.hold_id,
        name=name,
        email=email,
        amount_minor=hold.data.amount_minor,
        currency=hold.data.currency,
        created_at=int(time.time()),
        tickets=tickets,
        language=language,
    )


def confirm_args(order: Order) -> list[str | bytes]:
    """Per ticket: id, seat (or ''), short code and the details scanners show."""
    args: list[str | bytes] = []
    for ticket in order.tickets:
        details = order_ticket_details(order, ticket).to_json()
        args += [ticket.ticket_id, ticket.seat_id, ticket.short_code, details]
    return args


def with_new_short_codes(order: Order) -> Order:
    """The same order with freshly drawn short codes (one was taken: a rare collision)."""
    tickets = [msgspec.structs.replace(t, short_code=new_short_code()) for t in order.tickets]
    return msgspec.structs.replace(order, tickets=tickets)


def as_paid(order: Order) -> Order:
    """A new order as its buyer first sees it: paid, every ticket valid."""
    tickets = [msgspec.structs.replace(ticket, state="valid") for ticket in order.tickets]
    return msgspec.structs.replace(order, status="paid", tickets=tickets)


async def load_order(store: SaleStore, order_id: Any, buyer: str | None) -> Order:
    """The order with live ticket states; ``buyer=None`` for staff (any order)."""
    event_id = event_of(order_id, "order")
    order = await stored_order(store, event_id, order_id)
    if order is None or (buyer is not None and order.buyer != buyer):
        raise OrderNotFound("no such order", order_id=order_id)
    states = await store.ticket_states(event_id, [t.ticket_id for t in order.tickets])
    for ticket, state in zip(order.tickets, states, strict=True):
        ticket.state = cast(TicketState, (state or "missing").partition(":")[0])
    await _short_codes_of_older_tickets(store, event_id, order)
    live = [t for t in order.tickets if t.state != "refunded"]
    order.status = "refunded" if not live else "paid"
    if live and len(live) < len(order.tickets):
        order.status = "partially_refunded"
    return order


def public_order(order: Order, codes: TicketCodes, links: OrderLinks) -> OrderView:
    """The order as the buyer sees it: ticket codes and the order link's ``access_key``
    included, internal ids left out."""
    return OrderView(
        order_id=order.order_id,
        event_id=order.event_id,
        event_name=order.event_name,
        payment_id=order.payment_id,
        name=order.name,
        email=order.email,
        amount_minor=order.amount_minor,
        currency=order.currency,
        created_at=order.created_at,
        tickets=[
            TicketView(
                ticket_id=ticket.ticket_id,
                tier_id=ticket.tier_id,
                tier_name=ticket.tier_name,
                admits=ticket.admits,
                seat_id=ticket.seat_id,
                price_minor=ticket.price_minor,
                code=codes.code(ticket.ticket_id),
                short_code=format_short_code(ticket.short_code),
                state=ticket.state,
            )
            for ticket in order.tickets
        ],
        access_key=links.key(order.order_id, order.buyer),
        status=order.status,
    )


async def _short_codes_of_older_tickets(store: SaleStore, event_id: str, order: Order) -> None:
    """Tickets sold before short codes existed got theirs later (``register_tickets``)."""
    older = [ticket for ticket in order.tickets if not ticket.short_code]
    if not older:
        return
    found = await store.ticket_details(event_id, [ticket.ticket_id for ticket in older])
    for ticket, raw in zip(older, found, strict=True):
        details = TicketDetails.from_json(ticket.ticket_id, raw)
        ticket.short_code = details.short_code if details else ""
