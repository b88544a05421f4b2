"""Tickets by e-mail: after a purchase the buyer gets the order's tickets as QR code images
(PNG, segno; inline in the HTML part and listed as attachments), each with its printed short
code, and the order link.

The order is queued in the event's outbox (``sale:{e:<event_id>}:mail_outbox``,
:mod:`service_kit.mail_outbox`) when the checkout (or the reconciler) wrote it, and the mail
is composed from the stored order when it is sent: the message carries the tickets' state at
sending time, and any number of shop processes send each order's e-mail once.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from email.message import EmailMessage
from html import escape
from typing import Any

import segno

from sale_backend.domain.documents import Order
from sale_backend.domain.order_links import ACCESS_PARAMETER, OrderLinks
from sale_backend.domain.orders import public_order
from sale_backend.domain.tickets import TicketCodes
from sale_backend.storage.keys import EventKeys, event_of
from sale_backend.storage.store import SaleStore
from service_kit.errors import InvalidInput
from service_kit.mail import Attachment, MailSender, MailSettings, build_message, new_content_id
from service_kit.mail_outbox import MailOutbox, OutboxKeys

QR_SCALE = 8
QR_BORDER = 4


def event_outbox(event_id: str) -> OutboxKeys:
    return OutboxKeys(EventKeys(event_id).prefix)


def qr_png(code: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(code, error="m").save(buffer, kind="png", scale=QR_SCALE, border=QR_BORDER)
    return buffer.getvalue()


def format_price(amount_minor: int, currency: str) -> str:
    return f"{amount_minor / 100:.2f} {currency}"


@dataclass
class TicketMail:
    store: SaleStore
    outbox: MailOutbox
    codes: TicketCodes
    links: OrderLinks
    settings: MailSettings
    shop_url: str
    """The shop's public address (``WAITROOM_SHOP_PUBLIC_URL``): order links are absolute."""

    async def order_confirmed(self, order: Order) -> None:
        """Queues the order's e-mail (once per order: the message id is the order id)."""
        if not order.email:
            return
        payload = {"kind": "tickets", "order_id": order.order_id}
        await self.outbox.enqueue(
            event_outbox(order.event_id), f"tickets:{order.order_id}", payload
        )

    def order_link(self, order: Order) -> str:
        key = self.links.key(order.order_id, order.buyer)
        return f"{self.shop_url}/orders/{order.order_id}?{ACCESS_PARAMETER}={key}"

    async def compose(self, payload: dict[str, Any]) -> EmailMessage | None:
        order_id = payload.get("order_id")
        if payload.get("kind") != "tickets" or not isinstance(order_id, str):
            return None
        try:
            event_id = event_of(order_id, "order")
        except InvalidInput:
            return None
        order = await self.store.order(event_id, order_id)
        if order is None or not order.email:
            return None
        return self.message(order)

    def message(self, order: Order) -> EmailMessage:
        view = public_order(order, self.codes, self.links)
        link = self.order_link(order)
        event_name = order.event_name or order.event_id
        lines = [
            f"Thank you for your order, {order.name}.",
            f"Your tickets for {event_name} (order {order.order_id}, "
            f"{format_price(order.amount_minor, order.currency)}):",
            "",
        ]
        cards: list[str] = []
        attachments: list[Attachment] = []
        for index, ticket in enumerate(view.tickets, start=1):
            seat = f", seat {ticket.seat_id}" if ticket.seat_id else ""
            lines.append(f"{index}. {ticket.tier_name}{seat}: code {ticket.short_code}")
            content_id = new_content_id("tickets")
            attachments.append(
                Attachment(
                    f"ticket-{index}-{ticket.short_code.replace('-', '')}.png",
                    "image/png",
                    qr_png(ticket.code),
                    inline=True,
                    content_id=content_id,
                )
            )
            cards.append(
                f"<li><p><strong>{escape(ticket.tier_name)}</strong>{escape(seat)}</p>"
                f'<p><img src="cid:{escape(content_id)}" width="240" height="240" '
                f'alt="QR code of ticket {index}"></p>'
                f"<p>Code: <strong>{escape(ticket.short_code)}</strong></p></li>"
            )
        lines += [
            "",
            "Show the QR code (or tell the short code) at the entrance.",
            f"Your order, its tickets and refunds: {link}",
        ]
        html = (
            '<!doctype html><html lang="en"><body>'
            f"<p>Thank you for your order, {escape(order.name)}.</p>"
            f"<p>Your tickets for {escape(event_name)}:</p><ol>{''.join(cards)}</ol>"
            "<p>Show the QR code (or tell the short code) at the entrance.</p>"
            f'<p><a href="{escape(link)}">Your order, its tickets and refunds</a></p>'
            "</body></html>"
        )
        return build_message(
            self.settings,
            order.email,
            f"Your tickets: {event_name}",
            "\n".join(lines) + "\n",
            html,
            tuple(attachments),
        )

    async def deliver(self, sender: MailSender) -> int:
        """Sends the due ticket e-mails of every event; returns how many were accepted."""
        sent = 0
        for event_id in await self.store.event_ids():
            keys = event_outbox(event_id)
            if await self.outbox.pending(keys):
                sent += await self.outbox.deliver(keys, self.compose, sender.send)
        return sent
