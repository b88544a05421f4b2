"""``waitroom demo``: the waiting room and the shop in one process, with a sample queue."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.applications import Starlette

from waitroom.admission import AdmissionStore
from waitroom.app import create_app
from waitroom.redis_client import redis_from_url
from waitroom.settings import Settings

DEMO_QUEUE_ID = "demo"
DEMO_RATE_PER_MINUTE = 30


@dataclass(frozen=True)
class DemoUrls:
    fan_url: str
    dashboard_url: str
    shop_url: str


def demo_urls(host: str, port: int) -> DemoUrls:
    base = f"http://{host}:{port}"
    return DemoUrls(
        fan_url=f"{base}/q/{DEMO_QUEUE_ID}",
        dashboard_url=f"{base}/admin",
        shop_url=f"{base}/shop/",
    )


async def seed_demo(settings: Settings) -> None:
    """Create the sample queue (idempotent: an existing queue keeps its place counters)."""
    assert settings.redis_url is not None
    redis = redis_from_url(settings.redis_url)
    try:
        store = AdmissionStore(redis, settings.default_burst)
        await store.configure(
            DEMO_QUEUE_ID,
            {
                "name": "Demo concert",
                "rate_per_minute": DEMO_RATE_PER_MINUTE,
                "state": "open",
                "redirect_url": "/shop/",
            },
        )
    finally:
        await redis.aclose()


def create_demo_app(settings: Settings) -> Starlette:
    app = create_app(settings)
    inner_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: Starlette) -> AsyncIterator[None]:
        await seed_demo(settings)
        async with inner_lifespan(application):
            yield

    app.router.lifespan_context = lifespan
    return app
