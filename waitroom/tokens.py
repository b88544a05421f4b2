"""Sign and verify position tokens (the contract's format, HMAC-SHA256).

Contract (see docs/architecture.md):
- ``URLSafeTimedSerializer`` tokens with ``signer_kwargs={"digest_method": hashlib.sha256}``;
- a distinct salt per kind: ``waitroom.position`` here, ``waitroom.pass`` for passes (issued and
  verified by :mod:`waitroom.connector.passes`, the same code every protected site runs);
- secret keys as a list for rotation: the newest (last) signs, all verify;
- ``max_age`` is always passed on verification, with the clock leeway
  (``WAITROOM_CLOCK_LEEWAY_SECONDS``), as :func:`waitroom.connector.signing.loads_with_leeway`.

A status poll verifies one position token, so position tokens are written and read by
:mod:`waitroom.connector.token_format`, the contract's format owned outright (byte-compatible
with itsdangerous both ways, tested); passes and the connector's other tokens go through the
same module.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from typing import Any, NamedTuple

from waitroom.connector.signing import DEFAULT_CLOCK_LEEWAY_SECONDS
from waitroom.connector.token_format import BadToken, ExpiredToken, SignedFormat
from waitroom.errors import (
    TokenExpired,
    TokenForeign,
    TokenInvalid,
    TokenMalformed,
    TokenMissing,
)

POSITION_SALT = "waitroom.position"
MAX_TOKEN_LENGTH = 1024


class PositionClaims(NamedTuple):
    """Immutable; a named tuple because one is built for every status poll."""

    queue_id: str
    epoch: int
    position: int
    visitor_id: str
    issued_at: int


def new_visitor_id() -> str:
    return secrets.token_urlsafe(12)


def derive_pass_id(queue_id: str, epoch: int, position: int, visitor_id: str) -> str:
    """Stable pass id for one place in one queue: re-polling returns the same pass id."""
    digest = hashlib.sha256(f"{queue_id}|{epoch}|{position}|{visitor_id}".encode()).digest()
    return digest[:12].hex()


def _require_str(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value or len(value) > 128:
        raise TokenMalformed(f"claim {name!r} is missing or not a string")
    return value


def _require_int(payload: dict[str, Any], name: str) -> int:
    value = payload.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TokenMalformed(f"claim {name!r} is missing or not a non-negative integer")
    return value


class TokenCodec:
    """Issues and verifies position tokens with one rotation list of secret keys."""

    def __init__(
        self,
        secret_keys: Sequence[str],
        position_max_age_seconds: int,
        max_token_length: int = MAX_TOKEN_LENGTH,
        clock_leeway_seconds: int = DEFAULT_CLOCK_LEEWAY_SECONDS,
    ) -> None:
        self._format = SignedFormat(secret_keys, POSITION_SALT)
        self.position_max_age_seconds = position_max_age_seconds
        self.max_token_length = max_token_length
        self.clock_leeway_seconds = clock_leeway_seconds

    # -- position tokens -------------------------------------------------------------------
    def issue_position(self, claims: PositionClaims) -> str:
        payload = {
            "q": claims.queue_id,
            "e": claims.epoch,
            "p": claims.position,
            "v": claims.visitor_id,
            "iat": claims.issued_at,
        }
        return self._format.dumps(payload)

    def verify_position(self, token: str | None, queue_id: str | None = None) -> PositionClaims:
        payload = self._load(token, self.position_max_age_seconds)
        # the checks of _require_str / _require_int, inline: this runs on every status poll
        token_queue_id = payload.get("q")
        epoch = payload.get("e")
        position = payload.get("p")
        visitor_id = payload.get("v")
        issued_at = payload.get("iat")
        if (
            type(token_queue_id) is not str
            or type(visitor_id) is not str
            or not 0 < len(token_queue_id) <= 128
            or not 0 < len(visitor_id) <= 128
            or type(epoch) is not int
            or type(position) is not int
            or type(issued_at) is not int
            or epoch < 0
            or position < 0
            or issued_at < 0
        ):
            # the slow checks name the claim at fault
            claims = PositionClaims(
                queue_id=_require_str(payload, "q"),
                epoch=_require_int(payload, "e"),
                position=_require_int(payload, "p"),
                visitor_id=_require_str(payload, "v"),
                issued_at=_require_int(payload, "iat"),
            )
        else:
            claims = PositionClaims(token_queue_id, epoch, position, visitor_id, issued_at)
        if queue_id is not None and claims.queue_id != queue_id:
            raise TokenForeign("the token belongs to another queue")
        return claims

    # -- shared ----------------------------------------------------------------------------
    def _load(self, token: str | None, max_age_seconds: int) -> dict[str, Any]:
        if token is None or token == "":
            raise TokenMissing("no token was sent")
        if not isinstance(token, str) or len(token) > self.max_token_length:
            raise TokenMalformed("the token is too long or not text")
        if not token.isascii():
            raise TokenMalformed("the token contains non-ASCII characters")
        try:
            payload = self._format.loads(token, max_age_seconds, self.clock_leeway_seconds)
        except ExpiredToken:
            raise TokenExpired("the token has expired") from None
        except BadToken:
            raise TokenInvalid("the token signature is not valid") from None
        if type(payload) is not dict:
            raise TokenMalformed("the token payload is not an object")
        return payload
