"""Refunds of an order or of single tickets.

A refund is recorded by one Lua script (tickets refunded, stock back, seats free, the buyer's
limit credited, a pending refund record), then sent to the payment provider by refund id (the
reconciler resends pending ones after a crash).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import msgspec

from sale_backend.domain.catalog import Event
from sale_backend.domain.documents import Refund
from sale_backend.domain.payments import PaymentProvider
from sale_backend.domain.records import stored_order
from sale_backend.domain.requests import RefundBody
from sale_backend.domain.stock_reporter import StockReporter
from sale_backend.errors import (
    OrderNotFound,
    PaymentProviderError,
    PaymentTimeout,
    TicketNotRefundable,
)
from sale_backend.storage.keys import event_of, new_id
from sale_backend.storage.store import SaleStore


def parse_ticket_ids(body: RefundBody) -> list[str]:
    """The tickets to refund (none listed: the whole order); each must be a ticket id."""
    for ticket_id in body.ticket_ids:
        event_of(ticket_id, "ticket")
    return list(body.ticket_ids)


@dataclass
class RefundService:
    store: SaleStore
    provider: PaymentProvider
    reporter: StockReporter

    async def refund(
        self, event: Event, order_id: str, ticket_ids: list[str], buyer: str | None
    ) -> Refund:
        """Refund tickets of an order (all valid ones when ``ticket_ids`` is empty).
        ``buyer`` restricts to the buyer's own orders; ``None`` is staff."""
        order = await stored_order(self.store, event.event_id, order_id)
        if order is None or (buyer is not None and order.buyer != buyer):
            raise OrderNotFound("no such order", order_id=order_id)
        refund_id = new_id(event.event_id, "r")
        answer = await self.store.scripts.refund(
            event.event_id, order_id, refund_id, int(time.time()), ticket_ids
        )
        if answer[0] == "missing":
            raise OrderNotFound("no such order", order_id=order_id)
        if answer[0] == "nothing":
            raise TicketNotRefundable("no ticket of this order can be refunded any more")
        if answer[0] == "ticket":
            raise TicketNotRefundable(
                f"ticket {answer[1]} cannot be refunded ({answer[2]})",
                ticket_id=answer[1],
                state=answer[2],
            )
        record = msgspec.json.decode(answer[2], type=Refund)
        self.reporter.changed(event, sold_delta=-len(record.ticket_ids))
        try:
            await self.provider.refund(record.payment_id, refund_id, int(answer[1]))
        except (PaymentProviderError, PaymentTimeout, OSError):
            return msgspec.structs.replace(record, status="pending")  # the reconciler resends it
        await self.store.mark_refund_done(event.event_id, refund_id)
        return msgspec.structs.replace(record, status="done")
