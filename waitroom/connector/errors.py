"""The connector's errors: one tree, each with a machine-readable ``slug`` and an HTTP status.

Raised by the codecs, the client and the session cache; only the middleware (and a site's own
handlers) turn them into answers. ``slug`` is the problem type (``pass-in-use``), and the
answers of the waiting room's connector API map back to the same classes.
"""

from __future__ import annotations

from typing import Any


class ConnectorError(Exception):
    """Base of every connector error; ``detail`` says what happened in words."""

    slug = "connector-error"
    status = 400

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class PassMissing(ConnectorError):
    slug = "session-required"
    status = 401


class PassInvalid(ConnectorError):
    """Bad signature, malformed claims, another queue's pass, or a visitor id in clear."""

    slug = "pass-invalid"
    status = 401


class PassExpired(ConnectorError):
    slug = "pass-expired"
    status = 401


class PassInUse(ConnectorError):
    """Claimed by another browser session (or as a bearer token by an API client)."""

    slug = "pass-in-use"
    status = 409


class PassEnded(ConnectorError):
    """Its session ended (purchase completed, or ended by the site or the organizer)."""

    slug = "pass-ended"
    status = 410


class SessionInvalid(ConnectorError):
    slug = "session-invalid"
    status = 401


class SessionExpired(ConnectorError):
    slug = "session-expired"
    status = 401


class SessionEnded(ConnectorError):
    slug = "session-ended"
    status = 410


class SessionNotFound(ConnectorError):
    slug = "session-not-found"
    status = 404


class SiteAuthRejected(ConnectorError):
    """The waiting room refused the site's credentials (``Authorization: Site ...``)."""

    slug = "site-auth-rejected"
    status = 401


class ConnectorUnavailable(ConnectorError):
    """The waiting room could not be reached or answered with a server error."""

    slug = "connector-unavailable"
    status = 503


class QueueUnknown(ConnectorUnavailable):
    """The waiting room does not know the site's queue (``404 queue-not-found``: the queue id
    is wrong, or the queue was deleted): nobody can be checked, so fans are refused as when the
    waiting room cannot be reached."""

    slug = "queue-not-found"


class ConnectorProtocolError(ConnectorError):
    """The waiting room answered something this connector does not understand."""

    slug = "connector-protocol"
    status = 502


ERRORS_BY_SLUG: dict[str, type[ConnectorError]] = {
    error.slug: error
    for error in (
        PassMissing,
        PassInvalid,
        PassExpired,
        PassInUse,
        PassEnded,
        SessionInvalid,
        SessionExpired,
        SessionEnded,
        SessionNotFound,
        SiteAuthRejected,
        ConnectorUnavailable,
        QueueUnknown,
    )
}
