"""Pure-ASGI answer to the hottest request: ``GET /api/v1/queues/{queue_id}/status``.

Starlette's routing, ``Request`` and ``Response`` objects cost more than the status work itself
(one token verification plus in-process math on the cached queue view). This middleware answers
status polls straight from the ASGI scope with the same steps, body, headers and errors as
:func:`waitroom.fan.api.status_endpoint`, which still serves everything handed on (``HEAD``,
other paths). Error answers and answers that set cookies use the ordinary Starlette objects.
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
from waitroom.errors import QueueUnavailable, TokenError
from waitroom.fan import session as fan_session
from waitroom.fan.api import status_body
from waitroom.fan.cookie_lookup import cookie_value
from waitroom.fan.cookies import position_cookie_name
from waitroom.fan.waiting import waiting_body
from waitroom.queue.availability import REDIS_ERRORS
from waitroom.web.metrics import RouteTimer
from waitroom.web.runtime import Runtime

STATUS_ROUTE_PATH = "/api/v1/queues/{queue_id}/status"
_PREFIX = "/api/v1/queues/"
_SUFFIX = "/status"
_STATIC_HEADERS = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]


def _presented_token(headers: list[tuple[bytes, bytes]], queue_id: str) -> str | None:
    """Bearer header first, else the queue's position cookie (as ``presented_token`` does)."""
    authorization: bytes | None = None
    cookie: bytes | None = None
    for name, value in headers:
        if name == b"authorization" and authorization is None:
            authorization = value
        elif name == b"cookie" and cookie is None:
            cookie = value
    if authorization is not None:
        scheme, _, credential = authorization.decode("latin-1").partition(" ")
        if scheme.lower() == "bearer" and credential.strip():
            return credential.strip()
    if cookie is None:
        return None
    return cookie_value(cookie.decode("latin-1"), position_cookie_name(queue_id))


class StatusFastPath:
    """Answers ``GET`` status polls; hands every other request to the wrapped app.

    :class:`waitroom.web.app.WaitroomApp` puts it in front of every other middleware. It observes
    the histogram of :class:`~waitroom.web.metrics.RequestTimingMiddleware` with the same labels
    itself, which saves wrapping ``send``.
    """

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram
        self._route: BaseRoute | None = None
        self._timer = RouteTimer(histogram, "GET", STATUS_ROUTE_PATH)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            root_path: str = scope.get("root_path", "")
            if root_path and path.startswith(root_path):
                path = path[len(root_path):]
            if path.startswith(_PREFIX) and path.endswith(_SUFFIX):
                queue_id = path[len(_PREFIX) : -len(_SUFFIX)]
                if queue_id and "/" not in queue_id:
                    started = time.perf_counter()
                    status_code = 500
                    try:
                        status_code = await self._answer(scope, receive, send, queue_id)
                    finally:
                        self._timer.observe(status_code, time.perf_counter() - started)
                    return
        await self.app(scope, receive, send)

    def _status_route(self, scope: Scope) -> BaseRoute | None:
        """The app's own status route, so route-labelled metrics stay the same."""
        if self._route is None:
            for route in scope["app"].router.routes:
                if isinstance(route, Route) and route.path == STATUS_ROUTE_PATH:
                    self._route = route
                    break
        return self._route

    async def _answer(self, scope: Scope, receive: Receive, send: Send, queue_id: str) -> int:
        runtime: Runtime = scope["app"].runtime
        try:
            frame = runtime.views.waiting_frame(queue_id)
            if frame is None:
                # a frame exists only for a queue in the store, whose id was checked
                fan_session.checked_queue_id(queue_id)
            token = _presented_token(scope["headers"], queue_id)
            claims = fan_session.verify_status_token(runtime.codec, token, queue_id)
            if frame is not None and frame.holds(claims.epoch, claims.position):
                # the common case: a waiting fan in a fresh view (waitroom/fan/waiting.py)
                runtime.protection.heartbeats.seen(queue_id, claims.position)
                settings = runtime.settings
                body = orjson.dumps(
                    waiting_body(
                        frame,
                        claims.position,
                        settings.poll_interval_min_ms,
                        settings.poll_interval_max_ms,
                    )
                )
                await _send_json(send, body, [])
                return 200
            answer = await fan_session.status(runtime, claims)
        except TokenError as error:
            runtime.metrics.token_rejections.labels(error.reason).inc()
            return await self._problem(scope, receive, send, queue_id, error)
        except ServiceError as error:
            return await self._problem(scope, receive, send, queue_id, error)
        except REDIS_ERRORS:
            # this middleware sits outside the app's exception handlers: fail closed here
            unavailable = QueueUnavailable(queue_id, runtime.protection.retry_after_seconds)
            return await self._problem(scope, receive, send, queue_id, unavailable)
        cookies: list[tuple[bytes, bytes]] = []
        if answer.refreshed_token is not None:
            self._starlette_scope(scope, queue_id)
            cookies = [
                (b"set-cookie", cookie.encode("latin-1"))
                for cookie in fan_session.cookie_headers(
                    runtime,
                    Request(scope),
                    queue_id,
                    answer.refreshed_token,
                    None,
                )
            ]
        await _send_json(send, orjson.dumps(status_body(answer)), cookies)
        return 200

    def _starlette_scope(self, scope: Scope, queue_id: str) -> None:
        """What the Starlette route would have set, for the Starlette objects used below."""
        scope["route"] = self._status_route(scope)
        scope["path_params"] = {"queue_id": queue_id}

    async def _problem(
        self, scope: Scope, receive: Receive, send: Send, queue_id: str, error: ServiceError
    ) -> int:
        self._starlette_scope(scope, queue_id)
        response = error_response(error)
        await response(scope, receive, send)
        return response.status_code


async def _send_json(send: Send, body: bytes, extra_headers: list[tuple[bytes, bytes]]) -> None:
    headers = [(b"content-length", str(len(body)).encode("latin-1")), *_STATIC_HEADERS]
    await send({"type": "http.response.start", "status": 200, "headers": headers + extra_headers})
    await send({"type": "http.response.body", "body": body})
