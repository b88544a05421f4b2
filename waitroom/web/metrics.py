"""Prometheus metrics of one waiting-room app, and the pure-ASGI timing middleware."""

from __future__ import annotations

import time
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_BUCKETS_SECONDS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)


@dataclass(frozen=True)
class WaitroomMetrics:
    registry: CollectorRegistry
    joins: Counter
    passes_issued: Counter
    token_rejections: Counter
    queue_length: Gauge
    serving_position: Gauge
    tail_position: Gauge
    rate_per_minute: Gauge
    outflow_per_minute: Gauge
    request_duration: Histogram

    @classmethod
    def create(cls, registry: CollectorRegistry | None = None) -> WaitroomMetrics:
        registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        return cls(
            registry=registry,
            joins=Counter(
                "waitroom_joins_total",
                "Join requests by outcome (new place, existing place, pre-queue)",
                ["queue", "outcome"],
                registry=registry,
            ),
            passes_issued=Counter(
                "waitroom_passes_issued_total",
                "Status answers that carried a pass (admitted fans polling)",
                ["queue"],
                registry=registry,
            ),
            token_rejections=Counter(
                "waitroom_token_rejections_total",
                "Position tokens rejected, by reason",
                ["reason"],
                registry=registry,
            ),
            queue_length=Gauge(
                "waitroom_queue_length",
                "Fans with a place who are not admitted yet",
                ["queue"],
                registry=registry,
                multiprocess_mode="mostrecent",
            ),
            serving_position=Gauge(
                "waitroom_serving_position",
                "Serving pointer: every place up to it is admitted (= admissions so far)",
                ["queue"],
                registry=registry,
                multiprocess_mode="mostrecent",
            ),
            tail_position=Gauge(
                "waitroom_tail_position",
                "Last place handed out (= joins so far)",
                ["queue"],
                registry=registry,
                multiprocess_mode="mostrecent",
            ),
            rate_per_minute=Gauge(
                "waitroom_admission_rate_per_minute",
                "Configured admission rate",
                ["queue"],
                registry=registry,
                multiprocess_mode="mostrecent",
            ),
            outflow_per_minute=Gauge(
                "waitroom_measured_outflow_per_minute",
                "Measured admissions per minute over the last minute",
                ["queue"],
                registry=registry,
                multiprocess_mode="mostrecent",
            ),
            request_duration=Histogram(
                "waitroom_http_request_duration_seconds",
                "HTTP request duration by route template",
                ["method", "route", "status"],
                buckets=REQUEST_BUCKETS_SECONDS,
                registry=registry,
            ),
        )


class RouteTimer:
    """One route's durations by status, observed into the request histogram with the labels
    :class:`RequestTimingMiddleware` uses: for the fast paths, which answer outside it."""

    def __init__(self, histogram: Histogram, method: str, template: str) -> None:
        self.histogram = histogram
        self.method = method
        self.template = template
        # labels() takes a lock per call: one child per status, made once
        self._children: dict[int, Histogram] = {}

    def observe(self, status_code: int, elapsed_seconds: float) -> None:
        child = self._children.get(status_code)
        if child is None:
            child = self.histogram.labels(self.method, self.template, str(status_code))
            self._children[status_code] = child
        child.observe(elapsed_seconds)


CLIENT_CLOSED_REQUEST = 499
"""The status recorded for a request whose client went away before any answer was sent (the
code nginx logs for it): not a server error, so an alert on 5xx does not page anyone."""


class RequestTimingMiddleware:
    """Observes request durations labelled by route template (never by raw path).

    A request that ends without an answer because its client went away (the body layer found
    the connection closed mid-body, or a handler met Starlette's ``ClientDisconnect``) is
    recorded as 499 and ends quietly; an exception without an answer is still a 500."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram
        # labelled children by (method, route template, status): labels() takes a lock per call
        self._children: dict[tuple[str, str, int], Histogram] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_holder = [500]
        answered = False

        async def send_wrapper(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start":
                status_holder[0] = int(message["status"])
                answered = True
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
            if not answered:
                status_holder[0] = CLIENT_CLOSED_REQUEST
        except ClientDisconnect:
            if answered:
                raise
            status_holder[0] = CLIENT_CLOSED_REQUEST  # nobody to answer: end quietly
        finally:
            elapsed_seconds = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            key = (scope.get("method", ""), template, status_holder[0])
            child = self._children.get(key)
            if child is None:
                child = self.histogram.labels(key[0], template, str(key[2]))
                self._children[key] = child
            child.observe(elapsed_seconds)
