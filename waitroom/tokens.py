"""Sign and verify position tokens (itsdangerous, HMAC-SHA256).

Contract (see docs/architecture.md):
- ``URLSafeTimedSerializer`` with ``signer_kwargs={"digest_method": hashlib.sha256}``;
- a distinct salt per kind: ``waitroom.position`` here, ``waitroom.pass`` for passes (issued and
  verified by :mod:`waitroom.connector.passes`, the same code every protected site runs);
- secret keys as a list for rotation: the newest (last) signs, all verify;
- ``max_age`` is always passed on verification, with the clock leeway
  (``WAITROOM_CLOCK_LEEWAY_SECONDS``) of :func:`waitroom.connector.signing.loads_with_leeway`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Any, NamedTuple

import orjson
from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, want_bytes
from itsdangerous.signer import HMACAlgorithm, Signer
from itsdangerous.url_safe import URLSafeSerializerMixin

from waitroom.connector.signing import DEFAULT_CLOCK_LEEWAY_SECONDS, loads_with_leeway
from waitroom.token_fast_verify import FastTimedLoader

POSITION_SALT = "waitroom.position"
MAX_TOKEN_LENGTH = 1024


class TokenError(Exception):
    """Base for token problems; ``reason`` is a short machine-readable word."""

    reason = "invalid"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class TokenMissing(TokenError):
    reason = "missing"


class TokenMalformed(TokenError):
    reason = "malformed"


class TokenInvalid(TokenError):
    reason = "invalid"


class TokenExpired(TokenError):
    reason = "expired"


class TokenForeign(TokenError):
    """Valid signature, but for another queue, epoch or visitor."""

    reason = "foreign"


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


class _KeyedHMACAlgorithm(HMACAlgorithm):
    """HMAC-SHA256 exactly as itsdangerous computes it, with the keyed HMAC state (the hashed
    inner and outer pads) prepared once per key and copied for each message."""

    def __init__(self, digest_method: Any) -> None:
        super().__init__(digest_method)
        self._keyed: dict[bytes, hmac.HMAC] = {}

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        keyed = self._keyed.get(key)
        if keyed is None:
            keyed = self._keyed[key] = hmac.new(key, digestmod=self.digest_method)
        mac = keyed.copy()
        mac.update(value)
        return mac.digest()


class _DerivedKeyCachingSigner(TimestampSigner):
    """itsdangerous derives the HMAC key from salt and secret key on every call; the result
    depends on those two only, so each secret key's derived key is computed once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._derived: dict[str | bytes | None, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        derived = self._derived.get(secret_key)
        if derived is None:
            derived = self._derived[secret_key] = super().derive_key(secret_key)
        return derived


class _CompactJSON:
    """orjson both ways: for the claims (text and integers) it writes exactly the bytes of
    itsdangerous' compact JSON (``separators=(",", ":")``, ``ensure_ascii=False``), in a
    fraction of the time (every join issues a token)."""

    @staticmethod
    def loads(payload: str | bytes) -> Any:
        return orjson.loads(payload)

    @staticmethod
    def dumps(obj: Any, **_: Any) -> str:
        return orjson.dumps(obj).decode()


class _SignerCachingSerializer(URLSafeTimedSerializer):
    """``URLSafeTimedSerializer`` that builds its signer for its own salt once, not per call,
    and issues tokens without zlib compression."""

    default_signer = _DerivedKeyCachingSigner
    default_serializer = _CompactJSON

    def dump_payload(self, obj: Any) -> bytes:
        """The base64 JSON without the optional zlib step (no leading ``.``): a form plain
        ``URLSafeTimedSerializer.loads`` reads, which saves a decompression on every poll."""
        return base64_encode(super(URLSafeSerializerMixin, self).dump_payload(obj))

    def fast_loader(self) -> FastTimedLoader:
        """The common-case loader, keyed like this serializer's signer (newest key first)."""
        signer = self.make_signer()
        keys = [signer.derive_key(secret_key) for secret_key in reversed(signer.secret_keys)]
        return FastTimedLoader(keys, hashlib.sha256)

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        if salt is not None and want_bytes(salt) != self.salt:
            return super().make_signer(salt)
        cached: Signer | None = getattr(self, "_own_signer", None)
        if cached is None:
            cached = super().make_signer(None)
            self._own_signer = cached
        return cached

    def loads(  # type: ignore[override]
        self,
        s: str | bytes,
        max_age: int | None = None,
        return_timestamp: bool = False,
        salt: str | bytes | None = None,
    ) -> Any:
        """As ``TimedSerializer.loads``; with one signer and no timestamp wanted, it skips the
        signer generator and the datetime the base method builds and throws away."""
        if return_timestamp or salt is not None or self.fallback_signers:
            return super().loads(s, max_age, return_timestamp, salt)
        signer = self.make_signer()
        assert isinstance(signer, TimestampSigner)
        return self.load_payload(signer.unsign(s, max_age=max_age))


def _serializer(secret_keys: Sequence[str], salt: str) -> _SignerCachingSerializer:
    if not secret_keys:
        raise ValueError("at least one secret key is required")
    return _SignerCachingSerializer(
        list(secret_keys),
        salt=salt,
        signer_kwargs={
            "digest_method": hashlib.sha256,
            "algorithm": _KeyedHMACAlgorithm(hashlib.sha256),
        },
    )


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
        self._position = _serializer(secret_keys, POSITION_SALT)
        self._position_fast = self._position.fast_loader()
        self.position_max_age_seconds = position_max_age_seconds
        self.max_token_length = max_token_length
        self.clock_leeway_seconds = clock_leeway_seconds

    # -- position tokens -------------------------------------------------------------------
    def issue_position(self, claims: PositionClaims) -> str:
        return str(
            self._position.dumps(
                {
                    "q": claims.queue_id,
                    "e": claims.epoch,
                    "p": claims.position,
                    "v": claims.visitor_id,
                    "iat": claims.issued_at,
                }
            )
        )

    def verify_position(self, token: str | None, queue_id: str | None = None) -> PositionClaims:
        max_age = self.position_max_age_seconds
        payload = self._load(self._position, self._position_fast, token, max_age)
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
    def _load(
        self,
        serializer: URLSafeTimedSerializer,
        fast: FastTimedLoader,
        token: str | None,
        max_age_seconds: int,
    ) -> dict[str, Any]:
        max_age_seconds += self.clock_leeway_seconds
        if type(token) is str and len(token) <= self.max_token_length:
            payload: Any = fast.loads(token, max_age_seconds)
            if type(payload) is dict:
                return payload  # the common case, first: it runs on every status poll
        if token is None or token == "":
            raise TokenMissing("no token was sent")
        if not isinstance(token, str) or len(token) > self.max_token_length:
            raise TokenMalformed("the token is too long or not text")
        if not token.isascii():
            raise TokenMalformed("the token contains non-ASCII characters")
        try:
            # anything the common case did not accept: itsdangerous decides, with its errors
            # a timestamp up to the leeway in the future is accepted (a clock running ahead)
            payload = loads_with_leeway(
                serializer, token, max_age_seconds - self.clock_leeway_seconds,
                self.clock_leeway_seconds,
            )
        except SignatureExpired:
            raise TokenExpired("the token has expired") from None
        except BadData:
            raise TokenInvalid("the token signature is not valid") from None
        except (ValueError, TypeError, UnicodeError):
            raise TokenMalformed("the token cannot be decoded") from None
        if not isinstance(payload, dict):
            raise TokenMalformed("the token payload is not an object")
        return payload
