"""Signed tokens of the connector: HMAC-SHA256, a key list, a clock leeway.

Every token of the contract is what itsdangerous' ``URLSafeTimedSerializer`` writes with
HMAC-SHA256 (``signer_kwargs={"digest_method": hashlib.sha256}``), one salt per kind, the secret
keys as a list (the newest, last, signs; every key verifies) and ``max_age`` always passed on
verification. The connector reads and writes them with
:class:`~waitroom.connector.token_format.SignedFormat`, that format owned outright (byte for
byte itsdangerous', a quarter of its cost). :func:`loads_with_leeway` adds the clock leeway: a
token stamped up to ``leeway_seconds`` in the future (a signing host whose clock runs ahead)
is accepted, and so is one up to ``leeway_seconds`` older than ``max_age``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

from waitroom.connector.token_format import SignedFormat

PASS_SALT = "waitroom.pass"
SITE_SESSION_SALT = "waitroom.site-session"
SITE_AUTH_SALT = "waitroom.site"
VISITOR_HASH_PREFIX = "waitroom.visitor|"
VISITOR_HASH_LENGTH = 22
DEFAULT_CLOCK_LEEWAY_SECONDS = 5


def signed_serializer(secret_keys: Sequence[str], salt: str) -> SignedFormat:
    """The contract's tokens of one salt; the last key signs, all verify."""
    return SignedFormat(secret_keys, salt)


def loads_with_leeway(
    serializer: SignedFormat,
    token: str,
    max_age_seconds: int,
    leeway_seconds: int,
    now_seconds: float | None = None,
) -> Any:
    """The payload of a genuine token at most ``max_age_seconds + leeway_seconds`` old and at
    most ``leeway_seconds`` in the future. Raises :class:`~waitroom.connector.token_format.
    ExpiredToken` (genuine, out of time) or :class:`~waitroom.connector.token_format.BadToken`;
    ``token`` must be ASCII."""
    return serializer.loads(token, max_age_seconds, leeway_seconds, now_seconds)


def visitor_hash(secret_keys: Sequence[str], visitor_id: str) -> str:
    """The pass's ``vh`` claim: ``base64url(HMAC-SHA256(newest key, "waitroom.visitor|" +
    visitor_id))[:22]``. Stable per visitor; the visitor id cannot be recovered from it."""
    digest = hmac.new(
        secret_keys[-1].encode(), (VISITOR_HASH_PREFIX + visitor_id).encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:VISITOR_HASH_LENGTH]
