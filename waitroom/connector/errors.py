"""The connector's errors: part of the one tree (:mod:`service_kit.errors`), in this package's
own module because a protected site imports the connector on its own.

Raised by the codecs, the client and the session cache; only the middleware (and a site's own
handlers) turn them into answers, through :mod:`service_kit.problems`. ``type_slug`` is the
problem type (``pass-in-use``), and the answers of the waiting room's connector API map back to
the same classes (:data:`ERRORS_BY_SLUG`).
"""

from __future__ import annotations

from service_kit.errors import ErrorKind, ServiceError


class ConnectorError(ServiceError):
    """Base of every connector error; ``detail`` says what happened in words."""

    title = "Connector error"
    type_slug = "connector-error"


class PassMissing(ConnectorError):
    kind = ErrorKind.NOT_AUTHENTICATED
    title = "Session required"
    type_slug = "session-required"


class PassInvalid(ConnectorError):
    """Bad signature, malformed claims, another queue's pass, or a visitor id in clear."""

    kind = ErrorKind.NOT_AUTHENTICATED
    title = "Pass invalid"
    type_slug = "pass-invalid"


class PassExpired(ConnectorError):
    kind = ErrorKind.NOT_AUTHENTICATED
    title = "Pass expired"
    type_slug = "pass-expired"


class PassInUse(ConnectorError):
    """Claimed by another browser session (or as a bearer token by an API client)."""

    kind = ErrorKind.CONFLICT
    title = "Pass in use"
    type_slug = "pass-in-use"


class PassEnded(ConnectorError):
    """Its session ended (purchase completed, or ended by the site or the organizer)."""

    kind = ErrorKind.GONE
    title = "Pass ended"
    type_slug = "pass-ended"


class SessionInvalid(ConnectorError):
    kind = ErrorKind.NOT_AUTHENTICATED
    title = "Session invalid"
    type_slug = "session-invalid"


class SessionExpired(ConnectorError):
    kind = ErrorKind.NOT_AUTHENTICATED
    title = "Session expired"
    type_slug = "session-expired"


class SessionEnded(ConnectorError):
    kind = ErrorKind.GONE
    title = "Session ended"
    type_slug = "session-ended"


class SessionNotFound(ConnectorError):
    kind = ErrorKind.NOT_FOUND
    title = "Session not found"
    type_slug = "session-not-found"


class SiteAuthRejected(ConnectorError):
    """The waiting room refused the site's credentials (``Authorization: Site ...``)."""

    kind = ErrorKind.NOT_AUTHENTICATED
    title = "Site auth rejected"
    type_slug = "site-auth-rejected"


class ConnectorUnavailable(ConnectorError):
    """The waiting room could not be reached or answered with a server error."""

    kind = ErrorKind.UNAVAILABLE
    title = "Connector unavailable"
    type_slug = "connector-unavailable"


class QueueUnknown(ConnectorUnavailable):
    """The waiting room does not know the site's queue (``404 queue-not-found``: the queue id
    is wrong, or the queue was deleted): nobody can be checked, so fans are refused as when the
    waiting room cannot be reached."""

    slug = "queue-not-found"


class ConnectorProtocolError(ConnectorError):
    """The waiting room answered something this connector does not understand."""

    kind = ErrorKind.BAD_UPSTREAM
    title = "Connector protocol"
    type_slug = "connector-protocol"


ERRORS_BY_SLUG: dict[str, type[ConnectorError]] = {
    error.type_slug: error
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
