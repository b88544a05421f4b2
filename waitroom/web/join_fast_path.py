"""Pure-ASGI answer to ``POST /api/v1/queues/{queue_id}/join`` without a body.

In a surge every fan joins once, and the Starlette layers (middleware, routing, the endpoint
wrapper, ``Response``) cost about as much as the join's own work (one share of a Redis script
call, one token). This middleware answers joins that carry no body straight from the ASGI
scope through :func:`waitroom.fan.api.join_answer`, the function the Starlette endpoint
serves too, so body, headers, cookies and errors are the same. A join with a body (the
endpoint reads none, but the app's body limits apply to it) and every other request go on to
the app. Like :class:`~waitroom.web.fast_path.StatusFastPath` it observes the request
histogram with the route's own labels and maps store failures to 503 itself.
"""

from __future__ import annotations

import time

import orjson
from prometheus_client import Histogram
from starlette.requests import Request
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from service_kit.errors import ServiceError
from service_kit.problem_responses import error_response
from service_kit.request_body import FORM_TYPES
from waitroom.errors import QueueUnavailable
from waitroom.fan.api import join_answer
from waitroom.queue.availability import REDIS_ERRORS
from waitroom.web.metrics import RouteTimer
from waitroom.web.runtime import Runtime

JOIN_ROUTE_PATH = "/api/v1/queues/{queue_id}/join"
_PREFIX = "/api/v1/queues/"
_SUFFIX = "/join"
_STATIC_HEADERS = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]


def _media_type(content_type: bytes) -> str:
    return content_type.split(b";", 1)[0].strip().lower().decode("latin-1")


def _without_body(headers: list[tuple[bytes, bytes]]) -> bool:
    """No body, and not a form post (the page's "Join the queue" button posts an empty form,
    answered by the endpoint with a redirect)."""
    for name, value in headers:
        if name == b"content-length" and value.strip() not in (b"", b"0"):
            return False
        if name == b"transfer-encoding":
            return False
        if name == b"content-type" and _media_type(value) in FORM_TYPES:
            return False
    return True


class JoinFastPath:
    """Answers body-less ``POST`` joins; hands every other request to the wrapped app."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self._route: BaseRoute | None = None
        self._timer = RouteTimer(histogram, "POST", JOIN_ROUTE_PATH)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            path: str = scope["path"]
            root_path: str = scope.get("root_path", "")
            if root_path and path.startswith(root_path):
                path = path[len(root_path):]
            if path.startswith(_PREFIX) and path.endswith(_SUFFIX):
                queue_id = path[len(_PREFIX) : -len(_SUFFIX)]
                if queue_id and "/" not in queue_id and _without_body(scope["headers"]):
                    started = time.perf_counter()
                    status_code = 500
                    try:
                        status_code = await self._answer(scope, receive, send, queue_id)
                    finally:
                        self._timer.observe(status_code, time.perf_counter() - started)
                    return
        await self.app(scope, receive, send)

    def _join_route(self, scope: Scope) -> BaseRoute | None:
        if self._route is None:
            for route in scope["app"].router.routes:
                if isinstance(route, Route) and route.path == JOIN_ROUTE_PATH:
                    self._route = route
                    break
        return self._route

    async def _answer(self, scope: Scope, receive: Receive, send: Send, queue_id: str) -> int:
        runtime: Runtime = scope["app"].runtime
        # what the Starlette route would have set, for the Request and problem answers
        scope["route"] = self._join_route(scope)
        scope["path_params"] = {"queue_id": queue_id}
        try:
            joined = await join_answer(runtime, Request(scope, receive), queue_id)
        except ServiceError as error:
            return await _problem(scope, receive, send, error)
        except REDIS_ERRORS:
            # this middleware sits outside the app's exception handlers: fail closed here
            unavailable = QueueUnavailable(queue_id, runtime.protection.retry_after_seconds)
            return await _problem(scope, receive, send, unavailable)
        body = orjson.dumps(joined.body)
        headers = [(b"content-length", str(len(body)).encode("latin-1")), *_STATIC_HEADERS]
        headers += [(b"set-cookie", cookie.encode("latin-1")) for cookie in joined.cookies]
        start = {"type": "http.response.start", "status": joined.status_code, "headers": headers}
        await send(start)
        await send({"type": "http.response.body", "body": body})
        return joined.status_code


async def _problem(scope: Scope, receive: Receive, send: Send, error: ServiceError) -> int:
    response = error_response(error)
    await response(scope, receive, send)
    return response.status_code
