"""Organizer changes shared by the JSON API and the dashboard forms: apply, then audit."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from waitroom import audit
from waitroom.organizer_metrics import organizer_metrics
from waitroom.problems import InvalidInput
from waitroom.runtime import Runtime


def audit_action(fields: dict[str, Any], created: bool) -> str:
    """A short verb for the audit log: create, pause, resume, close, sold_out or update."""
    if created:
        return "create"
    state = fields.get("state")
    return {"paused": "pause", "open": "resume", "closed": "close", "sold_out": "sold_out"}.get(
        str(state), "update"
    )


async def update_queue(runtime: Runtime, queue_id: str, actor: str, fields: dict[str, Any]) -> bool:
    """Create/update the queue (validated by the store), record it, refresh this process's view.
    Other processes see the change at their next view refresh (<= the refresh interval)."""
    created = await runtime.store.configure(queue_id, fields)
    await record_change(runtime, queue_id, actor, audit_action(fields, created), fields)
    runtime.views.invalidate(queue_id)
    return created


async def record_change(
    runtime: Runtime, queue_id: str, actor: str, action: str, changes: dict[str, Any]
) -> None:
    """Audit log entry plus the ``waitroom_admin_changes_total`` counter."""
    await audit.record(runtime.redis, queue_id, actor, action, changes)
    organizer_metrics(runtime).admin_changes.labels(queue_id, action).inc()


def parse_opens_at(raw: str) -> float:
    """Unix seconds, or an ISO 8601 time (UTC when no offset is given); blank = now."""
    text = raw.strip()
    if not text:
        return 0.0
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            "opens_at must be unix seconds or an ISO 8601 time", field="opens_at"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def parse_whole_number(raw: str, name: str) -> int:
    text = raw.strip()
    if not text.isdigit():
        raise InvalidInput(f"{name} must be a whole number", field=name)
    return int(text)
