"""A real SMTP server (aiosmtpd) started by the test, and the received messages parsed."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from waitroom.storage.embedded_redis import free_port


@dataclass
class Inbox:
    """Messages the SMTP server accepted, parsed with the modern policy."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def wait_for(
        self,
        matches: Callable[[EmailMessage], bool],
        count: int = 1,
        timeout_seconds: float = 15.0,
    ) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            found = self.matching(matches)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise self.missing(count)

    async def arrived(
        self,
        matches: Callable[[EmailMessage], bool],
        count: int = 1,
        timeout_seconds: float = 15.0,
    ) -> list[EmailMessage]:
        """:meth:`wait_for` for a test whose app sends from the test's own event loop."""
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            found = self.matching(matches)
            if len(found) >= count:
                return found
            await asyncio.sleep(0.05)
        raise self.missing(count)

    def matching(self, matches: Callable[[EmailMessage], bool]) -> list[EmailMessage]:
        with self.lock:
            return [message for message in self.messages if matches(message)]

    def missing(self, count: int) -> AssertionError:
        with self.lock:
            subjects = [str(message["Subject"]) for message in self.messages]
        return AssertionError(f"{count} matching e-mail(s) not received; got {subjects}")

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [message for message in self.messages if message["To"] == address]


@dataclass(frozen=True)
class SmtpServer:
    port: int
    inbox: Inbox

    def environment(self) -> dict[str, str]:
        return {
            "WAITROOM_SMTP_HOST": "127.0.0.1",
            "WAITROOM_SMTP_PORT": str(self.port),
            "WAITROOM_SMTP_TLS": "none",
            "WAITROOM_SMTP_FROM": "Tickets <tickets@example.org>",
            "WAITROOM_MAIL_POLL_SECONDS": "0.1",
        }


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(port, inbox)
    finally:
        controller.stop()


def text_part(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def first_link(text: str, marker: str) -> str:
    for word in text.split():
        if marker in word:
            return word
    raise AssertionError(f"no link with {marker!r} in {text!r}")
