"""The shop's ASGI app factory. Every route is behind the waiting room's connector
(``waitroom.connector``: a fan needs a shopping session) except static files, health checks,
the staff API (staff bearer token), the door scanner pages (staff session) and orders (their
order link's access key). In front of the connector: the browser security headers on every
response (:mod:`sale_backend.web.security_headers`) and the refusal of unsafe requests from other
sites (:mod:`sale_backend.web.cross_site`); behind those, sold-out holds and checkouts answered
without a pass claim or a script call (:mod:`sale_backend.web.sold_out_fast_path`). These
layers and the body limit sit in front of Starlette's own (:class:`ShopApp`)."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
from jinja2 import Environment, FileSystemLoader, select_autoescape
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.types import ASGIApp, ExceptionHandler

from sale_backend.domain.older_tickets import register_older_tickets
from sale_backend.domain.payments import PaymentProvider, TestPaymentProvider
from sale_backend.domain.reconcile import reconcile
from sale_backend.settings import SALE_REDIS_URL, ShopSettings
from sale_backend.storage.durability import warn_unless_durable
from sale_backend.web import pages
from sale_backend.web.background import BackgroundWork, report_all_stock, start_ticket_mail
from sale_backend.web.cross_site import CrossSiteGuard
from sale_backend.web.language import load_shop_catalogs
from sale_backend.web.routes import shop_routes
from sale_backend.web.runtime import ShopRuntime
from sale_backend.web.security_headers import SecurityHeaders
from sale_backend.web.sold_out_fast_path import SoldOutFastPath
from service_kit.body_limit import RequestBodyLimit
from service_kit.collector import serving
from service_kit.errors import ServiceError, SettingsError
from service_kit.problem_responses import http_exception_handler
from service_kit.redis_client import redis_from_url
from waitroom.connector import WaitroomConnector
from waitroom.connector.health import HealthTimer, HealthWindow
from waitroom.connector.middleware import ConnectorMiddleware

PACKAGE_DIR = Path(__file__).parent
LOGGER = logging.getLogger("sale_backend")
PUBLIC_PREFIXES = (
    "/static/",
    "/favicon.ico",  # browsers ask without a session: a 404, never a redirect to the queue
    "/healthz",
    "/readyz",
    "/metrics",  # Prometheus, with the metrics token
    "/api/v1/staff/",
    "/staff/",
    "/openapi.json",
    "/orders/",
    "/api/v1/orders/",
)


HEALTH_OPERATIONS = {
    ("POST", "/api/v1/holds"): "hold",
    ("POST", "/events/{event_id}/hold"): "hold",
    ("POST", "/api/v1/checkout"): "checkout",
    ("POST", "/holds/{hold_id}/checkout"): "checkout",
}
"""The requests whose latency and errors the shop reports to the waiting room (its health)."""

SHOP_MAX_BODY_BYTES = 64 * 1024
"""Every body the shop takes: checkout and hold JSON, page forms, staff event definitions."""


class ShopApp(Starlette):
    """Starlette with the shop's front layers outside its own middleware stack.

    In a sell-out race nearly every request is a sold-out refusal; the fast path answers it
    before Starlette's error middleware, so those layers cost it nothing. The layers in front
    handle their own errors (the fast path hands anything unexpected to the full path)."""

    def __init__(self, *, front_layers: Callable[[ASGIApp], ASGIApp], **options: Any) -> None:
        super().__init__(**options)
        self.front_layers = front_layers

    def build_middleware_stack(self) -> ASGIApp:
        return self.front_layers(super().build_middleware_stack())


def exception_handlers() -> dict[Any, ExceptionHandler]:
    """The shop's one mapping of errors to answers: every
    :class:`~service_kit.errors.ServiceError` by its kind, as a problem body (API paths, JSON
    clients) or a page (:func:`sale_backend.web.pages.error_handler`); a sale Redis that cannot
    be reached as 503 with ``Retry-After``; Starlette's own refusals as problem bodies."""
    return {
        HTTPException: http_exception_handler,
        ServiceError: pages.error_handler,
        RedisError: pages.unavailable_handler,
        OSError: pages.unavailable_handler,
    }


def create_app(
    shop: ShopSettings,
    provider_factory: Callable[[Redis], PaymentProvider] | None = None,
    connector_transport: httpx.AsyncBaseTransport | None = None,
) -> Starlette:
    """Build the shop from its settings (:meth:`ShopSettings.from_environ`).
    ``provider_factory`` builds the payment provider from the sale Redis client (default: the
    built-in test provider, which works offline); ``connector_transport`` carries the
    connector's calls to a waiting room in the same process (the demo), else they go over
    HTTP to ``WAITROOM_CONNECTOR_URL``."""
    if shop.sale_redis_url is None:
        raise SettingsError(SALE_REDIS_URL.name, "", "the shop needs its Redis (or REDIS_URL)")
    sale_redis_url: str = shop.sale_redis_url
    connector = WaitroomConnector(shop.connector, connector_transport)
    health = HealthWindow(HEALTH_OPERATIONS.values(), shop.health_window_seconds)
    catalogs = load_shop_catalogs()  # the pages' and the tickets e-mail's

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        sale_redis = redis_from_url(
            sale_redis_url,
            max_connections=shop.sale_redis_max_connections,
            pool_timeout_seconds=shop.sale_redis_pool_timeout_seconds,
        )
        chosen = (provider_factory or _test_provider(shop))(sale_redis)
        runtime = ShopRuntime.build(shop, sale_redis, chosen, connector, catalogs, health)
        app.state.shop = runtime
        await warn_unless_durable(sale_redis)
        report = await reconcile(runtime.fulfilment, shop.reconcile_after_seconds)
        if report.orders_written or report.payments_refunded or report.payments_abandoned:
            LOGGER.warning("shop reconciliation at start: %s", report)
        for event_id in await runtime.store.event_ids():
            registered = await register_older_tickets(runtime.store, event_id)
            if registered:
                LOGGER.warning("short codes given to %d older tickets of %s", registered, event_id)
        await report_all_stock(runtime)
        background = BackgroundWork(runtime)
        mail_work = start_ticket_mail(runtime)
        try:
            yield
        finally:
            if mail_work is not None:
                await mail_work.stop()
            await background.stop()
            await runtime.reporter.drain()
            await runtime.store.aclose()
            await sale_redis.aclose()
            await connector.aclose()

    gate = Middleware(
        ConnectorMiddleware,
        connector=connector,
        exempt_path_prefixes=PUBLIC_PREFIXES,
        api_path_prefixes=("/api/",),
    )
    def front_layers(starlette: ASGIApp) -> ASGIApp:
        """Body limit, security headers, cross-site guard and the sold-out fast path, in
        front of Starlette's own layers (the order in which they see a request)."""
        layers: ASGIApp = SoldOutFastPath(starlette, connector)
        layers = CrossSiteGuard(layers, https=shop.cookie_secure)
        layers = SecurityHeaders(layers, queue_url=shop.queue_url)
        return RequestBodyLimit(
            layers,
            max_body_bytes=SHOP_MAX_BODY_BYTES,
            read_timeout_seconds=shop.server_limits.body_read_timeout_seconds,
        )

    # innermost: the shop's own time for checkouts and holds (autotune's measure of health);
    # sold-out answers of the fast path, given before the connector, are not in it
    timer = Middleware(HealthTimer, window=health, operations=HEALTH_OPERATIONS)
    app = ShopApp(
        front_layers=front_layers,
        routes=shop_routes(),
        middleware=[gate, timer],
        exception_handlers=exception_handlers(),
        lifespan=lifespan,
    )
    app.state.settings = shop
    templates = Environment(
        loader=FileSystemLoader(PACKAGE_DIR / "templates"),
        autoescape=select_autoescape(["html"]),
        auto_reload=False,
    )
    templates.filters["utc_clock"] = utc_clock
    app.state.templates = templates
    app.state.catalogs = catalogs
    return app


def _test_provider(shop: ShopSettings) -> Callable[[Redis], PaymentProvider]:
    def build(sale_redis: Redis) -> PaymentProvider:
        return TestPaymentProvider(sale_redis, delay_seconds=shop.test_payment_delay_seconds)

    return build


def utc_clock(unix_seconds: int) -> str:
    """``14:05 UTC``: the deadline as the shop's pages print it."""
    return time.strftime("%H:%M UTC", time.gmtime(unix_seconds))


def create_app_from_environ() -> Starlette:
    """Factory for ``uvicorn --factory sale_backend.web.app:create_app_from_environ`` (the
    collector tuned for serving, :mod:`service_kit.collector`)."""
    return serving(create_app(ShopSettings.from_environ()))
