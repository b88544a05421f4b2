"""The codec of the shop's CSRF tokens (:mod:`sale_backend.web.csrf` applies it to requests).

A browser's secret is 32 random bytes, kept in a cookie signed with itsdangerous (HMAC-SHA256,
salt ``sale_backend.csrf``, the secret key list: newest signs, all verify, ``max_age`` always
checked). Every rendered form carries the secret XOR a fresh random mask (mask and masked
secret, base64url): the token differs on every page, so a compressed page leaks nothing about
it (BREACH), yet every page's token is valid for that browser. A posted token is unmasked and
compared with the cookie's secret in constant time (:func:`hmac.compare_digest`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from itsdangerous import BadData, URLSafeTimedSerializer

CSRF_SALT = "sale_backend.csrf"
SECRET_BYTES = 32
COOKIE_MAX_AGE_SECONDS = 7 * 24 * 3600
MAX_COOKIE_LENGTH = 256
MAX_TOKEN_LENGTH = 128


@dataclass(frozen=True, slots=True)
class BrowserSecret:
    secret: bytes
    signed_at: float


class FormTokens:
    """Signs the per-browser secret, masks it into form tokens and checks posted tokens."""

    def __init__(
        self, secret_keys: Sequence[str], max_age_seconds: int = COOKIE_MAX_AGE_SECONDS
    ) -> None:
        self.max_age_seconds = max_age_seconds
        self._serializer = URLSafeTimedSerializer(
            list(secret_keys), salt=CSRF_SALT, signer_kwargs={"digest_method": hashlib.sha256}
        )

    def new_secret(self) -> bytes:
        return secrets.token_bytes(SECRET_BYTES)

    def cookie_value(self, secret: bytes) -> str:
        return str(self._serializer.dumps(_encode(secret)))

    def read_cookie(self, cookie: str | None) -> BrowserSecret | None:
        """The browser's secret from its cookie; None when missing, forged or too old."""
        if not cookie or len(cookie) > MAX_COOKIE_LENGTH:
            return None
        try:
            payload, signed_at = self._serializer.loads(
                cookie, max_age=self.max_age_seconds, return_timestamp=True
            )
        except (BadData, ValueError, TypeError, UnicodeError):
            return None
        secret = _decode(payload) if isinstance(payload, str) else None
        if secret is None or len(secret) != SECRET_BYTES:
            return None
        return BrowserSecret(secret, signed_at.timestamp())

    def form_token(self, secret: bytes) -> str:
        """A fresh masked token for one rendered form."""
        mask = secrets.token_bytes(SECRET_BYTES)
        return _encode(mask + _xor(secret, mask))

    def accepts(self, cookie: str | None, presented: str | None) -> bool:
        """Whether ``presented`` (a form's token) belongs to the browser of ``cookie``."""
        browser = self.read_cookie(cookie)
        if browser is None or not presented or len(presented) > MAX_TOKEN_LENGTH:
            return False
        raw = _decode(presented)
        if raw is None or len(raw) != 2 * SECRET_BYTES:
            return False
        mask, masked = raw[:SECRET_BYTES], raw[SECRET_BYTES:]
        return hmac.compare_digest(_xor(masked, mask), browser.secret)


def _xor(left: bytes, right: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(left, right, strict=True))


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes | None:
    if not text.isascii():
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
