"""Organizer changes shared by the JSON API and the dashboard forms: apply, then audit."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from service_kit.errors import InvalidInput
from service_kit.models import to_builtins
from waitroom.admission import QueueSettings, QueueState, queue_settings
from waitroom.organizer import audit
from waitroom.organizer.metrics import organizer_metrics
from waitroom.queue.codes import CodeKind, CodeStore
from waitroom.queue.rate_history import record_rate
from waitroom.queue.schedule import reopen_prequeue
from waitroom.web.runtime import Runtime


def audit_action(changes: dict[str, Any], created: bool) -> str:
    """A short verb for the audit log: create, pause, resume, close, sold_out or update."""
    if created:
        return "create"
    state = changes.get("state")
    return {"paused": "pause", "open": "resume", "closed": "close", "sold_out": "sold_out"}.get(
        str(state), "update"
    )


RATE_FIELDS = frozenset({"rate_per_minute", "state", "opens_at"})
"""Fields that change what the queue admits (recorded in its rate history)."""


async def update_queue(
    runtime: Runtime,
    queue_id: str,
    actor: str,
    fields: QueueSettings | Mapping[str, Any],
    source: str = "organizer",
) -> bool:
    """Create/update the queue, record it, refresh this process's view. Other processes see
    the change at their next view refresh (<= the refresh interval). Raises InvalidInput.

    An opening time in the future on a queue that has opened already puts the fans who come
    from now on into a pre-queue with a fair draw at that time (:mod:`waitroom.queue.schedule`)."""
    settings = queue_settings(fields)
    created = await runtime.store.configure(queue_id, settings)
    changes: dict[str, Any] = to_builtins(settings)
    opens_at = changes.get("opens_at")
    if not created and isinstance(opens_at, int | float) and opens_at > time.time():
        await reopen_prequeue(runtime.redis, queue_id)
    if settings.state is QueueState.OPEN and runtime.views.state_guard is not None:
        await runtime.views.state_guard.clear_alerts(queue_id)  # the organizer resumed
    await record_change(runtime, queue_id, actor, audit_action(changes, created), changes)
    runtime.views.invalidate(queue_id)
    if created or RATE_FIELDS & changes.keys():
        view = await runtime.views.get(queue_id)
        await record_rate(runtime.redis, queue_id, view.snapshot.config, source)
    return created


async def create_code(
    runtime: Runtime,
    queue_id: str,
    actor: str,
    kind: CodeKind,
    max_uses: int,
    label: str,
    code: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """Create a priority/bypass code and record it (never the plain code); (plain, document)."""
    codes = CodeStore(runtime.store.scripts)
    plain, document = await codes.create(queue_id, kind, max_uses, label, code)
    await record_change(
        runtime,
        queue_id,
        actor,
        "code_create",
        {"code_id": document["code_id"], "kind": kind.value, "max_uses": max_uses},
    )
    return plain, document


async def revoke_code(runtime: Runtime, queue_id: str, actor: str, code_id: str) -> dict[str, Any]:
    """Revoke a code and record it; the code's public description."""
    document = await CodeStore(runtime.store.scripts).revoke(queue_id, code_id)
    await record_change(runtime, queue_id, actor, "code_revoke", {"code_id": code_id})
    return document


CONTENT_WORDS = {"surveys": "surveys", "upsells": "upsell cards", "profile_form": "profile form"}


async def save_content(
    runtime: Runtime, queue_id: str, actor: str, kind: str, document: dict[str, Any]
) -> None:
    """Store a validated fan page document (``surveys``, ``upsells``, ``profile_form``) and
    record it; fans see it within the content cache's few seconds."""
    await runtime.fan.content.put(queue_id, kind, document)
    items = document.get(kind)
    count = {"count": len(items)} if isinstance(items, list) else {}
    await record_change(
        runtime, queue_id, actor, "content_update", {"kind": CONTENT_WORDS[kind], **count}
    )


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
