"""A site measures its own health for the waiting room (contract section 7).

:class:`HealthWindow` keeps the durations and outcomes of the site's key operations (our shop:
``checkout`` and ``hold``) over the last ``window_seconds`` and builds the report body of
``PUT /api/v1/connector/queues/{queue_id}/health``: per operation the requests, the errors and
the p95 latency (nearest rank) in milliseconds. :class:`HealthTimer` is an ASGI middleware that
records the requests of chosen routes (by method and route template): an answer >= 500 or an
exception is an error; client errors (a sold-out 409, a bad form) are not. The site sends
:meth:`HealthWindow.report` every few seconds with ``WaitroomConnector.report_health``; with
autotune on, the waiting room's admission rate follows these figures.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_SAMPLES_PER_OPERATION = 50_000
"""Bounds the memory of a window under a surge (the newest samples are kept)."""


class HealthWindow:
    def __init__(
        self,
        operations: Iterable[str],
        window_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window_seconds = window_seconds
        self._clock = clock
        self._samples: dict[str, deque[tuple[float, float, bool]]] = {
            name: deque(maxlen=MAX_SAMPLES_PER_OPERATION) for name in operations
        }

    def record(self, operation: str, seconds: float, error: bool) -> None:
        samples = self._samples.get(operation)
        if samples is not None:
            samples.append((self._clock(), seconds, error))

    def figures(self) -> dict[str, dict[str, Any]]:
        """Per operation over the window: ``requests``, ``errors``, ``p95_ms`` (None: no
        request)."""
        oldest = self._clock() - self.window_seconds
        result: dict[str, dict[str, Any]] = {}
        for name, samples in self._samples.items():
            while samples and samples[0][0] < oldest:
                samples.popleft()
            durations = sorted(seconds for _, seconds, _ in samples)
            errors = sum(1 for _, _, failed in samples if failed)
            p95 = None
            if durations:
                p95 = round(durations[math.ceil(0.95 * len(durations)) - 1] * 1000, 1)
            result[name] = {"requests": len(durations), "errors": errors, "p95_ms": p95}
        return result

    def report(self, reporter: str, interval_seconds: float) -> dict[str, Any]:
        """The body of ``PUT .../health``: this process (``reporter``), reporting every
        ``interval_seconds``."""
        return {
            "reporter": reporter,
            "window_seconds": max(1, round(self.window_seconds)),
            "interval_seconds": interval_seconds,
            "operations": self.figures(),
        }


class HealthTimer:
    """Times the requests of the routes in ``operations`` ((method, route template) ->
    operation name) into ``window``."""

    def __init__(
        self, app: ASGIApp, window: HealthWindow, operations: Mapping[tuple[str, str], str]
    ) -> None:
        self.app = app
        self.window = window
        self.operations = dict(operations)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in {"POST", "PUT", "DELETE"}:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None)
            operation = self.operations.get((str(scope.get("method")), str(template)))
            if operation is not None:
                self.window.record(operation, time.perf_counter() - started, status[0] >= 500)
