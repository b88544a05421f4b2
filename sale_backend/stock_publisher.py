"""Publishes stock figures into the QUEUE's Redis keyspace, so the waiting room reads them
cheaply, and tells the waiting room when an event sells out.

Contract (docs/sale_backend.md): hash ``QueueKeys(queue_id).part("stock")`` with
``remaining_total``, ``capacity_total``, ``sold_total``, ``held_total``, ``tier:<id>:remaining``,
``tier:<id>:capacity``, ``tier:<id>:name``, ``updated_at``; hash ``part("sales_per_minute")``:
field ``str(int(unix_seconds // 60))`` -> tickets sold in that minute (refunds count negative).

Publishing is coalesced per event: while one publish runs, further changes only mark the event
dirty, so a burst of checkouts costs one read and one write per round, not one per sale.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

from redis.asyncio import Redis
from redis.typing import EncodableT, FieldT

from sale_backend.catalog import Event
from sale_backend.store import SaleStore
from waitroom.admission import AdmissionStore
from waitroom.keys import QueueKeys

SALES_PER_MINUTE_TTL_SECONDS = 7 * 24 * 3600


class StockPublisher:
    def __init__(self, store: SaleStore, queue_redis: Redis, default_burst: int) -> None:
        self.store = store
        self.queue_redis = queue_redis
        self.admission = AdmissionStore(queue_redis, default_burst)
        self._running: set[str] = set()
        self._dirty: set[str] = set()
        self._sales: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self._tasks: set[asyncio.Task[None]] = set()

    def changed(self, event: Event, sold_delta: int = 0) -> None:
        """Note a stock change (and tickets sold, negative for refunds); publishes soon."""
        if sold_delta:
            self._sales[event.queue_id][int(time.time() // 60)] += sold_delta
        if event.event_id in self._running:
            self._dirty.add(event.event_id)
            return
        self._running.add(event.event_id)
        task = asyncio.get_running_loop().create_task(self._publish_loop(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def sold_out(self, event: Event) -> None:
        """The event's stock ran out: the waiting room stops admitting at once."""
        if await self.queue_redis.exists(QueueKeys(event.queue_id).config):
            await self.admission.mark_sold_out(event.queue_id)

    async def drain(self) -> None:
        """Wait for every publish in flight (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _publish_loop(self, event: Event) -> None:
        try:
            while True:
                self._dirty.discard(event.event_id)
                await self.publish_now(event)
                if event.event_id not in self._dirty:
                    return
        except Exception:  # a hint only: the next change publishes again
            return
        finally:
            self._running.discard(event.event_id)

    async def publish_now(self, event: Event) -> None:
        stock = await self.store.stock(event.event_id)
        keys = QueueKeys(event.queue_id)
        fields: dict[FieldT, EncodableT] = {
            name: stock.get(name, 0)
            for name in ("remaining_total", "capacity_total", "sold_total", "held_total")
        }
        for tier in event.tiers:
            prefix = f"tier:{tier.tier_id}:"
            fields[prefix + "remaining"] = stock.get(prefix + "remaining", 0)
            fields[prefix + "capacity"] = stock.get(prefix + "capacity", 0)
            fields[prefix + "name"] = tier.name
        fields["updated_at"] = int(time.time())
        sales = self._sales.pop(event.queue_id, {})
        async with self.queue_redis.pipeline(transaction=False) as pipe:
            pipe.hset(keys.part("stock"), mapping=fields)
            for minute, count in sales.items():
                pipe.hincrby(keys.part("sales_per_minute"), str(minute), count)
            if sales:
                pipe.expire(keys.part("sales_per_minute"), SALES_PER_MINUTE_TTL_SECONDS)
            await pipe.execute()
