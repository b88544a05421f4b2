"""The shop's ASGI app factory. Every route is behind ``waitroom.gate.WaitroomGate`` except
static files, health checks, the staff API (staff bearer token) and the door scanner pages
(staff session)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, request_response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from sale_backend import buyer_api, openapi, pages, staff_api, staff_pages
from sale_backend.background import BackgroundWork, publish_all
from sale_backend.durability import warn_unless_durable
from sale_backend.older_tickets import register_older_tickets
from sale_backend.payments import PaymentProvider, TestPaymentProvider
from sale_backend.reconcile import reconcile
from sale_backend.runtime import ShopRuntime, shop_runtime
from sale_backend.shop_settings import ShopSettings
from waitroom.gate import WaitroomGate
from waitroom.problems import WaitroomError, http_exception_handler
from waitroom.redis_client import redis_from_url
from waitroom.runtime import codec_for
from waitroom.settings import Settings
from waitroom.tokens import PassClaims

PACKAGE_DIR = Path(__file__).parent
LOGGER = logging.getLogger("sale_backend")
PUBLIC_PREFIXES = (
    "/static/",
    "/healthz",
    "/readyz",
    "/api/v1/staff/",
    "/staff/",
    "/openapi.json",
)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"}, headers={"cache-control": "no-store"})


async def readyz(request: Request) -> Response:
    try:
        await shop_runtime(request).sale_redis.ping()
    except Exception as error:
        return JSONResponse(
            {"status": "unavailable", "detail": f"redis: {type(error).__name__}"},
            status_code=503,
            headers={"cache-control": "no-store", "retry-after": "2"},
        )
    return JSONResponse({"status": "ready"}, headers={"cache-control": "no-store"})


def shop_routes() -> list[BaseRoute]:
    api = "/api/v1"
    staff = "/api/v1/staff"
    return [
        Route("/", pages.index, methods=["GET"]),
        Route("/events/{event_id}", pages.event_page, methods=["GET"]),
        Route("/events/{event_id}/hold", pages.hold_form, methods=["POST"]),
        Route("/holds/{hold_id}", pages.hold_page, methods=["GET"]),
        Route("/holds/{hold_id}/cancel", pages.cancel_form, methods=["POST"]),
        Route("/holds/{hold_id}/checkout", pages.checkout_form, methods=["POST"]),
        Route("/orders/{order_id}", pages.order_page, methods=["GET"]),
        Route("/orders/{order_id}/refund", pages.refund_confirmation, methods=["GET"]),
        Route("/orders/{order_id}/refund", pages.refund_form, methods=["POST"]),
        Route("/staff/scan", staff_pages.scan_page, methods=["GET"]),
        Route("/staff/scan", staff_pages.scan_form, methods=["POST"]),
        Route("/staff/login", staff_pages.login, methods=["GET", "POST"]),
        Route("/staff/logout", staff_pages.logout, methods=["POST"]),
        Route("/staff/scanner-sw.js", staff_pages.service_worker, methods=["GET"]),
        Route(f"{api}/events", buyer_api.list_events, methods=["GET"]),
        Route(f"{api}/events/{{event_id}}", buyer_api.get_event, methods=["GET"]),
        Route(f"{api}/events/{{event_id}}/seats", buyer_api.get_seats, methods=["GET"]),
        Route(f"{api}/events/{{event_id}}/profile", buyer_api.get_profile, methods=["GET"]),
        Route(f"{api}/holds", buyer_api.post_hold, methods=["POST"]),
        Route(f"{api}/holds/{{hold_id}}", buyer_api.get_hold, methods=["GET"]),
        Route(f"{api}/holds/{{hold_id}}", buyer_api.delete_hold, methods=["DELETE"]),
        Route(f"{api}/checkout", buyer_api.post_checkout, methods=["POST"]),
        Route(f"{api}/orders/{{order_id}}", buyer_api.get_order, methods=["GET"]),
        Route(f"{api}/orders/{{order_id}}/refund", buyer_api.post_refund, methods=["POST"]),
        Route(f"{staff}/scan", staff_api.post_scan, methods=["POST"]),
        Route(
            f"{staff}/events/{{event_id}}/tickets",
            GZipMiddleware(request_response(staff_api.get_tickets), minimum_size=1024),
            methods=["GET"],
        ),
        Route(f"{staff}/events/{{event_id}}/scans", staff_api.post_scans, methods=["POST"]),
        Route(f"{staff}/events/{{event_id}}", staff_api.put_event, methods=["PUT"]),
        Route(f"{staff}/events/{{event_id}}", staff_api.get_event, methods=["GET"]),
        Route(f"{staff}/orders/{{order_id}}", staff_api.get_order, methods=["GET"]),
        Route(f"{staff}/orders/{{order_id}}/refund", staff_api.post_refund, methods=["POST"]),
        Route(f"{staff}/metrics", staff_api.get_metrics, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/openapi.json", openapi.openapi_endpoint, methods=["GET"]),
        Mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static"),
    ]


SHOP_POOL: dict[str, Any] = {"max_connections": 64, "pool_timeout_seconds": 10.0}
"""A burst of checkouts waits for a free connection (blocking pool) rather than failing."""


async def one_session_per_pass(claims: PassClaims, scope: Scope) -> None:
    """The gate's server-side check: one shop session per pass, revoked passes refused
    (waitroom.pass_registry). The registry lives in the queue's Redis, owned by the lifespan."""
    runtime: ShopRuntime = scope["app"].state.shop
    await runtime.passes.pass_check(claims, scope)


def create_app(
    settings: Settings,
    shop_settings: ShopSettings | None = None,
    provider_factory: Callable[[Redis], PaymentProvider] | None = None,
) -> Starlette:
    """Build the shop. ``shop_settings`` defaults to the ``WAITROOM_SALE_*`` environment;
    ``provider_factory`` builds the payment provider from the sale Redis client (default: the
    built-in test provider, which works offline)."""
    shop = shop_settings or ShopSettings.from_settings(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        sale_redis = redis_from_url(shop.sale_redis_url, **SHOP_POOL)
        same = shop.queue_redis_url == shop.sale_redis_url
        queue_redis = sale_redis if same else redis_from_url(shop.queue_redis_url, **SHOP_POOL)
        chosen = (provider_factory or TestPaymentProvider)(sale_redis)
        runtime = ShopRuntime.build(shop, sale_redis, queue_redis, chosen)
        app.state.shop = runtime
        await warn_unless_durable(sale_redis)
        report = await reconcile(runtime.fulfilment, shop.reconcile_after_seconds)
        if report.orders_written or report.payments_refunded or report.payments_abandoned:
            LOGGER.warning("shop reconciliation at start: %s", report)
        for event_id in await runtime.store.event_ids():
            registered = await register_older_tickets(runtime.store, event_id)
            if registered:
                LOGGER.warning("short codes given to %d older tickets of %s", registered, event_id)
        await publish_all(runtime)
        background = BackgroundWork(runtime)
        try:
            yield
        finally:
            await background.stop()
            await runtime.publisher.drain()
            await sale_redis.aclose()
            if not same:
                await queue_redis.aclose()

    gate = Middleware(
        WaitroomGate,
        codec=codec_for(settings),
        queue_id=shop.queue_id,
        queue_url=shop.queue_url,
        exempt_path_prefixes=PUBLIC_PREFIXES,
        api_path_prefixes=("/api/",),
        cookie_secure=settings.cookie_secure,
        pass_check=one_session_per_pass,
    )
    app = Starlette(
        routes=shop_routes(),
        middleware=[gate],
        exception_handlers={
            HTTPException: http_exception_handler,
            WaitroomError: pages.error_handler,
            RedisError: pages.unavailable_handler,
            OSError: pages.unavailable_handler,
        },
        lifespan=lifespan,
    )
    app.state.templates = Environment(
        loader=FileSystemLoader(PACKAGE_DIR / "templates"),
        autoescape=select_autoescape(["html"]),
        auto_reload=False,
    )
    return app


def create_app_from_environ() -> Starlette:
    """Factory for ``uvicorn --factory sale_backend.app:create_app_from_environ``."""
    return create_app(Settings.from_environ())
