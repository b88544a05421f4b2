"""Organizer endpoints for the events a queue fronts (bearer token or admin session + CSRF).

``DELETE /api/v1/admin/queues/{id}/events/{event_id}`` removes an event from the queue: its
figures go, the queue's state follows the other events, and the site's later reports of it are
refused (``409 event-removed``) until ``POST .../events/{event_id}/restore``. Both are written
to the audit log.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from waitroom.errors import QueueNotFound
from waitroom.fan.session import checked_queue_id
from waitroom.organizer import stock_actions
from waitroom.organizer.api import _json
from waitroom.organizer.auth import require_admin
from waitroom.queue.stock import stock_figures
from waitroom.queue.stock_reports import checked_event_id
from waitroom.storage.keys import QueueKeys
from waitroom.web.runtime import runtime_of


async def remove_event(request: Request) -> Response:
    runtime = runtime_of(request)
    actor = require_admin(request)
    queue_id = checked_queue_id(request.path_params["queue_id"])
    event_id = checked_event_id(request.path_params["event_id"])
    outcome = await stock_actions.remove_event(runtime, queue_id, actor, event_id)
    return _json(
        {
            "queue_id": queue_id,
            "event_id": event_id,
            "removed": True,
            "had_figures": outcome.removed,
            "queue_state": outcome.queue_state,
            "stock": await stock_figures(runtime.redis, queue_id),
        }
    )


async def restore_event(request: Request) -> Response:
    runtime = runtime_of(request)
    actor = require_admin(request)
    queue_id = checked_queue_id(request.path_params["queue_id"])
    event_id = checked_event_id(request.path_params["event_id"])
    if not await runtime.redis.exists(QueueKeys(queue_id).config):
        raise QueueNotFound(queue_id)
    restored = await stock_actions.restore_event(runtime, queue_id, actor, event_id)
    return _json({"queue_id": queue_id, "event_id": event_id, "restored": restored})
