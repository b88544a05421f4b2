"""The tickets e-mail in the buyer's language (the order's ``language``, recorded at checkout):
subject, text and HTML parts, the QR images' file names and alternative texts, the order link's
text. The words come from the shop's gettext catalogs (``sale_backend/locale``, the pages' own);
the organizer's event, tier and section names are taken in that language from the event's
catalog when it still has them (else the names the order was written with, in the event's
default language).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from email.message import EmailMessage
from html import escape

import segno

from sale_backend.domain.catalog import Event
from sale_backend.domain.documents import OrderView, TicketView
from service_kit.languages import Catalogs, Translate, language_tag
from service_kit.mail import Attachment, MailSettings, build_message, new_content_id

QR_SCALE = 8
QR_BORDER = 4


def qr_png(code: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(code, error="m").save(buffer, kind="png", scale=QR_SCALE, border=QR_BORDER)
    return buffer.getvalue()


def format_price(amount_minor: int, currency: str) -> str:
    """As the shop's pages show prices (``_money.html``)."""
    return f"{amount_minor / 100:.2f} {currency}"


@dataclass(frozen=True, slots=True)
class TicketLine:
    """One ticket as the e-mail lists it."""

    number: int
    title: str
    """Tier name and, for a seated ticket, the seat in words."""
    short_code: str
    code: str
    """The signed code the QR image carries (what the door scanners read)."""


def ticket_title(ticket: TicketView, event: Event | None, language: str, _: Translate) -> str:
    tier = event.tier(ticket.tier_id) if event is not None else None
    tier_name = tier.name.text(language) if tier is not None else ticket.tier_name
    if not ticket.seat_id:
        return tier_name
    place = event.seat_place(ticket.seat_id) if event is not None else None
    if place is None:
        return f"{tier_name}, " + _("seat %(seat)s", seat=ticket.seat_id)
    return f"{tier_name}, {place.words(language, _)}"


@dataclass(frozen=True, slots=True)
class TicketsMail:
    """The words of one order's e-mail in one language; :meth:`message` builds it."""

    order: OrderView
    language: str
    event: Event | None
    """The event's catalog, for its names in the buyer's language; None once it is gone."""
    link: str
    """The order link (absolute, with its access key)."""
    catalogs: Catalogs

    @property
    def translate(self) -> Translate:
        return self.catalogs.translator(self.language)

    @property
    def event_name(self) -> str:
        if self.event is not None:
            return self.event.name.text(self.language)
        return self.order.event_name or self.order.event_id

    def tickets(self) -> list[TicketLine]:
        _ = self.translate
        return [
            TicketLine(
                number,
                ticket_title(ticket, self.event, self.language, _),
                ticket.short_code,
                ticket.code,
            )
            for number, ticket in enumerate(self.order.tickets, start=1)
        ]

    def subject(self) -> str:
        return self.translate("Your tickets: %(event)s", event=self.event_name)

    def text(self, tickets: list[TicketLine]) -> str:
        _ = self.translate
        order = self.order
        lines = [
            _("Thank you for your order, %(name)s.", name=order.name),
            _(
                "Your tickets for %(event)s (order %(order)s, %(amount)s):",
                event=self.event_name,
                order=order.order_id,
                amount=format_price(order.amount_minor, order.currency),
            ),
            "",
            *(
                f"{ticket.number}. "
                + _("%(ticket)s: code %(code)s", ticket=ticket.title, code=ticket.short_code)
                for ticket in tickets
            ),
            "",
            _("Show the QR code (or tell the short code) at the entrance."),
            _("Your order, its tickets and refunds") + f": {self.link}",
        ]
        return "\n".join(lines) + "\n"

    def images(self, tickets: list[TicketLine]) -> list[Attachment]:
        """One QR code image per ticket, shown in the HTML part (``cid:``)."""
        _ = self.translate
        return [
            Attachment(
                _(
                    "ticket-%(number)s-%(code)s.png",
                    number=ticket.number,
                    code=ticket.short_code.replace("-", ""),
                ),
                "image/png",
                qr_png(ticket.code),
                inline=True,
                content_id=new_content_id("tickets"),
            )
            for ticket in tickets
        ]

    def html(self, tickets: list[TicketLine], images: list[Attachment]) -> str:
        _ = self.translate
        code_label = escape(_("Code:"))
        cards = []
        for ticket, image in zip(tickets, images, strict=True):
            alt = escape(_("QR code of ticket %(number)s", number=ticket.number))
            cards.append(
                f"<li><p><strong>{escape(ticket.title)}</strong></p>"
                f'<p><img src="cid:{escape(image.content_id)}" width="240" height="240" '
                f'alt="{alt}"></p>'
                f"<p>{code_label} <strong>{escape(ticket.short_code)}</strong></p></li>"
            )
        paragraphs = (
            _("Thank you for your order, %(name)s.", name=self.order.name),
            _("Your tickets for %(event)s:", event=self.event_name),
        )
        entrance = _("Show the QR code (or tell the short code) at the entrance.")
        link_text = _("Your order, its tickets and refunds")
        tag = language_tag(self.language)
        return (
            f'<!doctype html><html lang="{escape(tag)}"><body>'
            + "".join(f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs)
            + f"<ol>{''.join(cards)}</ol><p>{escape(entrance)}</p>"
            f'<p><a href="{escape(self.link)}">{escape(link_text)}</a></p></body></html>'
        )

    def message(self, settings: MailSettings) -> EmailMessage:
        tickets = self.tickets()
        images = self.images(tickets)
        return build_message(
            settings,
            self.order.email,
            self.subject(),
            self.text(tickets),
            self.html(tickets, images),
            tuple(images),
            language=self.language,
        )
