"""``GET /api/v1/queues/{queue_id}/frame``: the figures that are the same for every fan of a
queue, as one cacheable document.

A million waiting fans should not each ask the origin for the same serving point. The frame
carries the serving point, the measured outflow of admitted fans, the state, the opening time
and the stock hint, with ``Cache-Control: public, max-age=1`` and an ``ETag`` (``304`` on a
matching ``If-None-Match``), so a CDN or the nginx micro-cache (``deploy/nginx/waitroom.conf``)
answers nearly every fan. The queue page computes its own position and ETA from its signed
place and the frame; its per-fan requests are a heartbeat (the status endpoint) every
``heartbeat_after_ms`` (30 s with the default abandonment period) and the claim of the pass
when the frame says it is its turn.

One document per process view (:class:`~waitroom.queue.view.QueueView`, refreshed every
``WAITROOM_QUEUE_VIEW_REFRESH_SECONDS``): built and hashed once, served as bytes.
"""

from __future__ import annotations

import hashlib
from typing import Any, NamedTuple

import orjson
from starlette.requests import Request
from starlette.responses import Response

from service_kit.errors import ServiceError
from service_kit.problem_responses import error_response
from waitroom.admission import QueueState
from waitroom.fan.session import checked_queue_id
from waitroom.fan.status import ETA_SPREAD_LATER, ETA_SPREAD_SOONER
from waitroom.queue.view import QueueView
from waitroom.web.runtime import Runtime, runtime_of

FRAME_MAX_AGE_SECONDS = 1
HEARTBEAT_INTERVAL_MS = 30_000
"""A waiting page checks in this often (at most), so the origin sees <= 1 request per fan per
30 s; shorter only when the queue's abandonment period is under two minutes (a quarter of it),
so a page that stays open is never taken for gone."""


class Frame(NamedTuple):
    view: QueueView
    body: bytes
    etag: str


def frame_document(view: QueueView, runtime: Runtime) -> dict[str, Any]:
    snapshot = view.snapshot
    config = snapshot.config
    if not snapshot.opened and config.state is not QueueState.CLOSED:
        state = "prequeue" if config.state is QueueState.OPEN else config.state.value
    elif config.state is QueueState.OPEN and config.rate_per_minute == 0:
        state = QueueState.PAUSED.value
    else:
        state = config.state.value
    settings = runtime.settings
    abandon_ms = config.abandon_after_seconds * 1000
    heartbeat_ms = HEARTBEAT_INTERVAL_MS
    if abandon_ms > 0:
        heartbeat_ms = max(settings.poll_interval_min_ms // 2, min(heartbeat_ms, abandon_ms // 4))
    document: dict[str, Any] = {
        "queue_id": snapshot.queue_id,
        "epoch": snapshot.epoch,
        "state": state,
        "opened": snapshot.opened,
        "serving": snapshot.serving,
        "tail": snapshot.tail,
        "queue_length": snapshot.queue_length,
        "outflow_per_second": round(view.outflow_per_second, 4),
        "eta_spread": [ETA_SPREAD_SOONER, ETA_SPREAD_LATER],
        "heartbeat_after_ms": heartbeat_ms,
        "frame_poll_ms": settings.poll_interval_min_ms,
    }
    if config.opens_at:
        document["opens_at"] = config.opens_at
    if snapshot.tickets_remaining is not None:
        document["tickets_remaining"] = snapshot.tickets_remaining
    if config.sold_out_by_stock and config.state is QueueState.SOLD_OUT:
        document["stock_may_return"] = True
    if config.pause_reason and state == QueueState.PAUSED.value:
        document["pause_reason"] = config.pause_reason
    if config.abandon_after_seconds > 0:
        document["away_grace_seconds"] = config.away_grace_seconds
    return document


class FrameCache:
    """The encoded frame of each queue's current view (views are immutable per refresh)."""

    def __init__(self) -> None:
        self._frames: dict[str, Frame] = {}

    def frame(self, view: QueueView, runtime: Runtime) -> Frame:
        queue_id = view.snapshot.queue_id
        cached = self._frames.get(queue_id)
        if cached is not None and cached.view is view:
            return cached
        body = orjson.dumps(frame_document(view, runtime))
        etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        frame = Frame(view, body, etag)
        self._frames[queue_id] = frame
        return frame


async def frame_endpoint(request: Request) -> Response:
    runtime = runtime_of(request)
    try:
        queue_id = checked_queue_id(request.path_params["queue_id"])
        view = runtime.views.fresh(queue_id) or await runtime.views.get(queue_id)
    except ServiceError as error:
        return error_response(error)
    # one cache per app (built on first use: nothing at import time)
    cache: FrameCache | None = getattr(request.app.state, "frames", None)
    if cache is None:
        cache = request.app.state.frames = FrameCache()
    frame = cache.frame(view, runtime)
    headers = {
        "cache-control": f"public, max-age={FRAME_MAX_AGE_SECONDS}",
        "etag": frame.etag,
    }
    if frame.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(frame.body, media_type="application/json", headers=headers)
