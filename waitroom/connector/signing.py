"""itsdangerous serializers of the connector: HMAC-SHA256, a key list, a clock leeway.

Every token of the contract is a ``URLSafeTimedSerializer`` token signed with HMAC-SHA256
(``signer_kwargs={"digest_method": hashlib.sha256}``), one salt per kind, the secret keys as a
list (the newest, last, signs; every key verifies) and ``max_age`` always passed on
verification. :func:`loads_with_leeway` adds the clock leeway: a token stamped up to
``leeway_seconds`` in the future (a signing host whose clock runs ahead) is accepted, and so is
one up to ``leeway_seconds`` older than ``max_age``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Sequence
from typing import Any

from itsdangerous import SignatureExpired, URLSafeTimedSerializer

PASS_SALT = "waitroom.pass"
SITE_SESSION_SALT = "waitroom.site-session"
SITE_AUTH_SALT = "waitroom.site"
VISITOR_HASH_PREFIX = "waitroom.visitor|"
VISITOR_HASH_LENGTH = 22
DEFAULT_CLOCK_LEEWAY_SECONDS = 5


def signed_serializer(secret_keys: Sequence[str], salt: str) -> URLSafeTimedSerializer:
    """The contract's serializer for one salt; the last key signs, all verify."""
    if not secret_keys:
        raise ValueError("at least one secret key is required")
    return URLSafeTimedSerializer(
        list(secret_keys), salt=salt, signer_kwargs={"digest_method": hashlib.sha256}
    )


def loads_with_leeway(
    serializer: URLSafeTimedSerializer,
    token: str,
    max_age_seconds: int,
    leeway_seconds: int,
    now_seconds: float | None = None,
) -> Any:
    """``serializer.loads(token, max_age=max_age_seconds + leeway_seconds)`` that also accepts
    a timestamp at most ``leeway_seconds`` in the future. Raises itsdangerous' errors."""
    try:
        return serializer.loads(token, max_age=max_age_seconds + leeway_seconds)
    except SignatureExpired as error:
        # itsdangerous raises SignatureExpired for a timestamp in the future too; the
        # signature was checked before the age, so the payload is genuine
        signed_at = error.date_signed
        now = time.time() if now_seconds is None else now_seconds
        if (
            error.payload is None
            or signed_at is None
            or signed_at.timestamp() <= now
            or signed_at.timestamp() > now + leeway_seconds
        ):
            raise
        return serializer.load_payload(error.payload)


def visitor_hash(secret_keys: Sequence[str], visitor_id: str) -> str:
    """The pass's ``vh`` claim: ``base64url(HMAC-SHA256(newest key, "waitroom.visitor|" +
    visitor_id))[:22]``. Stable per visitor; the visitor id cannot be recovered from it."""
    digest = hmac.new(
        secret_keys[-1].encode(), (VISITOR_HASH_PREFIX + visitor_id).encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:VISITOR_HASH_LENGTH]
