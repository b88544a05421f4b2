"""Per-process state of a running shop app, owned by the app's lifespan."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from redis.asyncio import Redis
from starlette.requests import Request

from sale_backend.catalog import Event
from sale_backend.checkout import CheckoutService
from sale_backend.entry_scans import EntryScanner, ScanOutcome, ScanRequest
from sale_backend.errors import TicketRejected
from sale_backend.fulfilment import Answer, Fulfilment
from sale_backend.keys import is_valid_event_id
from sale_backend.payments import PaymentProvider
from sale_backend.refunds import RefundService
from sale_backend.shop_metrics import ShopMetrics
from sale_backend.shop_settings import ShopSettings
from sale_backend.stock_publisher import StockPublisher
from sale_backend.store import EventNotFound, SaleStore, decode
from sale_backend.tickets import TicketCodes
from sale_backend.views import event_view
from waitroom.keys import QueueKeys
from waitroom.pass_registry import PassRegistry
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
    metrics: ShopMetrics
    passes: PassRegistry
    scanner: EntryScanner
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
            metrics=ShopMetrics.create(),
            passes=PassRegistry(queue_redis, settings.base.cookie_secure),
            scanner=EntryScanner(store, codes),
        )

    async def event(self, event_id: object, any_queue: bool = False) -> Event:
        """The catalog of an event, cached in-process for a few seconds. Buyers only see events
        of the queue this shop's gate admits from (a pass of one queue buys nothing of another
        queue's event); staff and background work pass ``any_queue=True``."""
        if not isinstance(event_id, str) or not is_valid_event_id(event_id):
            raise EventNotFound(str(event_id)[:64])
        cached = self._events.get(event_id)
        now = time.monotonic()
        if cached is not None and now - cached[0] < CATALOG_CACHE_SECONDS:
            event = cached[1]
        else:
            event = await self.store.load_event(event_id)
            self._events[event_id] = (now, event)
        if not any_queue and event.queue_id != self.settings.queue_id:
            raise EventNotFound(event_id)
        return event

    async def event_views(self) -> list[dict[str, Any]]:
        """Every event a buyer of this shop may see, with its stock."""
        views = []
        for event_id in await self.store.event_ids():
            try:
                event = await self.event(event_id)
            except EventNotFound:
                continue
            views.append(event_view(event, await self.store.stock(event_id)))
        return views

    def record_checkout(self, event: Event, answer: Answer, seconds: float) -> None:
        outcome = "order" if answer.status == 201 else _problem_slug(answer.body)
        self.metrics.checkouts.labels(outcome).inc()
        self.metrics.checkout_duration.observe(seconds)
        if answer.status == 201 and not answer.replayed:
            tickets = orjson.loads(answer.body).get("tickets", [])
            self.metrics.tickets_sold.labels(event.event_id).inc(len(tickets))

    async def scan(self, request: ScanRequest, event_id: str | None) -> ScanOutcome:
        """An entry scan (:class:`EntryScanner`) at a scanner of ``event_id`` (``None``: the
        signed code's event), counted in ``metrics.scans`` by result."""
        try:
            outcome = await self.scanner.scan(request, event_id)
        except TicketRejected as error:
            self.metrics.scans.labels(str(error.extra.get("reason", "rejected"))).inc()
            raise
        self.metrics.scans.labels("accepted" if outcome.admitted else outcome.outcome).inc()
        return outcome

    def forget_event(self, event_id: str) -> None:
        self._events.pop(event_id, None)

    async def profile(self, event: Event, buyer: str) -> dict[str, str]:
        """The fan's pre-checkout profile saved in the waiting room (empty when none)."""
        raw = await self.queue_redis.hgetall(QueueKeys(event.queue_id).profile(buyer))
        values = {decode(key): decode(value) for key, value in raw.items()}
        return {name: values[name][:200] for name in PROFILE_FIELDS if name in values}


def _problem_slug(body: bytes) -> str:
    try:
        problem_type = str(orjson.loads(body).get("type", ""))
    except (orjson.JSONDecodeError, AttributeError):
        return "error"
    return problem_type.rsplit("/", 1)[-1] or "error"


def shop_runtime(request: Request) -> ShopRuntime:
    runtime: ShopRuntime = request.app.state.shop
    return runtime


def buyer_of(request: Request) -> str:
    """The buyer is the visitor id inside the waiting room's pass (verified by the gate)."""
    claims = getattr(request.state, "waitroom_pass", None)
    if claims is None:
        raise NotAuthenticated("a waiting room pass is required")
    return str(claims.visitor_id)
