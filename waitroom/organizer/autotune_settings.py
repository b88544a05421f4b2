"""The organizer's side of autotune: turn it on or off and set its range and limits.

``GET``/``PUT /api/v1/admin/queues/{queue_id}/autotune`` (bearer token, or the dashboard's
session with its CSRF token) and the dashboard's autotune form. Every change is in the audit log
(action ``autotune_settings``); the decisions themselves are made by
:mod:`waitroom.organizer.autotune_loop`.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from service_kit.errors import InvalidInput
from service_kit.form_fields import decimal_of
from service_kit.request_body import read_json
from waitroom.errors import QueueNotFound
from waitroom.fan.session import checked_queue_id
from waitroom.organizer.actions import record_change
from waitroom.organizer.api import _json
from waitroom.organizer.auth import require_admin
from waitroom.organizer.form_models import AutotuneForm
from waitroom.queue.autotune_store import (
    AutotuneChange,
    AutotuneSettings,
    AutotuneStore,
    updated_settings,
)
from waitroom.queue.site_health import current_health
from waitroom.storage.keys import QueueKeys
from waitroom.web.runtime import Runtime, runtime_of

DECISIONS_SHOWN = 50


async def update_autotune(
    runtime: Runtime, queue_id: str, actor: str, change: AutotuneChange | dict[str, Any]
) -> AutotuneSettings:
    """Apply a partial update (raises InvalidInput, QueueNotFound); audited when it changes."""
    if not await runtime.redis.exists(QueueKeys(queue_id).config):
        raise QueueNotFound(queue_id)
    store = AutotuneStore(runtime.redis)
    current = await store.settings(queue_id)
    wanted = updated_settings(current, change)
    changes = {
        name: value for name, value in asdict(wanted).items() if value != getattr(current, name)
    }
    if not changes:
        return current
    await store.save(queue_id, wanted)
    await record_change(runtime, queue_id, actor, "autotune_settings", changes)
    return wanted


def autotune_change(form: AutotuneForm) -> AutotuneChange:
    """The dashboard's form as an API change (the error limit is typed in percent, with a
    decimal point or comma); min <= max is checked with the stored settings."""
    percent = decimal_of(form.max_error_percent)
    if percent > 100:
        raise InvalidInput("max_error_percent: a percentage 0..100", field="max_error_percent")
    return AutotuneChange(
        enabled=form.enabled == "on",
        min_rate_per_minute=form.min_rate_per_minute,
        max_rate_per_minute=form.max_rate_per_minute,
        target_p95_ms=form.target_p95_ms,
        max_error_ratio=round(float(percent) / 100, 6),
    )


async def autotune_document(runtime: Runtime, queue_id: str) -> dict[str, Any]:
    store = AutotuneStore(runtime.redis)
    settings = await store.settings(queue_id)
    health = await current_health(runtime.redis, queue_id)
    decisions = await store.decisions(queue_id)
    return {
        "queue_id": queue_id,
        **settings.document(),
        "interval_seconds": runtime.settings.autotune_interval_seconds,
        "health": None if health is None else health.document(),
        "decisions": [decision.document() for decision in decisions[:DECISIONS_SHOWN]],
        "now": round(time.time(), 3),
    }


async def get_autotune(request: Request) -> Response:
    runtime = runtime_of(request)
    require_admin(request)
    queue_id = checked_queue_id(request.path_params["queue_id"])
    await runtime.views.get(queue_id)  # QueueNotFound for unknown queues
    return _json(await autotune_document(runtime, queue_id))


async def put_autotune(request: Request) -> Response:
    runtime = runtime_of(request)
    actor = require_admin(request)
    queue_id = checked_queue_id(request.path_params["queue_id"])
    await update_autotune(runtime, queue_id, actor, await read_json(request, AutotuneChange))
    return _json(await autotune_document(runtime, queue_id))
