"""``/healthz`` (process alive), ``/readyz`` (Redis reachable) and ``/metrics`` (Prometheus,
with the metrics bearer token only: :mod:`service_kit.metrics_access`)."""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from service_kit.errors import ServiceError
from service_kit.metrics_access import METRICS_REALM, require_metrics_token
from service_kit.problem_responses import error_response
from service_kit.readiness import readiness
from waitroom.organizer.metrics import refresh_organizer_gauges
from waitroom.web.runtime import runtime_of


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"}, headers={"cache-control": "no-store"})


async def readyz(request: Request) -> Response:
    runtime = runtime_of(request)
    return await readiness(runtime.redis, runtime.settings.protection.redis_retry_after_seconds)


async def metrics_endpoint(request: Request) -> Response:
    runtime = runtime_of(request)
    settings = runtime.settings
    try:
        require_metrics_token(request, settings.metrics_token, settings.trusted_proxy_count)
    except ServiceError as error:
        return error_response(error, {"WWW-Authenticate": METRICS_REALM})
    await refresh_queue_gauges(request)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        payload = generate_latest(registry)
    else:
        payload = generate_latest(runtime.metrics.registry)
    return Response(payload, media_type=CONTENT_TYPE_LATEST)


async def refresh_queue_gauges(request: Request) -> None:
    """Queue gauges come from the cached views of all known queues (no per-fan cost)."""
    runtime = runtime_of(request)
    metrics = runtime.metrics
    try:
        queue_ids = await runtime.store.queue_ids()
    except (RedisError, OSError):
        return
    for queue_id in queue_ids:
        try:
            view = await runtime.views.get(queue_id)
        except Exception:
            continue
        snapshot = view.snapshot
        metrics.queue_length.labels(queue_id).set(snapshot.queue_length)
        metrics.serving_position.labels(queue_id).set(snapshot.serving)
        metrics.tail_position.labels(queue_id).set(snapshot.tail)
        metrics.rate_per_minute.labels(queue_id).set(snapshot.config.rate_per_minute)
        metrics.outflow_per_minute.labels(queue_id).set(view.outflow_per_second * 60)
        await refresh_organizer_gauges(runtime, view)
