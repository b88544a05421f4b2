"""The fans' e-mails, in the language of the page they asked from: your turn, and a ticket
offered from the waiting list. Composed when sent (from the outbox payload), so the links are
signed fresh. Plain text with an HTML alternative; nothing loaded from elsewhere."""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.message import EmailMessage
from html import escape
from typing import Any

from service_kit.languages import Catalogs, Translate, language_tag
from service_kit.mail import build_message
from waitroom.fan.mail_links import queue_link, sign_offer
from waitroom.settings import Settings
from waitroom.tokens import PositionClaims, TokenCodec


@dataclass(frozen=True, slots=True)
class MailText:
    subject: str
    paragraphs: tuple[str, ...]
    link: str
    link_label: str


def your_turn_text(_: Translate, queue_name: str, link: str) -> MailText:
    return MailText(
        subject=_("It's your turn: %(queue)s", queue=queue_name),
        paragraphs=(
            _("Your turn has come in the queue for %(queue)s.", queue=queue_name),
            _(
                "Open the queue page to go to the shop. Your pass is waiting there and runs "
                "out a few minutes after your turn came."
            ),
        ),
        link=link,
        link_label=_("Open the queue page"),
    )


def offer_text(_: Translate, queue_name: str, link: str, expires_at: int) -> MailText:
    deadline = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(expires_at))
    return MailText(
        subject=_("A ticket came back for you: %(queue)s", queue=queue_name),
        paragraphs=(
            _(
                "A ticket for %(queue)s came back, and you are next on the waiting list.",
                queue=queue_name,
            ),
            _(
                "Use this link before %(deadline)s. After that the ticket is offered to the "
                "next person on the list.",
                deadline=deadline,
            ),
        ),
        link=link,
        link_label=_("Go to the shop"),
    )


def footer(_: Translate) -> str:
    return _("You get this e-mail because you asked for it in the waiting room.")


def message_from_text(
    settings: Settings, to: str, text: MailText, _: Translate, language: str
) -> EmailMessage:
    plain = "\n\n".join((*text.paragraphs, text.link, footer(_))) + "\n"
    paragraphs = "".join(f"<p>{escape(paragraph)}</p>" for paragraph in text.paragraphs)
    html = (
        f'<!doctype html><html lang="{escape(language_tag(language))}"><body>{paragraphs}'
        f'<p><a href="{escape(text.link)}">{escape(text.link_label)}</a></p>'
        f"<p><small>{escape(footer(_))}</small></p></body></html>"
    )
    return build_message(settings.mail, to, text.subject, plain, html, language=language)


def compose_fan_mail(
    payload: dict[str, Any],
    settings: Settings,
    catalogs: Catalogs,
    codec: TokenCodec,
    queue_name: str,
    epoch: int,
) -> EmailMessage | None:
    """The message of an outbox payload; None for a payload this version cannot send."""
    kind = payload.get("kind")
    email = payload.get("email")
    queue_id = payload.get("queue_id")
    language = str(payload.get("lang") or "en")
    if not isinstance(email, str) or not isinstance(queue_id, str):
        return None
    _ = catalogs.translator(language)
    base = settings.public_base_url
    if kind == "your_turn":
        visitor = payload.get("visitor")
        position = payload.get("position")
        if not isinstance(visitor, str) or not isinstance(position, int):
            return None
        if payload.get("epoch") != str(epoch):
            return None  # the queue was reset since: the place is gone
        claims = PositionClaims(queue_id, epoch, position, visitor, int(time.time()))
        link = queue_link(base, queue_id, "return", codec.issue_position(claims), language)
        return message_from_text(settings, email, your_turn_text(_, queue_name, link), _, language)
    if kind == "waitlist_offer":
        pass_id = payload.get("pass_id")
        expires_at = payload.get("expires_at")
        if not isinstance(pass_id, str) or not isinstance(expires_at, int):
            return None
        token = sign_offer(settings.secret_keys, queue_id, pass_id)
        link = queue_link(base, queue_id, "offer", token, language)
        text = offer_text(_, queue_name, link, expires_at)
        return message_from_text(settings, email, text, _, language)
    return None
