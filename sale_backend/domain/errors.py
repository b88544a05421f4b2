"""The shop's error tree (RFC 9457 problems through service_kit.problems)."""

from __future__ import annotations

from service_kit.problems import Conflict, Forbidden, InvalidInput, NotFound, WaitroomError


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


class PaymentDeclined(WaitroomError):
    status = 402
    title = "Payment declined"
    type_slug = "payment-declined"


class PaymentTimedOut(WaitroomError):
    status = 504
    title = "Payment provider timed out"
    type_slug = "payment-timeout"


class PaymentStatusUnknown(WaitroomError):
    status = 503
    title = "Payment status unknown"
    type_slug = "payment-status-unknown"


class IdempotencyKeyMissing(InvalidInput):
    status = 428
    title = "Idempotency-Key required"
    type_slug = "idempotency-key-missing"


class IdempotencyKeyReused(InvalidInput):
    status = 422
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
