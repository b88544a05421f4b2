"""Per-process state of a running shop app, owned by the app's lifespan."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass, field

import orjson
from redis.asyncio import Redis
from starlette.requests import Request

from sale_backend.domain.attempt_door import AttemptDoor
from sale_backend.domain.catalog import Event
from sale_backend.domain.checkout import CheckoutService
from sale_backend.domain.documents import EventView
from sale_backend.domain.entry_scans import EntryScanner, ScanOutcome, ScanRequest
from sale_backend.domain.fulfilment import Answer, Fulfilment
from sale_backend.domain.holds import Hold
from sale_backend.domain.order_links import OrderLinks
from sale_backend.domain.payments import PaymentProvider
from sale_backend.domain.records import stored_event
from sale_backend.domain.refunds import RefundService
from sale_backend.domain.stock_reporter import StockReporter
from sale_backend.domain.ticket_mail import TicketMail
from sale_backend.domain.tickets import TicketCodes
from sale_backend.errors import EventNotFound, TicketRejected
from sale_backend.settings import ShopSettings
from sale_backend.storage.keys import is_valid_event_id
from sale_backend.storage.store import SaleStore
from sale_backend.web.form_tokens import FormTokens
from sale_backend.web.metrics import ShopMetrics
from sale_backend.web.views import event_view
from service_kit.errors import NotAuthenticated, ServiceError
from service_kit.languages import DEFAULT_LANGUAGE, Catalogs
from service_kit.mail_outbox import MailOutbox
from service_kit.problems import error_problem
from waitroom.connector import ConnectorError, SiteSession, StockMark, WaitroomConnector
from waitroom.connector.health import HealthWindow

CATALOG_CACHE_SECONDS = 2.0
"""A process reloads an event's catalog this often while it is used (in the background)."""
CATALOG_STALE_SECONDS = 30.0
"""Older than this (the reloads failing), requests wait for a load of their own."""
PROFILE_FIELDS = ("name", "email", "tier_id", "quantity")
LOGGER = logging.getLogger("sale_backend")


@dataclass
class ShopRuntime:
    settings: ShopSettings
    sale_redis: Redis
    store: SaleStore
    provider: PaymentProvider
    reporter: StockReporter
    codes: TicketCodes
    fulfilment: Fulfilment
    checkout: CheckoutService
    refunds: RefundService
    metrics: ShopMetrics
    connector: WaitroomConnector
    links: OrderLinks
    form_tokens: FormTokens
    scanner: EntryScanner
    door: AttemptDoor
    health: HealthWindow
    """Latency and errors of this process's checkouts and holds (reported for autotune)."""
    reporter_id: str
    """This process in its health reports."""
    _events: dict[str, tuple[float, Event]] = field(default_factory=dict)
    _loading: dict[str, asyncio.Task[Event]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        settings: ShopSettings,
        sale_redis: Redis,
        provider: PaymentProvider,
        connector: WaitroomConnector,
        catalogs: Catalogs,
        health: HealthWindow | None = None,
    ) -> ShopRuntime:
        """``catalogs``: the shop's translations (the pages' own; the tickets e-mail's too)."""
        store = SaleStore(sale_redis)
        reporter = StockReporter(store, connector, settings.queue_id)
        codes = TicketCodes(settings.secret_keys)
        links = OrderLinks(settings.secret_keys)
        ticket_mail = (
            TicketMail(
                store, MailOutbox(sale_redis), codes, links, settings.mail, settings.public_url,
                catalogs,
            )
            if settings.mail_enabled
            else None
        )
        fulfilment = Fulfilment(
            store, provider, reporter, codes, links, settings.idempotency_ttl_seconds,
            problem_answer, ticket_mail,
        )
        return cls(
            settings=settings,
            sale_redis=sale_redis,
            store=store,
            provider=provider,
            reporter=reporter,
            codes=codes,
            fulfilment=fulfilment,
            checkout=CheckoutService(
                fulfilment, settings.hold_ttl_seconds, settings.payment_timeout_seconds
            ),
            refunds=RefundService(store, provider, reporter),
            metrics=ShopMetrics.create(),
            connector=connector,
            links=links,
            form_tokens=FormTokens(settings.secret_keys),
            scanner=EntryScanner(store, codes),
            door=AttemptDoor(store.stock_view),
            health=health or HealthWindow((), settings.health_window_seconds),
            reporter_id=f"shop-{socket.gethostname()[:32]}-{os.getpid()}-{secrets.token_hex(2)}",
        )

    async def event(self, event_id: object, any_queue: bool = False) -> Event:
        """The catalog of an event, cached in-process for a few seconds. Buyers only see events
        of the queue this shop's gate admits from (a pass of one queue buys nothing of another
        queue's event); staff and background work pass ``any_queue=True``."""
        if not isinstance(event_id, str) or not is_valid_event_id(event_id):
            raise EventNotFound(str(event_id)[:64])
        cached = self._events.get(event_id)
        age = float("inf") if cached is None else time.monotonic() - cached[0]
        if age >= CATALOG_CACHE_SECONDS and event_id not in self._loading:
            loading = asyncio.get_running_loop().create_task(self._load_event(event_id))
            self._loading[event_id] = loading
            loading.add_done_callback(lambda done: self._loaded(event_id, done))
        if cached is not None and age < CATALOG_STALE_SECONDS:
            event = cached[1]  # a reload, if due, runs meanwhile: nobody waits for it
        else:
            event = await asyncio.shield(self._loading[event_id])
        if not any_queue and event.queue_id != self.settings.queue_id:
            raise EventNotFound(event_id)
        return event

    async def _load_event(self, event_id: str) -> Event:
        event = await stored_event(self.store, event_id)
        self._events[event_id] = (time.monotonic(), event)
        return event

    def _loaded(self, event_id: str, task: asyncio.Task[Event]) -> None:
        self._loading.pop(event_id, None)
        if not task.cancelled() and task.exception() is not None:  # the waiters got it
            LOGGER.debug("catalog of %s not loaded: %s", event_id, task.exception())

    async def event_views(self, language: str = DEFAULT_LANGUAGE) -> list[EventView]:
        """Every event a buyer of this shop may see, with its stock (names in ``language``)."""
        views = []
        for event_id in await self.store.event_ids():
            try:
                event = await self.event(event_id)
            except EventNotFound:
                continue
            views.append(event_view(event, await self.store.stock(event_id), language=language))
        return views

    def record_checkout(self, event: Event, answer: Answer, seconds: float) -> None:
        outcome = "order" if answer.created else _problem_slug(answer.body)
        self.metrics.checkouts.labels(outcome).inc()
        self.metrics.checkout_duration.observe(seconds)
        if answer.created and not answer.replayed:
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

    async def profile(self, session: SiteSession) -> dict[str, str]:
        """The pre-checkout profile the fan filled in while waiting, through the connector
        (empty when none, or when the waiting room cannot say right now)."""
        try:
            values = await self.connector.profile(session)
        except ConnectorError as error:
            LOGGER.warning("pre-checkout profile unavailable: %s", error.detail)
            return {}
        return {
            name: str(values[name])[:200]
            for name in PROFILE_FIELDS
            if values.get(name) not in (None, "")
        }

    async def cart_held(self, session: SiteSession, hold: Hold) -> None:
        """A cart is held: the shopping session lasts at least until the hold expires."""
        try:
            await self.connector.extend(session, -(-hold.expires_at_ms // 1000))
        except ConnectorError as error:
            LOGGER.warning("session not extended for hold %s: %s", hold.hold_id, error.detail)

    async def purchase_completed(self, session: SiteSession, event: Event, answer: Answer) -> None:
        """A new order: the session ends at once (the active-shopper slot is freed), saying
        where the sale stands in the event's stock reports."""
        version = answer.sold_at_version_us
        stock = None if version is None else StockMark(event.event_id, version)
        try:
            await self.connector.end(session, "purchase_completed", stock)
        except ConnectorError as error:
            LOGGER.warning("session %s not ended: %s", session.pass_id, error.detail)


def problem_answer(error: ServiceError) -> Answer:
    """A checkout error as its recorded answer (the problem body an Idempotency-Key replays)."""
    problem = error_problem(error)
    return Answer(problem.status, problem.body)


@functools.lru_cache(maxsize=256)  # a sell-out race records the same refusal body
def _problem_slug(body: bytes) -> str:
    """The last part of a problem's type (a refusal's body is one of a few, each read once)."""
    try:
        problem_type = str(orjson.loads(body).get("type", ""))
    except (orjson.JSONDecodeError, AttributeError):
        return "error"
    return problem_type.rsplit("/", 1)[-1] or "error"


def shop_runtime(request: Request) -> ShopRuntime:
    runtime: ShopRuntime = request.app.state.shop
    return runtime


def session_of(request: Request) -> SiteSession:
    """The shopping session the connector's middleware let this request in with."""
    session = getattr(request.state, "waitroom_session", None)
    if not isinstance(session, SiteSession):
        raise NotAuthenticated("a waiting room pass is required")
    return session


def buyer_of(request: Request) -> str:
    """The buyer: the session's keyed visitor hash (the pass's ``vh``), stable per fan."""
    return session_of(request).buyer
