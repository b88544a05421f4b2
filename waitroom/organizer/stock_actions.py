"""Stock steps shared by the connector API (a site's report) and the admin API (removing an
event from a queue): apply, tell this process's view at once, and keep an audit entry when
the queue's state changed."""

from __future__ import annotations

from waitroom.organizer import audit
from waitroom.organizer.actions import record_change
from waitroom.queue.rate_history import record_rate
from waitroom.queue.stock import StockOutcome
from waitroom.queue.stock_reports import EventStockReport
from waitroom.web.runtime import Runtime

STOCK_ACTOR = "stock"
"""The audit log's actor of state changes decided by stock reports."""


async def apply_report(runtime: Runtime, queue_id: str, report: EventStockReport) -> StockOutcome:
    """Store a site's report of one event (raises QueueNotFound, EventRemoved)."""
    outcome = await runtime.stock.report(queue_id, report)
    await _after(runtime, queue_id, outcome, report.event_id)
    return outcome


async def remove_event(runtime: Runtime, queue_id: str, actor: str, event_id: str) -> StockOutcome:
    """The organizer removes ``event_id`` from the queue (raises QueueNotFound)."""
    outcome = await runtime.stock.remove(queue_id, event_id)
    await record_change(runtime, queue_id, actor, "event_remove", {"event_id": event_id})
    await _after(runtime, queue_id, outcome, event_id)
    return outcome


async def restore_event(runtime: Runtime, queue_id: str, actor: str, event_id: str) -> bool:
    """The organizer lets a removed event's reports in again."""
    restored = await runtime.stock.restore(queue_id, event_id)
    if restored:
        await record_change(runtime, queue_id, actor, "event_restore", {"event_id": event_id})
    return restored


async def _after(runtime: Runtime, queue_id: str, outcome: StockOutcome, event_id: str) -> None:
    # this process tells its fans at once (state and hint); the others at their next refresh
    runtime.views.invalidate(queue_id)
    if not outcome.state_changed:
        return
    action = "sold_out" if outcome.queue_state == "sold_out" else "reopen"
    await audit.record(
        runtime.redis,
        queue_id,
        STOCK_ACTOR,
        action,
        {"state": outcome.queue_state, "event_id": event_id},
    )
    view = await runtime.views.get(queue_id)
    await record_rate(runtime.redis, queue_id, view.snapshot.config, STOCK_ACTOR)
