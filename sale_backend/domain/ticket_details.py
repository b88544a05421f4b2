"""What a door scanner shows about a ticket: its short code, tier, seat, how many it admits and
the holder's name; written once per ticket (``ticket_details``) when the order is made."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from sale_backend.domain.catalog import Event
from sale_backend.domain.documents import Order, OrderTicket, ScannedTicket, SeatView
from sale_backend.domain.short_codes import format_short_code


@dataclass(frozen=True, slots=True)
class TicketDetails:
    ticket_id: str
    order_id: str
    short_code: str
    tier_id: str
    tier_name: str
    admits: int
    seat_id: str
    holder: str

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "order_id": self.order_id,
                "short_code": self.short_code,
                "tier_id": self.tier_id,
                "tier_name": self.tier_name,
                "admits": self.admits,
                "seat_id": self.seat_id,
                "holder": self.holder,
            }
        )

    @classmethod
    def from_json(cls, ticket_id: str, raw: str | bytes | None) -> TicketDetails | None:
        if not raw:
            return None
        data = orjson.loads(raw)
        return cls(
            ticket_id=ticket_id,
            order_id=str(data.get("order_id", "")),
            short_code=str(data.get("short_code", "")),
            tier_id=str(data.get("tier_id", "")),
            tier_name=str(data.get("tier_name", "")),
            admits=int(data.get("admits", 1)),
            seat_id=str(data.get("seat_id", "")),
            holder=str(data.get("holder", "")),
        )

    @property
    def printed_short_code(self) -> str:
        """The short code as printed under the QR code (``K7M4-PX2Q-9C``); empty for tickets
        sold before short codes existed."""
        return format_short_code(self.short_code) if self.short_code else ""

    def seat_label(self, event: Event) -> str:
        """The seat in words (``Stalls, row C, seat 12``); the seat id when the event no longer
        knows it; empty without a seat."""
        place = event.seat_place(self.seat_id) if self.seat_id else None
        return place.label if place else self.seat_id

    def view(self, event: Event) -> ScannedTicket:
        """The ticket for scanners: the short code printed as on the ticket and the seat in
        words."""
        place = event.seat_place(self.seat_id) if self.seat_id else None
        return ScannedTicket(
            ticket_id=self.ticket_id,
            order_id=self.order_id,
            short_code=self.printed_short_code,
            tier_id=self.tier_id,
            tier_name=self.tier_name,
            admits=self.admits,
            seat_id=self.seat_id,
            seat=None if place is None else SeatView(place.section, place.row, place.number),
            seat_label=self.seat_label(event),
            holder=self.holder,
        )


def order_ticket_details(order: Order, ticket: OrderTicket) -> TicketDetails:
    """The details of one ticket of an order (:func:`sale_backend.domain.orders.build_order`)."""
    return TicketDetails(
        ticket_id=ticket.ticket_id,
        order_id=order.order_id,
        short_code=ticket.short_code,
        tier_id=ticket.tier_id,
        tier_name=ticket.tier_name or ticket.tier_id,
        admits=ticket.admits,
        seat_id=ticket.seat_id,
        holder=order.name,
    )
