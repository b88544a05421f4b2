"""Per-process state of a running shop app, owned by the app's lifespan."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from redis.asyncio import Redis
from starlette.requests import Request

from sale_backend.catalog import Event
from sale_backend.checkout import CheckoutService
from sale_backend.fulfilment import Fulfilment
from sale_backend.keys import is_valid_event_id
from sale_backend.payments import PaymentProvider
from sale_backend.refunds import RefundService
from sale_backend.shop_settings import ShopSettings
from sale_backend.stock_publisher import StockPublisher
from sale_backend.store import EventNotFound, SaleStore, decode
from sale_backend.tickets import TicketCodes
from waitroom.keys import QueueKeys
from waitroom.problems import NotAuthenticated

CATALOG_CACHE_SECONDS = 2.0
PROFILE_FIELDS = ("name", "email", "tier_id", "quantity")


@dataclass
class ShopRuntime:
    settings: ShopSettings
    sale_redis: Redis
    queue_redis: Redis
    store: SaleStore
    provider: PaymentProvider
    publisher: StockPublisher
    codes: TicketCodes
    fulfilment: Fulfilment
    checkout: CheckoutService
    refunds: RefundService
    _events: dict[str, tuple[float, Event]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        settings: ShopSettings,
        sale_redis: Redis,
        queue_redis: Redis,
        provider: PaymentProvider,
    ) -> ShopRuntime:
        store = SaleStore(sale_redis)
        publisher = StockPublisher(store, queue_redis, settings.base.default_burst)
        codes = TicketCodes(settings.base.secret_keys)
        fulfilment = Fulfilment(store, provider, publisher, codes, settings.idempotency_ttl_seconds)
        return cls(
            settings=settings,
            sale_redis=sale_redis,
            queue_redis=queue_redis,
            store=store,
            provider=provider,
            publisher=publisher,
            codes=codes,
            fulfilment=fulfilment,
            checkout=CheckoutService(
                fulfilment, settings.hold_ttl_seconds, settings.payment_timeout_seconds
            ),
            refunds=RefundService(store, provider, publisher),
        )

    async def event(self, event_id: object) -> Event:
        """The catalog of an event, cached in-process for a few seconds."""
        if not isinstance(event_id, str) or not is_valid_event_id(event_id):
            raise EventNotFound(str(event_id)[:64])
        cached = self._events.get(event_id)
        now = time.monotonic()
        if cached is not None and now - cached[0] < CATALOG_CACHE_SECONDS:
            return cached[1]
        event = await self.store.load_event(event_id)
        self._events[event_id] = (now, event)
        return event

    def forget_event(self, event_id: str) -> None:
        self._events.pop(event_id, None)

    async def profile(self, event: Event, buyer: str) -> dict[str, str]:
        """The fan's pre-checkout profile saved in the waiting room (empty when none)."""
        raw = await self.queue_redis.hgetall(QueueKeys(event.queue_id).profile(buyer))
        values = {decode(key): decode(value) for key, value in raw.items()}
        return {name: values[name][:200] for name in PROFILE_FIELDS if name in values}


def shop_runtime(request: Request) -> ShopRuntime:
    runtime: ShopRuntime = request.app.state.shop
    return runtime


def buyer_of(request: Request) -> str:
    """The buyer is the visitor id inside the waiting room's pass (verified by the gate)."""
    claims = getattr(request.state, "waitroom_pass", None)
    if claims is None:
        raise NotAuthenticated("a waiting room pass is required")
    return str(claims.visitor_id)
