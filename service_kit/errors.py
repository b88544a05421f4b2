"""The one error tree of both apps: plain errors that carry data and know nothing of HTTP.

Like itsdangerous's exception module: every error raised on purpose is a :class:`ServiceError`.
An error has a *kind* (what went wrong, in words any caller understands: invalid input, not
found, conflict, ...), a ``type_slug`` naming the exact error (``sold-out``, ``token-rejected``),
a ``title``, a ``detail`` for people and ``extra`` data for programs (``field``, ``queue_id``,
``retry_after_seconds``, ...). Domain code raises them; only the web layer turns a kind into an
HTTP status (:mod:`service_kit.problems`, one table for both apps).

The packages add their own errors in one module each (``waitroom/errors.py``,
``waitroom/connector/errors.py``, ``sale_backend/domain/errors.py``), as subclasses of the kind
classes below. Errors that only make sense to the shared plumbing live here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar


class ErrorKind(StrEnum):
    """What went wrong, from the caller's side; the web layer maps each to one status."""

    INVALID_INPUT = "invalid_input"
    NOT_AUTHENTICATED = "not_authenticated"
    DECLINED = "declined"
    """A payment was refused by its provider."""
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    SLOW_CLIENT = "slow_client"
    """The client did not finish sending its request in time."""
    CONFLICT = "conflict"
    GONE = "gone"
    """It existed and is over for good (an ended session)."""
    TOO_LARGE = "too_large"
    """A request body above the limit."""
    UNPROCESSABLE = "unprocessable"
    """Well-formed, but contradicts what was said before (a reused Idempotency-Key)."""
    PRECONDITION_REQUIRED = "precondition_required"
    """Something must come first (proof of work, an Idempotency-Key)."""
    TOO_MANY = "too_many"
    HEAD_TOO_LARGE = "head_too_large"
    """A request line and headers above the limit."""
    BAD_UPSTREAM = "bad_upstream"
    """A service this one depends on answered something it does not understand."""
    UNAVAILABLE = "unavailable"
    UPSTREAM_TIMEOUT = "upstream_timeout"
    """A service this one depends on did not answer in time."""


class ServiceError(Exception):
    """Base of every error the apps raise on purpose.

    ``detail`` says what happened in words; keyword arguments are kept in ``extra`` (data for
    programs: the problem body carries them as extension members)."""

    kind: ClassVar[ErrorKind] = ErrorKind.INVALID_INPUT
    type_slug: ClassVar[str] = "bad-request"
    title: ClassVar[str | None] = None
    """None: the kind's title (see :mod:`service_kit.problems`)."""

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidInput(ServiceError):
    """Bad input; ``field`` (when given) names the field."""

    kind = ErrorKind.INVALID_INPUT
    type_slug = "invalid-input"


class NotAuthenticated(ServiceError):
    kind = ErrorKind.NOT_AUTHENTICATED
    type_slug = "not-authenticated"


class Forbidden(ServiceError):
    kind = ErrorKind.FORBIDDEN
    type_slug = "forbidden"


class NotFound(ServiceError):
    kind = ErrorKind.NOT_FOUND
    type_slug = "not-found"


class Conflict(ServiceError):
    kind = ErrorKind.CONFLICT
    type_slug = "conflict"


class Gone(ServiceError):
    kind = ErrorKind.GONE
    type_slug = "gone"


class Unprocessable(ServiceError):
    kind = ErrorKind.UNPROCESSABLE
    type_slug = "unprocessable"


class PreconditionRequired(ServiceError):
    kind = ErrorKind.PRECONDITION_REQUIRED
    type_slug = "precondition-required"


class TooMany(ServiceError):
    """Over a rate limit; ``retry_after_seconds`` (when given) says when to come back."""

    kind = ErrorKind.TOO_MANY
    type_slug = "too-many-requests"


class Unavailable(ServiceError):
    """A store or service is unreachable; ``retry_after_seconds`` says when to come back."""

    kind = ErrorKind.UNAVAILABLE
    type_slug = "unavailable"


class BadUpstream(ServiceError):
    kind = ErrorKind.BAD_UPSTREAM
    type_slug = "bad-upstream"


class UpstreamTimeout(ServiceError):
    kind = ErrorKind.UPSTREAM_TIMEOUT
    type_slug = "upstream-timeout"


class InvalidText(InvalidInput):
    """Typed text that cannot be stored (:mod:`service_kit.text_input`); ``extra`` carries
    ``field`` and ``reason``."""

    def __init__(self, field: str, reason: str, detail: str, **extra: object) -> None:
        super().__init__(f"{field} {detail}", field=field, reason=reason, **extra)


class TooManyAttempts(TooMany):
    """Too many failed logins from one address (:mod:`service_kit.throttle`)."""

    title = "Too many attempts"
    type_slug = "too-many-attempts"

    def __init__(self, who: str = "admin") -> None:
        super().__init__(f"too many failed {who} logins from this address: wait a minute")


class MetricsTokenRequired(NotAuthenticated):
    """``/metrics`` without the metrics bearer token (:mod:`service_kit.metrics_access`)."""

    type_slug = "metrics-token-required"
    title = "Metrics token required"


class BodyTooLarge(ServiceError):
    """A request body above the route's limit (:mod:`service_kit.body_limit`)."""

    kind = ErrorKind.TOO_LARGE
    type_slug = "body-too-large"

    def __init__(self, max_body_bytes: int) -> None:
        super().__init__(
            f"the request body is larger than this endpoint accepts ({max_body_bytes} bytes)",
            max_body_bytes=max_body_bytes,
        )


class BodyTimeout(ServiceError):
    """A request body that did not arrive in time (:mod:`service_kit.body_limit`)."""

    kind = ErrorKind.SLOW_CLIENT
    type_slug = "body-timeout"

    def __init__(self, read_timeout_seconds: float, max_body_bytes: int) -> None:
        super().__init__(
            f"the request body did not arrive within {read_timeout_seconds:g} s",
            max_body_bytes=max_body_bytes,
        )


class HeadTooLarge(ServiceError):
    """A request line and headers above the limit (:mod:`service_kit.http_protocol`)."""

    kind = ErrorKind.HEAD_TOO_LARGE
    type_slug = "head-too-large"

    def __init__(self, max_head_bytes: int) -> None:
        super().__init__(
            f"the request line and headers are larger than {max_head_bytes} bytes"
        )


class HeadTimeout(ServiceError):
    """A request head that did not arrive in time (:mod:`service_kit.http_protocol`)."""

    kind = ErrorKind.SLOW_CLIENT
    type_slug = "head-timeout"

    def __init__(self, head_timeout_seconds: float) -> None:
        super().__init__(
            f"the request headers did not arrive within {head_timeout_seconds:g} s"
        )


class SettingsError(ServiceError):
    """A setting (environment variable or command-line flag) has a value that cannot be used.

    ``str(error)`` is one line naming the setting: ``NAME='value': reason`` (``NAME is not set:
    reason`` for a missing one)."""

    kind = ErrorKind.INVALID_INPUT
    type_slug = "invalid-setting"

    def __init__(self, name: str, value: str, reason: str) -> None:
        said = f"{name} is not set" if value == "" else f"{name}={value!r}"
        super().__init__(f"{said}: {reason}", name=name, reason=reason)
        self.name = name
        self.value = value
        self.reason = reason


class RedisUrlError(InvalidInput):
    """A Redis URL that cannot be used (:mod:`service_kit.redis_client`)."""

    type_slug = "invalid-redis-url"


class AddressInUse(Conflict):
    """The address a server should listen on is taken (another program listens there), or
    cannot be bound at all (``reason`` is the system's word for it)."""

    type_slug = "address-in-use"

    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(f"cannot listen on {host}:{port}: {reason}", host=host, port=port)
        self.host = host
        self.port = port
