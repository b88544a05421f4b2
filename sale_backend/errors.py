"""The shop's errors: one module, subclasses of :mod:`service_kit.errors`'s kinds.

Plain errors that carry data and know nothing of HTTP; the shop's web layer answers them
through :func:`service_kit.problems.error_problem` (a page or an RFC 9457 problem body).
"""

from __future__ import annotations

from service_kit.errors import (
    BadUpstream,
    Conflict,
    ErrorKind,
    Forbidden,
    NotFound,
    PreconditionRequired,
    ServiceError,
    Unavailable,
    Unprocessable,
    UpstreamTimeout,
)


class EventNotFound(NotFound):
    type_slug = "event-not-found"

    def __init__(self, event_id: str) -> None:
        super().__init__(f"no event named {event_id!r}", event_id=event_id)


class SaleNotOpen(Conflict):
    title = "Sale not open"
    type_slug = "sale-not-open"


class SoldOut(Conflict):
    title = "Sold out"
    type_slug = "sold-out"


class SeatTaken(Conflict):
    title = "Seat taken"
    type_slug = "seat-taken"


class BuyerLimitReached(Conflict):
    title = "Ticket limit reached"
    type_slug = "buyer-limit"


class HoldNotFound(NotFound):
    title = "Hold not found or expired"
    type_slug = "hold-not-found"


class HoldExpired(Conflict):
    title = "Hold expired"
    type_slug = "hold-expired"


class PaymentInProgress(Conflict):
    title = "Payment in progress"
    type_slug = "payment-in-progress"


class PaymentDeclined(ServiceError):
    kind = ErrorKind.DECLINED
    title = "Payment declined"
    type_slug = "payment-declined"


class PaymentTimedOut(UpstreamTimeout):
    """The provider did not answer and nothing was charged: the buyer may try again."""

    title = "Payment provider timed out"
    type_slug = "payment-timeout"


class PaymentStatusUnknown(Unavailable):
    title = "Payment status unknown"
    type_slug = "payment-status-unknown"


class IdempotencyKeyMissing(PreconditionRequired):
    title = "Idempotency-Key required"
    type_slug = "idempotency-key-missing"


class IdempotencyKeyReused(Unprocessable):
    title = "Idempotency-Key reused with a different body"
    type_slug = "idempotency-key-reused"


class IdempotencyKeyBusy(Conflict):
    title = "A request with this Idempotency-Key is in progress"
    type_slug = "idempotency-key-busy"


class OrderNotFound(NotFound):
    title = "Order not found"
    type_slug = "order-not-found"


class TicketNotRefundable(Conflict):
    title = "Ticket cannot be refunded"
    type_slug = "ticket-not-refundable"


class TicketRejected(Conflict):
    title = "Ticket rejected"
    type_slug = "ticket-rejected"


class FormTokenInvalid(Forbidden):
    """A form posted without this browser's CSRF token (sale_backend.web.csrf)."""

    title = "This form has expired"
    type_slug = "form-token-invalid"


class CrossSiteRequest(Forbidden):
    """An unsafe request that the browser says came from another site or origin."""

    title = "Request from another site refused"
    type_slug = "cross-site-request"


class ShortCodeMistyped(TicketRejected):
    """Typed input that is meant as a short code but cannot be one (checked before any lookup)."""

    kind = ErrorKind.UNPROCESSABLE
    title = "Ticket code mistyped"
    type_slug = "ticket-code-mistyped"


class PaymentTimeout(UpstreamTimeout):
    """A provider adapter's signal: the provider did not answer in time; whether money moved is
    unknown until lookup (checkout settles it; buyers hear :class:`PaymentTimedOut` or
    :class:`PaymentStatusUnknown`)."""

    type_slug = "payment-provider-timeout"


class PaymentProviderError(BadUpstream):
    """The provider failed (network, 5xx); whether money moved is unknown until lookup.
    Provider adapters raise this (or PaymentTimeout) for every failure that is not a decline."""

    type_slug = "payment-provider-error"
