"""Reports each event's stock to the waiting room through the connector (contract section 5):
``PUT /api/v1/connector/queues/{queue_id}/events/{event_id}/stock``. The shop never touches
the queue's Redis; the waiting room decides the queue's state from the reports.

- A report follows every change soon (hold, release, checkout, refund, event definition):
  :meth:`StockReporter.changed` starts one at once when none of the event is in flight, else
  marks the event dirty, so a burst of sales costs one report per round, and rounds of one
  event are at least ``min_interval_seconds`` apart (a few reports a second at most).
- Each report carries the figures as they are in the sale Redis, with the Redis time of the
  read as ``version`` (the waiting room keeps the newest, whichever process sends first), and
  the tickets this process sold since its last report that got through (``sold_by_minute``).
- A failed report never fails a sale: it is logged, its sales are kept for the next report,
  and the next change or the periodic round of the shop's background loop (every event again,
  every ``WAITROOM_SALE_STOCK_REPORT_SECONDS``) tries again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from typing import Any, Protocol

from redis.exceptions import RedisError

from sale_backend.domain.catalog import Event
from sale_backend.storage.store import SaleStore
from service_kit.errors import ServiceError

LOGGER = logging.getLogger("sale_backend")
MIN_INTERVAL_SECONDS = 0.25
MAX_SALES_MINUTES = 240
"""Unreported minutes kept per event (the waiting room takes at most this many per report)."""


class StockReports(Protocol):
    """Where reports go: the waiting room's connector (``WaitroomConnector.report_stock``)."""

    async def report_stock(self, event_id: str, stock: dict[str, Any]) -> Any: ...


class StockReporter:
    def __init__(
        self,
        store: SaleStore,
        connector: StockReports,
        queue_id: str,
        min_interval_seconds: float = MIN_INTERVAL_SECONDS,
    ) -> None:
        self.store = store
        self.connector = connector
        self.queue_id = queue_id
        self.min_interval_seconds = min_interval_seconds
        self._running: set[str] = set()
        self._dirty: set[str] = set()
        self._sales: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self._last_round: dict[str, float] = {}
        self._failing: set[str] = set()
        self._events: dict[str, Event] = {}
        """The newest catalog of each event (tier names), as the last change gave it."""
        self._tasks: set[asyncio.Task[None]] = set()

    def changed(self, event: Event, sold_delta: int = 0) -> None:
        """Note a stock change (and tickets sold, negative for refunds); a report follows soon.
        Events of another queue are not this shop's to report."""
        if event.queue_id != self.queue_id:
            return
        if sold_delta:
            self._sales[event.event_id][int(time.time() // 60)] += sold_delta
        self._events[event.event_id] = event
        if event.event_id in self._running:
            self._dirty.add(event.event_id)
            return
        self._running.add(event.event_id)
        task = asyncio.get_running_loop().create_task(self._report_loop(event.event_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for every report in flight (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _report_loop(self, event_id: str) -> None:
        try:
            while True:
                wait = self._last_round.get(event_id, float("-inf")) + self.min_interval_seconds
                delay = wait - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                self._dirty.discard(event_id)
                self._last_round[event_id] = time.monotonic()
                if not await self._report_once(self._events[event_id]):
                    return  # the next change or the periodic round tries again
                if event_id not in self._dirty:
                    return
        finally:
            self._running.discard(event_id)

    async def _report_once(self, event: Event) -> bool:
        event_id = event.event_id
        sales = self._sales.pop(event_id, {})
        try:
            snapshot = await self.store.stock_snapshot(event_id)
            body = stock_report_body(event, snapshot.figures, snapshot.version_us, sales)
            answer = await self.connector.report_stock(event_id, body)
        except (ServiceError, RedisError, OSError) as error:
            self._failed(event_id, sales, _why(error))
            return False
        except Exception:  # a report never fails a sale, and its sales are kept
            LOGGER.exception("stock report of %s failed", event_id)
            self._failed(event_id, sales, "unexpected error")
            return False
        if event_id in self._failing:
            self._failing.discard(event_id)
            LOGGER.info("stock of %s reported again (queue %s)", event_id, answer)
        return True

    def _failed(self, event_id: str, sales: dict[int, int], why: str) -> None:
        """Keep the sales for the next report; log once per run of failures."""
        if sales:
            pending = self._sales[event_id]
            for minute, count in sales.items():
                pending[minute] += count
            for minute in sorted(pending)[:-MAX_SALES_MINUTES]:
                del pending[minute]
        if event_id not in self._failing:
            self._failing.add(event_id)
            LOGGER.warning("stock of %s not reported (retried): %s", event_id, why)


def stock_report_body(
    event: Event, figures: dict[str, int], version: int, sales: dict[int, int]
) -> dict[str, Any]:
    """The contract's report of one event from the shop's stock hash."""
    tiers = []
    for tier in event.tiers:
        prefix = f"tier:{tier.tier_id}:"
        tiers.append(
            {
                "tier_id": tier.tier_id,
                "name": tier.name,
                "remaining": figures.get(prefix + "remaining", 0),
                "capacity": figures.get(prefix + "capacity", 0),
                "sold": figures.get(prefix + "sold", 0),
                "held": figures.get(prefix + "held", 0),
            }
        )
    return {
        "remaining": figures.get("remaining_total", 0),
        "capacity": figures.get("capacity_total", 0),
        "sold": figures.get("sold_total", 0),
        "held": figures.get("held_total", 0),
        "tiers": tiers,
        "sold_by_minute": {str(minute): count for minute, count in sorted(sales.items()) if count},
        "version": version,
    }


def _why(error: Exception) -> str:
    if isinstance(error, ServiceError):
        return error.detail
    return f"{type(error).__name__}: {error}"
