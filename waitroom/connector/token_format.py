"""The contract's signed-token format, owned outright: what itsdangerous'
``URLSafeTimedSerializer(secret_keys, salt=salt, signer_kwargs={"digest_method":
hashlib.sha256})`` writes and reads, in a few C calls.

A status poll verifies one token, and a protected site one pass or site-session cookie per
request; itsdangerous walks several layers of Python helpers per token (signer objects, a
derived key, lenient base64 helpers, a ``datetime``): about 12 µs against 3 µs here, most of
a poll's cost and a tenth of a shop's sold-out answer. The format is small and fixed by the
contract, so this module (part of the connector, so any protected site reads tokens the same
way) writes and reads it itself::

    token       = payload "." timestamp "." signature   (each part base64url, no padding)
    payload     = compact JSON              (or "." + zlib(JSON): read, never written)
    timestamp   = unix seconds, big-endian, no leading zero bytes (at most 8 bytes)
    signature   = HMAC-SHA256(signing key, payload "." timestamp)
    signing key = itsdangerous' derived key of a secret key and the salt (``django-concat``:
                  SHA-256 of salt + "signer" + key), computed by ``itsdangerous.Signer.derive_key``

The newest (last) secret key signs; every key verifies, the newest first. A token is accepted
when a key's signature matches (compared in constant time), its age is at most ``max_age``
(plus the leeway) and not in the future (beyond the leeway), and its payload is JSON; each part
is decoded as leniently as itsdangerous decodes it. So itsdangerous reads every token written
here, every token it writes is read here, and nothing it refuses is accepted here
(tests/unit/test_token_contract.py). The HMAC is the standard library's, each key's
state made once and copied per token.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import time
import zlib
from collections.abc import Sequence
from typing import Any

import orjson
from itsdangerous import Signer

_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_PADDING = (b"", b"===", b"==", b"=")
"""By length modulo 4: the ``=`` that make a base64 length a multiple of 4."""
MAX_TIMESTAMP_BYTES = 8


class BadToken(ValueError):
    """Not a genuine token of this format, key list and salt (itsdangerous' ``BadData``)."""


class ExpiredToken(BadToken):
    """Genuine, but older than ``max_age`` or stamped in the future (``SignatureExpired``)."""


def base64url_encode(data: bytes) -> bytes:
    return binascii.b2a_base64(data, newline=False).translate(_TO_URLSAFE).rstrip(b"=")


def base64url_decode(data: bytes) -> bytes:
    """As itsdangerous' ``base64_decode`` for ASCII input: padded, then decoded leniently."""
    return binascii.a2b_base64(data.translate(_TO_STANDARD) + _PADDING[len(data) % 4])


class SignedFormat:
    """Writes and reads the tokens of one salt and one rotation list of secret keys."""

    def __init__(self, secret_keys: Sequence[str], salt: str) -> None:
        if not secret_keys:
            raise ValueError("at least one secret key is required")
        deriving = Signer(list(secret_keys), salt=salt, digest_method=hashlib.sha256)
        keyed = [
            hmac.new(deriving.derive_key(secret_key), digestmod=hashlib.sha256)
            for secret_key in deriving.secret_keys
        ]
        self._signing = keyed[-1]
        self._verifying = keyed[::-1]

    def dumps(self, payload: Any, now_seconds: float | None = None) -> str:
        """The token of ``payload`` (JSON), signed by the newest key, stamped ``now``."""
        now = int(time.time() if now_seconds is None else now_seconds)
        stamp = base64url_encode(now.to_bytes((now.bit_length() + 7) // 8, "big"))
        value = base64url_encode(orjson.dumps(payload)) + b"." + stamp
        mac = self._signing.copy()
        mac.update(value)
        return (value + b"." + base64url_encode(mac.digest())).decode("ascii")

    def loads(
        self,
        token: str,
        max_age_seconds: int,
        leeway_seconds: int = 0,
        now_seconds: float | None = None,
    ) -> Any:
        """The payload of a genuine token at most ``max_age_seconds`` (plus the leeway) old and
        at most ``leeway_seconds`` in the future (as of ``now_seconds``, default now); raises
        :class:`BadToken` or :class:`ExpiredToken`. ``token`` must be ASCII (callers check)."""
        value, separator, signature = token.encode("ascii").rpartition(b".")
        if not separator:
            raise BadToken("no signature")
        try:
            presented = base64url_decode(signature)
        except binascii.Error:
            raise BadToken("malformed signature") from None
        for keyed in self._verifying:
            mac = keyed.copy()
            mac.update(value)
            if hmac.compare_digest(mac.digest(), presented):
                break
        else:
            raise BadToken("the signature does not match")
        payload, separator, stamp = value.rpartition(b".")
        if not separator:
            raise BadToken("no timestamp")
        try:
            stamp_bytes = base64url_decode(stamp)
        except binascii.Error:
            raise BadToken("malformed timestamp") from None
        if len(stamp_bytes) > MAX_TIMESTAMP_BYTES:
            raise BadToken("malformed timestamp")
        now = int(time.time() if now_seconds is None else now_seconds)
        age = now - int.from_bytes(stamp_bytes, "big")
        if age > max_age_seconds + leeway_seconds or age < -leeway_seconds:
            raise ExpiredToken(f"signature age {age} s outside 0..{max_age_seconds} s")
        return load_payload(payload)


def load_payload(payload: bytes) -> Any:
    """The JSON of a payload, compressed (leading ``.``) or not; :class:`BadToken` when it
    cannot be read."""
    try:
        if payload[:1] == b".":
            return orjson.loads(zlib.decompress(base64url_decode(payload[1:])))
        return orjson.loads(base64url_decode(payload))
    except (ValueError, zlib.error):
        # binascii.Error and orjson.JSONDecodeError are ValueErrors
        raise BadToken("the payload cannot be read") from None
