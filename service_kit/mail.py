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
from email.utils import make_msgid, parseaddr

import aiosmtplib

from service_kit.errors import SettingsError
from service_kit.languages import DEFAULT_LANGUAGE, language_tag
from service_kit.settings_tree import INTEGER, NUMBER, Cast, Variable, read_settings

TLS_MODES = ("starttls", "tls", "none")
"""``starttls``: plain connection upgraded with STARTTLS (port 587); ``tls``: TLS from the
first byte (port 465); ``none``: no encryption (a relay on the same host, tests)."""
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


def _tls_mode(raw: str) -> str:
    mode = raw.lower()
    if mode not in TLS_MODES:
        raise ValueError(f"one of {', '.join(TLS_MODES)}")
    return mode


def _text(raw: str) -> str:
    return raw


def _host(raw: str) -> str:
    if any(character.isspace() or character in "/@:" for character in raw):
        raise ValueError("expected a host name or address, such as smtp.example.com")
    return raw


def _address(raw: str) -> str:
    _, address = parseaddr(raw)
    if "@" not in address:
        raise ValueError("expected an e-mail address, such as Tickets <tickets@example.com>")
    return raw


TEXT: Cast[str] = Cast("text", _text, garbage="line\nbreak")
HOST: Cast[str] = Cast("host name", _host, garbage="smtp example")
ADDRESS: Cast[str] = Cast("e-mail address", _address, garbage="nobody")
TLS_MODE: Cast[str] = Cast("starttls, tls or none", _tls_mode, garbage="ssl3")

SMTP_HOST: Variable[str] = Variable(
    "WAITROOM_SMTP_HOST",
    HOST,
    "",
    "The SMTP server (a provider's relay or a local MTA); unset: no e-mail is sent and no page "
    "offers it",
    default_text="unset (no e-mail)",
)
SMTP_PORT: Variable[int] = Variable(
    "WAITROOM_SMTP_PORT",
    INTEGER,
    0,
    "The SMTP server's port",
    minimum=0,
    maximum=65535,
    default_text="the TLS mode's: 587, 465 or 25",
)
SMTP_TLS: Variable[str] = Variable(
    "WAITROOM_SMTP_TLS",
    TLS_MODE,
    "starttls",
    "`starttls` (upgrade a plain connection), `tls` (TLS from the first byte) or `none` "
    "(a relay on the same host)",
)
SMTP_USER: Variable[str] = Variable(
    "WAITROOM_SMTP_USER", TEXT, "", "Login at the SMTP server", default_text="unset (no login)"
)
SMTP_PASSWORD: Variable[str] = Variable(
    "WAITROOM_SMTP_PASSWORD",
    TEXT,
    "",
    "Password of that login",
    secret=True,
    default_text="unset",
)
SMTP_FROM: Variable[str] = Variable(
    "WAITROOM_SMTP_FROM",
    ADDRESS,
    "",
    "The `From` address of every e-mail, e.g. `Tickets <tickets@example.com>`; required with "
    "the host",
    default_text="unset",
)
SMTP_TIMEOUT: Variable[float] = Variable(
    "WAITROOM_SMTP_TIMEOUT_SECONDS",
    NUMBER,
    10.0,
    "Time for one SMTP exchange",
    minimum=0.1,
    maximum=300,
)

MAIL_POLL: Variable[float] = Variable(
    "WAITROOM_MAIL_POLL_SECONDS",
    NUMBER,
    1.0,
    "How often each process looks for e-mail to send (your turn, waiting-list offers, tickets)",
    minimum=0.05,
    maximum=600,
)


class MailFailed(Exception):
    """The SMTP server could not be reached or refused the message (retried later)."""


@dataclass(frozen=True, slots=True)
class MailSettings:
    """SMTP settings, shared by the waiting room (your turn, waiting-list offers) and the shop
    (tickets)."""

    host: str = SMTP_HOST.field()
    port_setting: int = SMTP_PORT.field()
    tls: str = SMTP_TLS.field()
    user: str = SMTP_USER.field()
    password: str = SMTP_PASSWORD.field()
    sender: str = SMTP_FROM.field()
    """The ``From`` address (``WAITROOM_SMTP_FROM``)."""
    timeout_seconds: float = SMTP_TIMEOUT.field()

    def __post_init__(self) -> None:
        if self.host and not self.sender:
            raise SettingsError(SMTP_FROM.name, "", f"required with {SMTP_HOST.name}")

    @property
    def port(self) -> int:
        return self.port_setting or DEFAULT_PORTS[self.tls]

    @property
    def enabled(self) -> bool:
        return bool(self.host and self.sender)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> MailSettings:
        return read_settings(cls, environ)


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
    language: str = DEFAULT_LANGUAGE,
) -> EmailMessage:
    """A message in ``language`` (a supported code such as ``zh_Hans``; its header carries the
    BCP 47 tag, ``zh-Hans``)."""
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
    message["Content-Language"] = language_tag(
        language
    )  # after the body: setting content drops Content-*
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
