"""``waitroom demo``: the waiting room and the shop in one process, with a sample queue."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
import orjson
from starlette.applications import Starlette
from starlette.routing import Mount

from service_kit.body_limit import BodyLimitRule
from service_kit.collector import serving
from service_kit.redis_client import redis_from_url
from service_kit.shared_settings import METRICS_TOKEN, SECRET_KEYS
from waitroom.admission import AdmissionStore
from waitroom.fan.content import content_key
from waitroom.settings import Settings
from waitroom.web.app import create_app

if TYPE_CHECKING:
    from sale_backend.settings import ShopSettings

DEMO_QUEUE_ID = "demo"
DEMO_RATE_PER_MINUTE = 30
SHOP_MOUNT_PATH = "/shop"


@dataclass(frozen=True)
class DemoUrls:
    fan_url: str
    dashboard_url: str
    shop_url: str


def demo_urls(host: str, port: int, queue_id: str = DEMO_QUEUE_ID) -> DemoUrls:
    base = f"http://{host}:{port}"
    return DemoUrls(
        fan_url=f"{base}/q/{queue_id}",
        dashboard_url=f"{base}/admin",
        shop_url=f"{base}{SHOP_MOUNT_PATH}/",
    )


async def seed_demo(
    settings: Settings, sale_redis_url: str | None = None, queue_id: str = DEMO_QUEUE_ID
) -> None:
    """Create the sample queue, its sample event and the queue page's pre-checkout form
    offering the event's ticket types (idempotent: existing sales and forms are kept)."""
    from sale_backend.demo_event import demo_profile_form, seed_demo_event
    from sale_backend.storage.store import SaleStore

    assert settings.redis_url is not None
    redis = redis_from_url(settings.redis_url)
    sale_redis = redis_from_url(sale_redis_url) if sale_redis_url else redis
    try:
        event_id = await seed_demo_event(SaleStore(sale_redis), queue_id)
        store = AdmissionStore(redis, settings.default_burst)
        await store.configure(
            queue_id,
            {
                "name": "Demo concert",
                "rate_per_minute": DEMO_RATE_PER_MINUTE,
                "state": "open",
                "redirect_url": SHOP_MOUNT_PATH + "/",
                "event_id": event_id,
            },
        )
        form = orjson.dumps(demo_profile_form(queue_id))
        await redis.set(content_key(queue_id, "profile_form"), form, nx=True)
    finally:
        await redis.aclose()
        if sale_redis is not redis:
            await sale_redis.aclose()


def demo_settings(environ: Mapping[str, str]) -> tuple[Settings, ShopSettings]:
    """Both apps' settings, read (and so checked) from ``environ`` before anything starts. One
    process: the shop gets the waiting room's keys and metrics token (generated when unset) and
    sends fans to ``/q/<queue>`` on the same host. The sale Redis is REDIS_URL's unless set
    apart, and None while neither is set (the CLI then starts an embedded Redis for both)."""
    from sale_backend.settings import ShopSettings

    settings = Settings.from_environ(environ)
    keys = ",".join(settings.secret_keys)
    shared = {SECRET_KEYS.name: keys, METRICS_TOKEN.name: settings.metrics_token}
    shop = ShopSettings.from_environ({**environ, **shared})
    connector = shop.connector.with_overrides(queue_url=f"/q/{shop.queue_id}")
    return settings, shop.with_overrides(connector=connector)


def create_demo_app(settings: Settings, shop_settings: ShopSettings) -> Starlette:
    """The waiting room with the shop mounted at ``/shop``. The queue is the shop's
    (``WAITROOM_SHOP_QUEUE_ID``, default ``demo``); the shop's connector sends fans to
    ``/q/<queue>`` and calls the waiting room's connector API in process (an httpx ASGI
    transport to this very app: the same calls, no socket)."""
    from sale_backend.web.app import create_app as create_shop_app

    # the shop limits its own request bodies
    app = create_app(settings, body_limit_rules=(BodyLimitRule(SHOP_MOUNT_PATH + "/", None),))
    connector = shop_settings.connector.with_overrides(queue_url=f"/q/{shop_settings.queue_id}")
    shop_config = shop_settings.with_overrides(connector=connector)
    if not shop_config.public_url and settings.public_base_url:
        # ticket e-mails link to the mounted shop's order pages
        shop_config = shop_config.with_overrides(
            public_url=settings.public_base_url + SHOP_MOUNT_PATH
        )
    transport = httpx.ASGITransport(app=app)
    shop = create_shop_app(shop_config, connector_transport=transport)
    app.router.routes.append(Mount(SHOP_MOUNT_PATH, app=shop))
    inner_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: Starlette) -> AsyncIterator[None]:
        await seed_demo(settings, shop_config.sale_redis_url, shop_config.queue_id)
        async with inner_lifespan(application), shop.router.lifespan_context(shop):
            yield

    app.router.lifespan_context = lifespan
    return app


def create_demo_app_from_environ() -> Starlette:
    """Factory for uvicorn (tests, ``--factory``): the demo on an existing ``REDIS_URL``."""
    return serving(create_demo_app(*demo_settings(os.environ)))
