"""Shop fixtures: the shop app on the real test Redis, driven in-process over ASGI, its connector
talking to a real waiting-room app (in process, over an ASGI transport), and buyers holding real
waiting-room passes (issued by the waiting room's own pass records) as bearer tokens."""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette

from sale_backend.domain.payments import CARD_SUCCEEDS, PaymentProvider
from sale_backend.settings import ShopSettings
from sale_backend.storage.stock_view import StockSnapshot, StockView
from sale_backend.web.app import create_app
from sale_backend.web.runtime import ShopRuntime
from waitroom.connector import ConnectorSettings, PassClaims, visitor_hash
from waitroom.queue.stock import stock_figures
from waitroom.settings import Settings
from waitroom.tokens import new_visitor_id
from waitroom.web.app import create_app as create_waitroom_app
from waitroom.web.runtime import Runtime

STAFF_TOKEN = "test-staff-token-0123456789"
FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(page: httpx.Response) -> str:
    """The CSRF token in a shop page's forms, which a browser posts back with the form."""
    found = FORM_TOKEN.search(page.text)
    assert found is not None, f"no csrf_token field on {page.url}"
    return found.group(1)


def express_checkout_body(event_id: str, **details: Any) -> dict[str, Any]:
    """The body of an express checkout of one standard ticket with a card that succeeds."""
    return {
        "event_id": event_id,
        "items": [{"tier_id": "standard", "quantity": 1}],
        "card_number": CARD_SUCCEEDS,
        "name": "Ada Fan",
        "email": "ada@example.org",
        **details,
    }


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
    waitroom: Runtime
    issuing: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(32))
    views: list[StockView] = field(default_factory=list)
    """Stock views a test made; closed with the shop (no read left out on its Redis)."""

    def stock_view(
        self, read: Callable[[str, int], Awaitable[StockSnapshot]] | None = None, **options: Any
    ) -> StockView:
        """A stock view of its own reading this shop's sale Redis (``read``: instead of the
        store's read), closed when the shop stops."""
        view = StockView(read or self.runtime.store.stock_snapshot, **options)
        self.views.append(view)
        return view

    @property
    def runtime(self) -> ShopRuntime:
        runtime: ShopRuntime = self.app.state.shop
        return runtime

    def buyer(self, visitor_id: str) -> str:
        """The buyer id the shop sees for a visitor: the pass's keyed visitor hash."""
        return visitor_hash(self.settings.secret_keys, visitor_id)

    async def issue_pass(self, visitor_id: str | None = None, position: int = 0) -> str:
        """A pass of a fresh place, issued by the waiting room's own records (fixed expiry,
        the visitor id kept there for the profile)."""
        visitor = visitor_id or new_visitor_id()
        pass_id = secrets.token_hex(12)
        record = await self.waitroom.sessions.issue(
            self.queue_id, pass_id, position, visitor, time.time()
        )
        claims = PassClaims(self.queue_id, self.buyer(visitor), pass_id, record.expires_at)
        return self.waitroom.passes.issue(claims)

    def client(self, visitor_id: str | None = None, **headers: str) -> httpx.AsyncClient:
        """A buyer with a valid pass as a bearer token (``visitor_id=""``: no pass at all).
        The pass is issued on the first request (``auth``), so this stays synchronous."""
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://shop.test"
        )
        if visitor_id != "":
            client.auth = _PassAuth(self, visitor_id or new_visitor_id())
        client.headers.update(headers)
        return client

    def browser(self, base_url: str = "http://shop.test") -> httpx.AsyncClient:
        """A buyer as a browser holds it: the site-session cookie from the pass handoff (a pass
        in the URL once, the shop's own 303 and cookie), made on the first request. No bearer
        token: bearer requests are not cross-site candidates."""
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=base_url)
        client.auth = _SiteSessionHandoff(self, client)
        return client

    def readmit(self, browser: httpx.AsyncClient) -> None:
        """The browser comes back through the queue (a purchase ended its session): its next
        request makes the handoff of a new pass; the shop's own cookies stay."""
        assert isinstance(browser.auth, _SiteSessionHandoff)
        browser.auth.done = False

    def staff(self) -> httpx.AsyncClient:
        return self.client("", authorization=f"Bearer {STAFF_TOKEN}")

    async def reported_stock(self) -> dict[str, Any] | None:
        """The stock the waiting room holds for the queue, once every report in flight
        reached it (through the connector: the shop never writes the queue's keys)."""
        await self.runtime.reporter.drain()
        return await stock_figures(self.waitroom.redis, self.queue_id)

    async def define(self, event_id: str, **overrides: Any) -> dict[str, Any]:
        async with self.staff() as staff:
            response = await staff.put(
                f"/api/v1/staff/events/{event_id}", json=sample_event(self.queue_id, **overrides)
            )
        assert response.status_code == 200, response.text
        return dict(response.json())


class _PassAuth(httpx.Auth):
    """``Authorization: Bearer <pass>``: one pass per client, issued on its first request."""

    def __init__(self, shop: Shop, visitor_id: str) -> None:
        self.shop = shop
        self.visitor_id = visitor_id
        self.token: str | None = None

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncIterator[httpx.Request]:  # type: ignore[override]
        if "authorization" not in request.headers:
            if self.token is None:
                async with self.shop.issuing:  # a thousand buyers at once: not all at once
                    self.token = await self.shop.issue_pass(self.visitor_id)
            request.headers["authorization"] = f"Bearer {self.token}"
        yield request


class _SiteSessionHandoff(httpx.Auth):
    """Before a browser's first request: the handoff, as a fan arriving from the queue makes it."""

    def __init__(self, shop: Shop, client: httpx.AsyncClient) -> None:
        self.shop = shop
        self.client = client
        self.done = False

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncIterator[httpx.Request]:  # type: ignore[override]
        if not self.done:
            self.done = True
            async with self.shop.issuing:
                token = await self.shop.issue_pass()
            handoff = httpx.Request(
                "GET", request.url.copy_with(path="/", query=f"waitroom_pass={token}".encode())
            )
            response = yield handoff
            assert response.status_code == 303, response.text
            name, _, value = response.headers["set-cookie"].split(";", 1)[0].partition("=")
            self.client.cookies.set(name, value)
            pair = f"{name}={value}"
            existing = request.headers.get("cookie")
            request.headers["cookie"] = f"{existing}; {pair}" if existing else pair
        yield request


ShopFactory = Callable[..., contextlib.AbstractAsyncContextManager[Shop]]


@pytest.fixture
def shop_factory(settings: Settings, unique_id: str) -> ShopFactory:
    @contextlib.asynccontextmanager
    async def start(
        redis_url: str | None = None,
        provider_factory: Callable[[Redis], PaymentProvider] | None = None,
        wrap_connector: Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport] = (
            lambda transport: transport
        ),
        **overrides: Any,
    ) -> AsyncIterator[Shop]:
        base = settings if redis_url is None else settings.with_overrides(redis_url=redis_url)
        connector = ConnectorSettings(
            secret_keys=base.secret_keys,
            queue_id=unique_id,
            queue_url=overrides.pop("queue_url", f"/q/{unique_id}"),
        )
        values: dict[str, Any] = {
            "staff_token": STAFF_TOKEN,
            "metrics_token": base.metrics_token,
            "payment_timeout_seconds": 10.0,
        }
        values.update(overrides)
        shop_settings = ShopSettings(
            connector=connector, sale_redis_url=str(base.redis_url), **values
        )
        waitroom = create_waitroom_app(base)
        transport = wrap_connector(httpx.ASGITransport(app=waitroom))
        app = create_app(shop_settings, provider_factory, connector_transport=transport)
        async with waitroom.router.lifespan_context(waitroom), app.router.lifespan_context(app):
            await waitroom.state.runtime.store.configure(
                unique_id, {"name": "Test queue", "state": "open", "event_id": unique_id}
            )
            shop = Shop(app, base, shop_settings, unique_id, waitroom.state.runtime)
            try:
                yield shop
            finally:
                for view in shop.views:
                    await view.close()

    return start


@pytest.fixture
async def shop(shop_factory: ShopFactory) -> AsyncIterator[Shop]:
    async with shop_factory() as started:
        yield started
