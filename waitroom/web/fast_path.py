"""Pure-ASGI shell for the hottest request: ``GET /api/v1/queues/{queue_id}/status``.

Starlette's routing, ``Request`` and ``Response`` objects cost more than the status work itself
(one token verification plus in-process math on the cached queue view). This middleware matches
status polls on the ASGI scope and sends :func:`waitroom.fan.status_reply.status_reply`, the one
implementation the Starlette route :func:`waitroom.fan.api.status_endpoint` sends too (it still
serves everything handed on: ``HEAD``, other paths).
"""

from __future__ import annotations

import time

from prometheus_client import Histogram
from starlette.types import ASGIApp, Receive, Scope, Send

from waitroom.fan.status_reply import status_reply
from waitroom.web.metrics import RouteTimer
from waitroom.web.runtime import Runtime

STATUS_ROUTE_PATH = "/api/v1/queues/{queue_id}/status"
_PREFIX = "/api/v1/queues/"
_SUFFIX = "/status"


class StatusFastPath:
    """Answers ``GET`` status polls; hands every other request to the wrapped app.

    :class:`waitroom.web.app.WaitroomApp` puts it in front of every other middleware. It observes
    the histogram of :class:`~waitroom.web.metrics.RequestTimingMiddleware` with the same labels
    itself, which saves wrapping ``send``.
    """

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self._timer = RouteTimer(histogram, "GET", STATUS_ROUTE_PATH)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            root_path: str = scope.get("root_path", "")
            if root_path and path.startswith(root_path):
                path = path[len(root_path) :]
            if path.startswith(_PREFIX) and path.endswith(_SUFFIX):
                queue_id = path[len(_PREFIX) : -len(_SUFFIX)]
                if queue_id and "/" not in queue_id:
                    started = time.perf_counter()
                    status_code = 500
                    try:
                        runtime: Runtime = scope["app"].runtime
                        reply = await status_reply(runtime, scope, queue_id)
                        status_code = reply.status_code
                        await send(
                            {
                                "type": "http.response.start",
                                "status": status_code,
                                "headers": reply.headers,
                            }
                        )
                        await send({"type": "http.response.body", "body": reply.body})
                    finally:
                        self._timer.observe(status_code, time.perf_counter() - started)
                    return
        await self.app(scope, receive, send)
