"""The waiting-room ASGI app factory."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from prometheus_client import Histogram
from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, ExceptionHandler

from service_kit.body_limit import BodyLimitRule, RequestBodyLimit
from service_kit.collector import serving
from service_kit.errors import ServiceError
from service_kit.openapi import HEALTHZ, METRICS, OPENAPI, ApiRoute, readiness
from service_kit.problem_responses import http_exception_handler, service_error_handler
from service_kit.redis_client import redis_from_url
from waitroom.organizer.autotune_loop import AutotuneLoop
from waitroom.settings import Settings
from waitroom.sites.proxy_fast_path import AuthFastPath
from waitroom.web import openapi, operations
from waitroom.web.admin_routes import organizer_routes
from waitroom.web.fan_routes import fan_routes
from waitroom.web.fast_path import StatusFastPath
from waitroom.web.join_fast_path import JoinFastPath
from waitroom.web.mail_routes import mail_routes
from waitroom.web.mail_worker import start_mail_work
from waitroom.web.metrics import RequestTimingMiddleware, WaitroomMetrics
from waitroom.web.redis_errors import redis_error_handler
from waitroom.web.runtime import Runtime
from waitroom.web.site_routes import site_routes

LOGGER = logging.getLogger("waitroom")
PAGES_DIR = Path(__file__).parent.parent / "pages"
FAN_MAX_BODY_BYTES = 32 * 1024
"""Fans post small things: a join, a profile, survey answers, a code."""
ORGANIZER_MAX_BODY_BYTES = 256 * 1024
"""Organizers post content documents (surveys, upsells) through the admin API."""
DASHBOARD_MAX_BODY_BYTES = 16 * 1024
"""The dashboard's HTML forms (login, settings, pause, codes) hold a few short fields."""
SITE_MAX_BODY_BYTES = 256 * 1024
"""Protected sites report stock per event (every tier of an event, with its name)."""
ORGANIZER_BODY_RULES = (
    BodyLimitRule("/api/v1/admin/", ORGANIZER_MAX_BODY_BYTES),
    BodyLimitRule("/admin/", DASHBOARD_MAX_BODY_BYTES),
    BodyLimitRule("/api/v1/connector/", SITE_MAX_BODY_BYTES),
)


def untranslated(message: str, **values: object) -> str:
    return message % values if values else message


def page_templates() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(PAGES_DIR / "templates"),
        autoescape=select_autoescape(["html"]),
        auto_reload=False,
    )
    # pages rendered without a fan language (e.g. by other parts) show the English source text
    environment.globals["_"] = untranslated
    return environment


def waitroom_routes() -> list[BaseRoute]:
    """Every route with what it takes and answers (the OpenAPI document is made from these)."""
    return [
        *fan_routes(),
        *mail_routes(),
        ApiRoute("/openapi.json", openapi.openapi_endpoint, {"get": OPENAPI}),
        *organizer_routes(),
        *site_routes(),
        ApiRoute("/healthz", operations.healthz, {"get": HEALTHZ}),
        ApiRoute("/readyz", operations.readyz, {"get": readiness("Redis")}),
        ApiRoute("/metrics", operations.metrics_endpoint, {"get": METRICS}),
        Mount("/static/waitroom", StaticFiles(directory=PAGES_DIR / "static"), name="static"),
    ]


class WaitroomApp(Starlette):
    """Starlette with the status fast path outside every other middleware.

    Status polls are most of the traffic; :class:`StatusFastPath` answers them itself and
    handles its own errors, so they skip the error middleware's ``send`` wrapper too. The
    reverse proxy's auth question (one per request to a protected site) gets the same
    treatment from :class:`AuthFastPath`, and joins without a body (every fan joins once,
    all at the same minute) from :class:`JoinFastPath`.
    """

    def __init__(self, *, status_histogram: Histogram, **options: Any) -> None:
        super().__init__(**options)
        self.status_histogram = status_histogram
        self.runtime: Runtime | None = None
        """The lifespan's runtime (also ``state.runtime``), read by the fast path as a plain
        attribute: ``State`` looks attributes up through ``__getattr__``."""

    def build_middleware_stack(self) -> ASGIApp:
        stack: ASGIApp = AuthFastPath(super().build_middleware_stack(), self.status_histogram)
        stack = JoinFastPath(stack, self.status_histogram)
        return StatusFastPath(stack, self.status_histogram)


def exception_handlers() -> dict[Any, ExceptionHandler]:
    """The waiting room's one mapping of errors to answers: every
    :class:`~service_kit.errors.ServiceError` by its kind (:mod:`service_kit.problems`), Redis
    failures as 503 with ``Retry-After``, Starlette's own refusals (unknown route, 405) as
    problem bodies. Fan pages and the dashboard render the same statuses as HTML."""
    return {
        HTTPException: http_exception_handler,
        ServiceError: service_error_handler,
        RedisError: redis_error_handler,
    }


def create_app(
    settings: Settings,
    metrics: WaitroomMetrics | None = None,
    body_limit_rules: Sequence[BodyLimitRule] = (),
) -> Starlette:
    """Build the waiting room. The lifespan opens the Redis client and closes it on shutdown.

    ``body_limit_rules`` come before the waiting room's own (e.g. a mounted app that limits
    its bodies itself)."""
    if settings.redis_url is None:
        raise ValueError("settings.redis_url is required (the CLI starts an embedded Redis)")
    redis_url: str = settings.redis_url
    app_metrics = metrics or WaitroomMetrics.create()

    @contextlib.asynccontextmanager
    async def lifespan(app: WaitroomApp) -> AsyncIterator[None]:
        redis = redis_from_url(
            redis_url,
            max_connections=settings.redis_max_connections,
            pool_timeout_seconds=settings.redis_pool_timeout_seconds,
        )
        runtime = Runtime.build(settings, redis, app_metrics)
        app.runtime = app.state.runtime = runtime
        if settings.mail.enabled and not settings.public_base_url:
            LOGGER.warning(
                "WAITROOM_SMTP_HOST is set but WAITROOM_PUBLIC_BASE_URL is not: no e-mail"
            )
        mail_work = start_mail_work(runtime) if settings.mail_enabled else None
        autotune = AutotuneLoop(runtime)
        autotune.start()
        try:
            yield
        finally:
            await autotune.stop()
            if mail_work is not None:
                await mail_work.stop()
            app.runtime = None
            await runtime.protection.close()
            await redis.aclose()

    app = WaitroomApp(
        status_histogram=app_metrics.request_duration,
        routes=waitroom_routes(),
        middleware=[
            Middleware(RequestTimingMiddleware, histogram=app_metrics.request_duration),
            Middleware(
                RequestBodyLimit,
                max_body_bytes=FAN_MAX_BODY_BYTES,
                rules=(*body_limit_rules, *ORGANIZER_BODY_RULES),
                read_timeout_seconds=settings.server_limits.body_read_timeout_seconds,
            ),
        ],
        exception_handlers=exception_handlers(),
        lifespan=lifespan,
    )
    app.state.templates = page_templates()
    return app


def create_app_from_environ() -> Starlette:
    """Factory for ``uvicorn --factory waitroom.web.app:create_app_from_environ`` (``serve``;
    the collector tuned for serving, :mod:`service_kit.collector`)."""
    return serving(create_app(Settings.from_environ()))
