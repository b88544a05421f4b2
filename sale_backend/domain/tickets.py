"""E-tickets: each ticket gets a signed code (itsdangerous, HMAC-SHA256, its own salt) that the
entry scanner verifies offline before asking Redis once; rendered as a QR code with segno."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import segno
from itsdangerous import BadSignature, Signer

from sale_backend.errors import TicketRejected
from sale_backend.storage.keys import event_of
from service_kit.errors import InvalidInput

TICKET_SALT = "sale_backend.ticket"
MAX_CODE_LENGTH = 300


def _signer(secret_keys: Sequence[str]) -> Signer:
    return Signer(list(secret_keys), salt=TICKET_SALT, digest_method=hashlib.sha256, sep=".")


class TicketCodes:
    def __init__(self, secret_keys: Sequence[str]) -> None:
        self._signer = _signer(secret_keys)
        self._each_key = [_signer([key]) for key in secret_keys]

    def code(self, ticket_id: str) -> str:
        return self._signer.sign(ticket_id).decode()

    def codes_of_every_key(self, ticket_id: str) -> list[str]:
        """The ticket's code under each secret key: a ticket printed before a key rotation
        carries an older key's code, which still verifies."""
        return [signer.sign(ticket_id).decode() for signer in self._each_key]

    def verify(self, code: Any) -> tuple[str, str]:
        """Returns (event_id, ticket_id) of a genuine code; raises TicketRejected otherwise."""
        if not isinstance(code, str) or not code or len(code) > MAX_CODE_LENGTH:
            raise TicketRejected("not a ticket code", reason="forged")
        if not code.isascii():
            raise TicketRejected("not a ticket code", reason="forged")
        try:
            ticket_id = self._signer.unsign(code).decode()
            return event_of(ticket_id, "ticket"), ticket_id
        except (BadSignature, ValueError, InvalidInput):
            raise TicketRejected("the ticket code is not genuine", reason="forged") from None


def qr_svg(code: str) -> str:
    """An inline SVG QR code (segno) for an order page."""
    return str(segno.make(code, error="m").svg_inline(scale=4, dark="#111", light="#fff", border=2))
