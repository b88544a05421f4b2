"""Shop fixtures: the shop app on the real test Redis, driven in-process over ASGI, and buyers
holding real waiting-room passes."""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette

from sale_backend.app import create_app
from sale_backend.payments import PaymentProvider
from sale_backend.runtime import ShopRuntime
from sale_backend.shop_settings import ShopSettings
from waitroom.admission import AdmissionStore
from waitroom.cookies import VISITOR_COOKIE, pass_cookie_name
from waitroom.pass_registry import session_cookie_name
from waitroom.runtime import codec_for
from waitroom.settings import Settings
from waitroom.tokens import new_visitor_id

STAFF_TOKEN = "test-staff-token-0123456789"
FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(page: httpx.Response) -> str:
    """The CSRF token in a shop page's forms, which a browser posts back with the form."""
    found = FORM_TOKEN.search(page.text)
    assert found is not None, f"no csrf_token field on {page.url}"
    return found.group(1)


def sample_event(queue_id: str, **overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "queue_id": queue_id,
        "name": "Test concert",
        "venue": "Hall",
        "currency": "EUR",
        "max_tickets_per_order": 8,
        "max_tickets_per_buyer": 6,
        "tiers": [
            {"tier_id": "standard", "name": "Standard", "price_minor": 4500, "capacity": 100},
            {"tier_id": "vip", "name": "VIP", "price_minor": 12000, "kind": "vip", "capacity": 0},
            {
                "tier_id": "group4",
                "name": "Group of 4",
                "kind": "group",
                "admits": 4,
                "price_minor": 16000,
                "capacity": 5,
            },
        ],
        "phases": [
            {"phase_id": "presale", "starts_at": 0, "ends_at": 1, "prices_minor": {"standard": 1}},
            {"phase_id": "general", "name": "General", "starts_at": 1, "ends_at": 4102444800},
        ],
        "sections": [
            {
                "section_id": "A",
                "name": "Front",
                "tier_id": "vip",
                "rows": [{"row_id": "1", "seats": 4}, {"row_id": "2", "seats": 4}],
            },
        ],
    }
    event.update(overrides)
    return event


@dataclass
class Shop:
    app: Starlette
    settings: Settings
    shop_settings: ShopSettings
    queue_id: str

    @property
    def runtime(self) -> ShopRuntime:
        runtime: ShopRuntime = self.app.state.shop
        return runtime

    def client(self, visitor_id: str | None = None, **headers: str) -> httpx.AsyncClient:
        """A buyer with a valid pass (or ``visitor_id=""`` for no pass at all)."""
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://shop.test"
        )
        if visitor_id != "":
            visitor = visitor_id or new_visitor_id()
            token, _ = codec_for(self.settings).issue_pass(
                self.queue_id, visitor, secrets.token_hex(6)
            )
            client.headers["authorization"] = f"Bearer {token}"
            client.cookies.set(VISITOR_COOKIE, visitor)
            # one shop session per pass: this client is one browser session
            client.cookies.set(session_cookie_name(self.queue_id), secrets.token_hex(16))
        client.headers.update(headers)
        return client

    def browser(self, base_url: str = "http://shop.test") -> httpx.AsyncClient:
        """A buyer whose pass is in the shop's cookie, as a browser holds it (no bearer token:
        bearer requests are not cross-site candidates)."""
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=base_url)
        visitor = new_visitor_id()
        token, _ = codec_for(self.settings).issue_pass(self.queue_id, visitor, secrets.token_hex(6))
        client.cookies.set(pass_cookie_name(self.queue_id), token)
        client.cookies.set(VISITOR_COOKIE, visitor)
        client.cookies.set(session_cookie_name(self.queue_id), secrets.token_hex(16))
        return client

    def staff(self) -> httpx.AsyncClient:
        return self.client("", authorization=f"Bearer {STAFF_TOKEN}")

    async def define(self, event_id: str, **overrides: Any) -> dict[str, Any]:
        async with self.staff() as staff:
            response = await staff.put(
                f"/api/v1/staff/events/{event_id}", json=sample_event(self.queue_id, **overrides)
            )
        assert response.status_code == 200, response.text
        return dict(response.json())


ShopFactory = Callable[..., contextlib.AbstractAsyncContextManager[Shop]]


@pytest.fixture
def shop_factory(settings: Settings, unique_id: str) -> ShopFactory:
    @contextlib.asynccontextmanager
    async def start(
        redis_url: str | None = None,
        provider_factory: Callable[[Redis], PaymentProvider] | None = None,
        **overrides: Any,
    ) -> AsyncIterator[Shop]:
        base = settings if redis_url is None else settings.with_overrides(redis_url=redis_url)
        values: dict[str, Any] = {
            "queue_id": unique_id,
            "queue_url": f"/q/{unique_id}",
            "staff_token": STAFF_TOKEN,
            "staff_token_generated": False,
            "payment_timeout_seconds": 10.0,
        }
        values.update(overrides)
        shop_settings = ShopSettings(base=base, sale_redis_url=str(base.redis_url), **values)
        app = create_app(base, shop_settings, provider_factory)
        async with app.router.lifespan_context(app):
            queue_redis = app.state.shop.queue_redis
            await AdmissionStore(queue_redis, 10).configure(
                unique_id, {"name": "Test queue", "state": "open", "event_id": unique_id}
            )
            yield Shop(app, base, shop_settings, unique_id)

    return start


@pytest.fixture
async def shop(shop_factory: ShopFactory) -> AsyncIterator[Shop]:
    async with shop_factory() as started:
        yield started
