"""Passes (contract section 1): issue and verify, locally, from the secret keys alone.

A pass is a ``URLSafeTimedSerializer`` token (salt ``waitroom.pass``) with the claims ``q``
(queue id), ``vh`` (keyed hash of the visitor id, :func:`visitor_hash`), ``pid`` (pass id,
stable per place) and ``exp`` (expiry, unix seconds, fixed at the first issuance for the place).
It is accepted when the signature verifies with one of the keys, ``q`` is the site's queue and
``now < exp + leeway``. A payload that carries a visitor id in clear (``v``) is refused.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from waitroom.connector.claims import text_claim, whole_number_claim
from waitroom.connector.errors import PassExpired, PassInvalid, PassMissing
from waitroom.connector.signing import (
    DEFAULT_CLOCK_LEEWAY_SECONDS,
    PASS_SALT,
    loads_with_leeway,
    signed_serializer,
)
from waitroom.connector.token_format import BadToken, ExpiredToken

MAX_PASS_CHARS = 1024
PASS_QUERY_PARAMETER = "waitroom_pass"
"""The query parameter that carries a pass once, from the queue page to the site."""


@dataclass(frozen=True, slots=True)
class PassClaims:
    queue_id: str
    visitor_hash: str
    pass_id: str
    expires_at: int


class PassCodec:
    """Issues (the waiting room) and verifies (any site) passes of one key list."""

    def __init__(
        self,
        secret_keys: Sequence[str],
        pass_ttl_seconds: int,
        clock_leeway_seconds: int = DEFAULT_CLOCK_LEEWAY_SECONDS,
    ) -> None:
        self._serializer = signed_serializer(secret_keys, PASS_SALT)
        self.pass_ttl_seconds = pass_ttl_seconds
        self.clock_leeway_seconds = clock_leeway_seconds

    def issue(self, claims: PassClaims) -> str:
        payload = {
            "q": claims.queue_id,
            "vh": claims.visitor_hash,
            "pid": claims.pass_id,
            "exp": claims.expires_at,
        }
        return str(self._serializer.dumps(payload))

    def verify(
        self, token: str | None, queue_id: str, now_seconds: float | None = None
    ) -> PassClaims:
        """The claims of a valid pass of ``queue_id``; raises PassMissing, PassInvalid or
        PassExpired."""
        if not token:
            raise PassMissing("no pass was presented: join the waiting room first")
        if len(token) > MAX_PASS_CHARS or not token.isascii():
            raise PassInvalid("the pass is too long or not text")
        now = time.time() if now_seconds is None else now_seconds
        leeway = self.clock_leeway_seconds
        try:
            payload: Any = loads_with_leeway(
                self._serializer, token, self.pass_ttl_seconds, leeway, now
            )
        except ExpiredToken:
            raise PassExpired("the pass has expired: join the queue again") from None
        except BadToken:
            raise PassInvalid("the pass is not genuine") from None
        except (ValueError, TypeError, UnicodeError):
            raise PassInvalid("the pass cannot be decoded") from None
        if not isinstance(payload, dict):
            raise PassInvalid("the pass payload is not an object")
        if "v" in payload:
            raise PassInvalid("a pass must not carry a visitor id in clear")
        claims = PassClaims(
            queue_id=text_claim(payload, "q", PassInvalid),
            visitor_hash=text_claim(payload, "vh", PassInvalid),
            pass_id=text_claim(payload, "pid", PassInvalid),
            expires_at=whole_number_claim(payload, "exp", PassInvalid),
        )
        if claims.queue_id != queue_id:
            raise PassInvalid("the pass belongs to another queue")
        if now >= claims.expires_at + leeway:
            raise PassExpired(
                "the pass has expired: join the queue again", expired_at=claims.expires_at
            )
        return claims
