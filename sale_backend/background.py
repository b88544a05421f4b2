"""Background work of a shop process: release expired holds (stock returns even when nobody
buys) and reconcile payment intents that a crashed process left behind."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from redis.exceptions import RedisError

from sale_backend.reconcile import reconcile
from sale_backend.runtime import ShopRuntime
from sale_backend.store import EventNotFound

LOGGER = logging.getLogger("sale_backend")
RECONCILE_INTERVAL_SECONDS = 30.0
EXPIRED_PER_SWEEP = 500


async def sweep_expired_holds(runtime: ShopRuntime) -> int:
    released_total = 0
    for event_id in await runtime.store.event_ids():
        answer = await runtime.store.run("release", event_id, ["expired", EXPIRED_PER_SWEEP])
        released = int(answer[1])
        if released:
            released_total += released
            with contextlib.suppress(EventNotFound):
                runtime.publisher.changed(await runtime.event(event_id))
    return released_total


async def publish_all(runtime: ShopRuntime) -> None:
    """At start: publish every event's stock for the waiting room, and repeat the sold-out
    signal for events that sold out (a crash may have come between the sale and the signal)."""
    for event_id in await runtime.store.event_ids():
        try:
            event = await runtime.event(event_id)
        except EventNotFound:
            continue
        await runtime.publisher.publish_now(event)
        stock = await runtime.store.stock(event_id)
        if 0 < stock.get("capacity_total", 0) <= stock.get("sold_total", 0):
            await runtime.publisher.sold_out(event)


async def run_background(runtime: ShopRuntime) -> None:
    """Runs until cancelled; Redis hiccups are logged and retried on the next round."""
    next_reconcile = time.monotonic() + RECONCILE_INTERVAL_SECONDS
    while True:
        await asyncio.sleep(runtime.settings.sweep_interval_seconds)
        try:
            await sweep_expired_holds(runtime)
            if time.monotonic() >= next_reconcile:
                next_reconcile = time.monotonic() + RECONCILE_INTERVAL_SECONDS
                await reconcile(runtime.fulfilment, runtime.settings.reconcile_after_seconds)
        except (RedisError, OSError) as error:
            LOGGER.warning("shop background round failed: %s", error)
