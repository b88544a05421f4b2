"""The common case of itsdangerous ``URLSafeTimedSerializer.loads``, in a few C calls.

Every status poll verifies one position token. ``loads`` walks signer objects, decodes the
signature, the timestamp and the payload through several layers of helpers, and builds
exceptions for control flow. :class:`FastTimedLoader` handles only the case where everything is
right: it compares the canonical encoding of the expected signature (newest secret key first,
as itsdangerous tries them), checks the age against ``max_age`` exactly as ``TimestampSigner``
does, and decodes the payload (compressed or not). Whenever anything is off (no match, odd
encoding, expired, undecodable), it returns ``None`` and the caller asks itsdangerous itself,
which then accepts or raises with its own error. So the accepted tokens and the errors are
those of a plain ``URLSafeTimedSerializer`` with the same parameters; nothing is cached per
token.
"""

from __future__ import annotations

import binascii
import hmac
import time
import zlib
from collections.abc import Sequence
from typing import Any

import orjson

_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")


_PADDING = (b"", b"===", b"==", b"=")
"""By length modulo 4: the ``=`` that make a base64 length a multiple of 4."""


def _urlsafe_decode(data: bytes) -> bytes:
    """As ``itsdangerous.encoding.base64_decode`` (pads, then the non-strict decoder)."""
    return binascii.a2b_base64(data.translate(_TO_STANDARD) + _PADDING[len(data) % 4])


class PaddedHmac:
    """HMAC (RFC 2104) of one key with its padded inner and outer hash states made once.

    ``hmac.new(key).copy()`` per token builds a Python ``HMAC`` object and copies an OpenSSL
    HMAC context; copying two plain hash states is about half the work. The result is the
    same bytes as ``hmac.digest(key, message, digest)`` (tested).
    """

    def __init__(self, key: bytes, digest_method: Any) -> None:
        block_size = digest_method().block_size
        if len(key) > block_size:
            key = digest_method(key).digest()
        key = key.ljust(block_size, b"\0")
        self._inner = digest_method(key.translate(_INNER_PAD))
        self._outer = digest_method(key.translate(_OUTER_PAD))

    def digest(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        digest: bytes = outer.digest()
        return digest


_INNER_PAD = bytes(byte ^ 0x36 for byte in range(256))
_OUTER_PAD = bytes(byte ^ 0x5C for byte in range(256))


class FastTimedLoader:
    """Loads tokens of one serializer (one salt); ``derived_keys`` newest first."""

    def __init__(self, derived_keys: Sequence[bytes], digest_method: Any) -> None:
        self._keyed = [PaddedHmac(key, digest_method) for key in derived_keys]

    def loads(self, token: str, max_age_seconds: int) -> Any | None:
        """The payload, or ``None`` when itsdangerous must decide (accept or raise)."""
        try:
            signed = token.encode("ascii")
            value, separator, signature = signed.rpartition(b".")
            if not separator:
                return None
            for keyed in self._keyed:
                expected = binascii.b2a_base64(keyed.digest(value), newline=False)
                if hmac.compare_digest(expected.translate(_TO_URLSAFE).rstrip(b"="), signature):
                    break
            else:
                return None
            payload, separator, timestamp = value.rpartition(b".")
            if not separator:
                return None
            # _urlsafe_decode, inline for the two pieces of every token
            timestamp = timestamp.translate(_TO_STANDARD) + _PADDING[len(timestamp) % 4]
            age = int(time.time()) - int.from_bytes(binascii.a2b_base64(timestamp), "big")
            if age > max_age_seconds or age < 0:
                return None
            if payload[:1] == b".":
                return orjson.loads(zlib.decompress(_urlsafe_decode(payload[1:])))
            payload = payload.translate(_TO_STANDARD) + _PADDING[len(payload) % 4]
            return orjson.loads(binascii.a2b_base64(payload))
        except (ValueError, TypeError, zlib.error):
            # binascii.Error and orjson.JSONDecodeError are ValueErrors
            return None
