"""Tickets by e-mail: after a purchase the buyer gets the order's tickets as QR code images
(PNG, segno; inline in the HTML part and listed as attachments), each with its printed short
code, and the order link, in the language the buyer checked out in
(:mod:`sale_backend.domain.ticket_mail_text`).

The order is queued in the event's outbox (``sale:{e:<event_id>}:mail_outbox``,
:mod:`service_kit.mail_outbox`) when the checkout (or the reconciler) wrote it, and the mail
is composed from the stored order when it is sent: the message carries the tickets' state at
sending time, and any number of shop processes send each order's e-mail once.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from sale_backend.domain.catalog import Event
from sale_backend.domain.documents import Order
from sale_backend.domain.order_links import ACCESS_PARAMETER, OrderLinks
from sale_backend.domain.orders import public_order
from sale_backend.domain.records import stored_event, stored_order
from sale_backend.domain.ticket_mail_text import TicketsMail
from sale_backend.domain.tickets import TicketCodes
from sale_backend.errors import EventNotFound
from sale_backend.storage.keys import EventKeys, event_of
from sale_backend.storage.store import SaleStore
from service_kit.errors import InvalidInput
from service_kit.languages import DEFAULT_LANGUAGE, LANGUAGE_NAMES, Catalogs, with_language
from service_kit.mail import MailSender, MailSettings
from service_kit.mail_outbox import MailOutbox, OutboxKeys


def event_outbox(event_id: str) -> OutboxKeys:
    return OutboxKeys(EventKeys(event_id).prefix)


@dataclass
class TicketMail:
    store: SaleStore
    outbox: MailOutbox
    codes: TicketCodes
    links: OrderLinks
    settings: MailSettings
    shop_url: str
    """The shop's public address (``WAITROOM_SHOP_PUBLIC_URL``): order links are absolute."""
    catalogs: Catalogs
    """The shop's translations (the pages' own): the e-mail is in the order's language."""

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
        order = await stored_order(self.store, event_id, order_id)
        if order is None or not order.email:
            return None
        try:
            event: Event | None = await stored_event(self.store, event_id)
        except EventNotFound:
            event = None  # deleted since: the names the order was written with
        return self.message(order, event)

    def message(self, order: Order, event: Event | None) -> EmailMessage:
        """The order's e-mail in the buyer's language (``event``: its catalog, for the names);
        its order link opens the order page in that language too, on any device."""
        view = public_order(order, self.codes, self.links)
        language = order.language if order.language in LANGUAGE_NAMES else DEFAULT_LANGUAGE
        link = with_language(self.order_link(order), language)
        mail = TicketsMail(view, language, event, link, self.catalogs)
        return mail.message(self.settings)

    async def deliver(self, sender: MailSender) -> int:
        """Sends the due ticket e-mails of every event; returns how many were accepted."""
        sent = 0
        for event_id in await self.store.event_ids():
            keys = event_outbox(event_id)
            if await self.outbox.pending(keys):
                sent += await self.outbox.deliver(keys, self.compose, sender.send)
        return sent
