"""``GET /api/v1/admin/queues/{queue_id}/live``: every figure of the dashboard in one answer."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from waitroom.fan.session import checked_queue_id
from waitroom.organizer.api import _json
from waitroom.organizer.auth import require_admin
from waitroom.organizer.live_figures import live_document
from waitroom.organizer.local_time import TIME_ZONE_COOKIE, zone_named
from waitroom.web.runtime import runtime_of


async def live_endpoint(request: Request) -> Response:
    runtime = runtime_of(request)
    require_admin(request)
    queue_id = checked_queue_id(request.path_params["queue_id"])
    runtime.views.invalidate(queue_id)  # organizers see the figures of this instant
    view = await runtime.views.get(queue_id)
    content = await runtime.fan.content.get(queue_id)
    # texts in the dashboard's zone (its cookie); API callers get UTC
    zone = zone_named(request.cookies.get(TIME_ZONE_COOKIE))
    document = await live_document(runtime.redis, view, content.surveys, zone)
    return _json(document)
