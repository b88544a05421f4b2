"""After the provider answered: turn a paid hold into an order, or settle the payment.

Shared by checkout (the normal path) and the reconciler (after a crash). Every step is a Lua
script keyed by the payment id, so running it twice never sells twice or loses an order. The
order and its tickets e-mail (when e-mail is on and the buyer gave an address) are written by
the same script, so no crash can leave a paid order whose buyer never gets the tickets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sale_backend.domain.catalog import Event
from sale_backend.domain.documents import Order, Payment
from sale_backend.domain.holds import Hold
from sale_backend.domain.order_links import OrderLinks
from sale_backend.domain.orders import (
    as_paid,
    build_order,
    confirm_args,
    load_order,
    public_order,
    with_new_short_codes,
)
from sale_backend.domain.payments import PaymentProvider
from sale_backend.domain.stock_reporter import StockReporter
from sale_backend.domain.ticket_mail import TicketMail
from sale_backend.domain.tickets import TicketCodes
from sale_backend.errors import (
    HoldExpired,
    PaymentDeclined,
    PaymentProviderError,
    PaymentStatusUnknown,
    PaymentTimeout,
)
from sale_backend.storage.store import SaleStore
from service_kit.errors import ServiceError
from service_kit.models import encode

SHORT_CODE_ATTEMPTS = 5
"""Draws of short codes for one order (a collision within an event is a 1 in 10^8 event)."""


ORDER_CREATED_STATUS = 201
"""The status an order's answer is recorded (and replayed) with; the confirm script records
the same number."""


@dataclass(frozen=True, slots=True)
class Answer:
    """The recorded answer of a checkout: what an Idempotency-Key replays, byte for byte.

    An order's answer is recorded here; an error's is made by the web layer
    (``Fulfilment.answer_of_error``), so this module knows no HTTP mapping."""

    status: int
    body: bytes
    order_id: str | None = None
    replayed: bool = False
    sold_at_version_us: int | None = None
    """The sale Redis time of the sale (unix µs), on the answer that made the order: the
    event's stock reports are versioned by the same clock, so the waiting room knows which
    report counted it."""

    @property
    def created(self) -> bool:
        return self.status == ORDER_CREATED_STATUS


AnswerOfError = Callable[[ServiceError], Answer]


@dataclass
class Fulfilment:
    store: SaleStore
    provider: PaymentProvider
    reporter: StockReporter
    codes: TicketCodes
    links: OrderLinks
    idempotency_ttl_seconds: int
    answer_of_error: AnswerOfError
    """The answer an error is recorded with (the shop's web layer: its problem body)."""
    ticket_mail: TicketMail | None = None
    """Set when tickets are e-mailed (SMTP and the shop's public address configured)."""

    async def confirm(
        self, event: Event, hold: Hold, payment: Payment, idempotency_key: str | None
    ) -> Answer:
        """The payment succeeded: make the order (or refund when the hold was lost)."""
        order = build_order(
            event, hold, payment.payment_id, payment.name, payment.email, payment.language
        )
        for _ in range(SHORT_CODE_ATTEMPTS):
            response, answer = await self._confirm_once(order, payment, hold, idempotency_key)
            if answer[0] != "collision":
                break
            order = with_new_short_codes(order)
        if answer[0] == "collision":  # left pending: the reconciler confirms it later
            raise PaymentStatusUnknown("the order could not be written yet; it will be completed")
        if answer[0] == "ok":
            self.reporter.changed(event, sold_delta=hold.data.units)
            # confirm.lua's 'ok' carries the sale Redis time of the sale
            return Answer(ORDER_CREATED_STATUS, response, order.order_id, False, int(answer[1]))
        if answer[0] == "done":
            existing = await load_order(self.store, answer[1], None)
            view = public_order(existing, self.codes, self.links)
            return Answer(ORDER_CREATED_STATUS, encode(view), answer[1])
        return await self.refund_lost_hold(event, payment, idempotency_key)

    async def _confirm_once(
        self,
        order: Order,
        payment: Payment,
        hold: Hold,
        idempotency_key: str | None,
    ) -> tuple[bytes, tuple[str, ...]]:
        response = encode(public_order(as_paid(order), self.codes, self.links))
        mail = None if self.ticket_mail is None else self.ticket_mail.outbox_entry(order)
        answer = await self.store.scripts.confirm(
            order.event_id,
            payment.payment_id,
            hold.hold_id,
            order.order_id,
            encode(order),
            self.idempotency_ttl_seconds,
            response,
            confirm_args(order),
            idempotency_key,
            mail,
        )
        return response, answer

    async def refund_lost_hold(
        self, event: Event, payment: Payment, idempotency_key: str | None
    ) -> Answer:
        """Paid, but the hold expired first (the fence held): give the money back. If the
        provider fails now, the payment stays ``refund_required`` for the reconciler."""
        self.reporter.changed(event)
        try:
            await self.provider.refund(
                payment.payment_id, payment.payment_id + "-void", payment.amount_minor
            )
        except (PaymentProviderError, PaymentTimeout, OSError):
            raise HoldExpired(
                "the hold expired before the payment completed; the payment will be refunded",
                hold_id=payment.hold_id,
            ) from None
        error = HoldExpired(
            "the hold expired before the payment completed; the payment was refunded",
            hold_id=payment.hold_id,
        )
        answer = self.answer_of_error(error)
        await self.settle(event, payment, "refunded", answer, idempotency_key)
        return answer

    async def decline(
        self, event: Event, payment: Payment, reason: str, idempotency_key: str | None
    ) -> Answer:
        answer = self.answer_of_error(
            PaymentDeclined(f"the payment was declined ({reason})", reason=reason)
        )
        await self.settle(event, payment, "declined", answer, idempotency_key)
        return answer

    async def settle(
        self,
        event: Event,
        payment: Payment,
        status: str,
        answer: Answer | None,
        idempotency_key: str | None,
    ) -> None:
        """Close a payment without an order; an express checkout's hold goes back to stock.
        With an answer, the Idempotency-Key remembers it; without, the key is forgotten."""
        idempotency = (
            ["store", str(answer.status), answer.body.decode(), str(self.idempotency_ttl_seconds)]
            if answer is not None
            else ["forget"]
        )
        release = payment.express
        await self.store.scripts.settle_payment(
            event.event_id,
            payment.payment_id,
            payment.hold_id,
            status,
            release,
            idempotency,
            idempotency_key,
        )
        if release:
            self.reporter.changed(event)
