"""Reconciliation: finish what a crashed process left between "payment recorded" and "order
written". Runs at start and then periodically, on intents older than a grace period (so it
never races a request that is still running in another process).

For each pending payment intent the provider is asked what happened (by payment id):
- charged: the order is written (same derived order id, so never twice), or, when the hold was
  lost meanwhile, the payment is refunded;
- declined: the payment is settled as declined;
- unknown to the provider: nothing was charged; the intent is abandoned.
Refunds recorded but not yet confirmed by the provider are sent again (idempotent by refund id).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sale_backend.domain.fulfilment import Fulfilment
from sale_backend.domain.holds import Hold
from sale_backend.domain.records import stored_event, stored_hold, stored_payment, stored_refund
from sale_backend.errors import EventNotFound


@dataclass
class ReconcileReport:
    orders_written: list[str] = field(default_factory=list)
    payments_refunded: int = 0
    payments_declined: int = 0
    payments_abandoned: int = 0
    refunds_resent: int = 0


async def reconcile(fulfilment: Fulfilment, older_than_seconds: float) -> ReconcileReport:
    store = fulfilment.store
    report = ReconcileReport()
    cutoff_ms = int((time.time() - older_than_seconds) * 1000)
    for event_id in await store.event_ids():
        try:
            event = await stored_event(store, event_id)
        except EventNotFound:
            continue
        for payment_id in await store.pending_payment_ids(event_id, cutoff_ms):
            found = await stored_payment(store, event_id, payment_id)
            if found is None or found[1] not in {"pending", "refund_required"}:
                continue
            payment, status = found
            idempotency_key = payment.idempotency_key
            if status == "refund_required":  # paid after its hold expired; refund did not finish
                await fulfilment.refund_lost_hold(event, payment, idempotency_key)
                report.payments_refunded += 1
                continue
            result = await fulfilment.provider.lookup(payment_id)
            if result is None:
                await fulfilment.settle(event, payment, "abandoned", None, idempotency_key)
                report.payments_abandoned += 1
            elif not result.succeeded:
                await fulfilment.decline(event, payment, result.reason, idempotency_key)
                report.payments_declined += 1
            else:
                held = await stored_hold(store, event_id, payment.hold_id)
                if held is None:
                    await fulfilment.refund_lost_hold(event, payment, idempotency_key)
                    report.payments_refunded += 1
                    continue
                hold = Hold(payment.hold_id, event_id, held[0], held[1])
                answer = await fulfilment.confirm(event, hold, payment, idempotency_key)
                if answer.order_id is not None:
                    report.orders_written.append(answer.order_id)
                else:
                    report.payments_refunded += 1
        for refund_id in await store.pending_refund_ids(event_id, cutoff_ms):
            record = await stored_refund(store, event_id, refund_id)
            if record is not None:
                await fulfilment.provider.refund(record.payment_id, refund_id, record.amount_minor)
                report.refunds_resent += 1
            await store.mark_refund_done(event_id, refund_id)
    return report
