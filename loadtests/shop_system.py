"""The system under test when the shop takes part: the waiting room with the shop mounted at
``/shop`` (as in ``waitroom demo``), for the surge queue and an event the run defines itself."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount

from waitroom.demo import demo_settings
from waitroom.web.app import create_app

SHOP_PATH = "/shop"
SURGE_EVENT_ID = "surge-concert"
TIER_ID = "standing"
BUYER_LIMIT = 4


def create_surge_system_from_environ() -> Starlette:
    """Factory for uvicorn: ``WAITROOM_SHOP_QUEUE_ID`` names the surge queue the gate serves."""
    from sale_backend.web.app import create_app as create_shop_app

    settings, shop_settings = demo_settings(os.environ)
    app = create_app(settings)
    # as in the demo: the shop's connector calls the waiting room in process
    transport = httpx.ASGITransport(app=app)
    shop = create_shop_app(shop_settings, connector_transport=transport)
    app.router.routes.append(Mount(SHOP_PATH, app=shop))
    inner_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: Starlette) -> AsyncIterator[None]:
        async with inner_lifespan(application), shop.router.lifespan_context(shop):
            yield

    app.router.lifespan_context = lifespan
    return app


def surge_event(queue_id: str, capacity: int, buyer_limit: int) -> dict[str, Any]:
    now = time.time()
    return {
        "queue_id": queue_id,
        "name": "Surge concert",
        "venue": "Load test hall",
        "starts_at": now + 30 * 24 * 3600,
        "currency": "EUR",
        "max_tickets_per_order": min(buyer_limit, 100),
        "max_tickets_per_buyer": buyer_limit,
        "tiers": [
            {"tier_id": TIER_ID, "name": "Standing", "price_minor": 4500, "capacity": capacity}
        ],
        "phases": [
            {"phase_id": "general", "name": "General", "starts_at": now - 60,
             "ends_at": now + 7 * 24 * 3600},
        ],
    }


def define_event(base_url: str, staff_token: str, event: dict[str, Any]) -> None:
    response = httpx.put(
        f"{base_url}{SHOP_PATH}/api/v1/staff/events/{SURGE_EVENT_ID}",
        json=event,
        headers={"Authorization": f"Bearer {staff_token}"},
        timeout=10,
    )
    response.raise_for_status()


def event_figures(base_url: str, staff_token: str) -> dict[str, Any]:
    response = httpx.get(
        f"{base_url}{SHOP_PATH}/api/v1/staff/events/{SURGE_EVENT_ID}",
        headers={"Authorization": f"Bearer {staff_token}"},
        timeout=10,
    )
    response.raise_for_status()
    figures: dict[str, Any] = response.json()
    return figures
