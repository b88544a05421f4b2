"""Sending e-mail over SMTP (aiosmtplib), configured by ``WAITROOM_SMTP_*`` variables.

Without ``WAITROOM_SMTP_HOST`` and ``WAITROOM_SMTP_FROM`` nothing is sent and the pages offer
no e-mail. Messages are built with the standard library's :class:`email.message.EmailMessage`
(text and HTML alternatives, inline images and attachments) and sent by aiosmtplib, an asyncio
client: sending never blocks the event loop.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

from service_kit.environment import SettingsError, env_float, env_int

TLS_MODES = ("starttls", "tls", "none")
"""``starttls``: plain connection upgraded with STARTTLS (port 587); ``tls``: TLS from the
first byte (port 465); ``none``: no encryption (a relay on the same host, tests)."""
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


class MailFailed(Exception):
    """The SMTP server could not be reached or refused the message (retried later)."""


@dataclass(frozen=True, slots=True)
class MailSettings:
    host: str = ""
    port: int = 587
    tls: str = "starttls"
    user: str = ""
    password: str = ""
    sender: str = ""
    """The ``From`` address (``WAITROOM_SMTP_FROM``), e.g. ``Tickets <tickets@example.com>``."""
    timeout_seconds: float = 10.0

    @property
    def enabled(self) -> bool:
        return bool(self.host and self.sender)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> MailSettings:
        tls = environ.get("WAITROOM_SMTP_TLS", "starttls").strip().lower() or "starttls"
        if tls not in TLS_MODES:
            raise SettingsError("WAITROOM_SMTP_TLS", tls, f"one of {', '.join(TLS_MODES)}")
        host = environ.get("WAITROOM_SMTP_HOST", "").strip()
        sender = environ.get("WAITROOM_SMTP_FROM", "").strip()
        if host and not sender:
            raise SettingsError("WAITROOM_SMTP_FROM", "", "required with WAITROOM_SMTP_HOST")
        port = env_int(environ, "WAITROOM_SMTP_PORT", DEFAULT_PORTS[tls], minimum=1)
        if port > 65535:
            raise SettingsError("WAITROOM_SMTP_PORT", str(port), "must be <= 65535")
        return cls(
            host=host,
            port=port,
            tls=tls,
            user=environ.get("WAITROOM_SMTP_USER", "").strip(),
            password=environ.get("WAITROOM_SMTP_PASSWORD", ""),
            sender=sender,
            timeout_seconds=env_float(environ, "WAITROOM_SMTP_TIMEOUT_SECONDS", 10.0, 0.1),
        )


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    """``maintype/subtype``, e.g. ``image/png``."""
    data: bytes
    inline: bool = False
    """Shown in the HTML part (``cid:`` of :attr:`content_id`) instead of listed."""
    content_id: str = ""


def new_content_id(domain: str = "waitroom") -> str:
    """A ``Content-ID`` for an inline image, without the angle brackets."""
    return make_msgid(domain=domain)[1:-1]


def build_message(
    settings: MailSettings,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    attachments: tuple[Attachment, ...] = (),
    language: str = "en",
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="waitroom")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
        html_part = message.get_body(preferencelist=("html",))
        assert html_part is not None
        for item in attachments:
            if item.inline:
                maintype, subtype = item.content_type.split("/", 1)
                html_part.add_related(
                    item.data,
                    maintype=maintype,
                    subtype=subtype,
                    cid=f"<{item.content_id}>",
                    filename=item.filename,
                    disposition="inline",
                )
    for item in attachments:
        if not item.inline or html is None:
            maintype, subtype = item.content_type.split("/", 1)
            message.add_attachment(
                item.data, maintype=maintype, subtype=subtype, filename=item.filename
            )
    message["Content-Language"] = language  # after the body: setting content drops Content-*
    return message


class MailSender:
    """Sends one message per SMTP connection (the outbox sends a few a second at most)."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    async def send(self, message: EmailMessage) -> None:
        settings = self.settings
        try:
            await aiosmtplib.send(
                message,
                hostname=settings.host,
                port=settings.port,
                username=settings.user or None,
                password=settings.password or None,
                use_tls=settings.tls == "tls",
                start_tls=settings.tls == "starttls",
                tls_context=ssl.create_default_context() if settings.tls != "none" else None,
                timeout=settings.timeout_seconds,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            raise MailFailed(str(error)) from error
