"""Background work of a shop process: release expired holds (stock returns even when nobody
buys), report every event's stock to the waiting room again every few seconds (retries what
failed, repairs a waiting room that lost its figures) and reconcile payment intents that a
crashed process left behind."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from redis.exceptions import RedisError

from sale_backend.domain.reconcile import reconcile
from sale_backend.errors import EventNotFound
from sale_backend.web.runtime import ShopRuntime
from service_kit.mail import MailSender
from service_kit.periodic import PeriodicWork
from waitroom.connector import ConnectorError

LOGGER = logging.getLogger("sale_backend")
RECONCILE_INTERVAL_SECONDS = 30.0
EXPIRED_PER_SWEEP = 500
STOP_TIMEOUT_SECONDS = 15.0
"""Longer than a round's Redis calls can take (socket and pool timeouts are 5 s each)."""


async def sweep_expired_holds(runtime: ShopRuntime) -> int:
    released_total = 0
    for event_id in await runtime.store.event_ids():
        released = await runtime.store.scripts.release_expired(event_id, EXPIRED_PER_SWEEP)
        if released:
            released_total += released
            runtime.metrics.holds_expired.inc(released)
            with contextlib.suppress(EventNotFound):
                runtime.reporter.changed(await runtime.event(event_id, any_queue=True))
    return released_total


async def report_all_stock(runtime: ShopRuntime) -> None:
    """Report every event of the shop's queue to the waiting room (at start and periodically);
    the reports run in the background and never wait for the waiting room here."""
    for event_id in await runtime.store.event_ids():
        with contextlib.suppress(EventNotFound):
            runtime.reporter.changed(await runtime.event(event_id, any_queue=True))


async def report_health(runtime: ShopRuntime) -> None:
    """Send this process's checkout and hold figures to the waiting room (never raises: the
    waiting room forgets a silent reporter after a few intervals, and autotune then holds)."""
    body = runtime.health.report(runtime.reporter_id, runtime.settings.health_report_seconds)
    try:
        await runtime.connector.report_health(body)
    except ConnectorError as error:
        LOGGER.info("health not reported: %s", error.detail)


async def run_health_reports(runtime: ShopRuntime, stop: asyncio.Event) -> None:
    """Every ``health_report_seconds``, this process's health to the waiting room: a loop of
    its own, so neither sweeps nor a slow waiting room delay it (a late report would go
    stale and leave autotune without figures)."""
    interval = runtime.settings.health_report_seconds
    while not stop.is_set():
        await report_health(runtime)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


async def run_background(runtime: ShopRuntime, stop: asyncio.Event) -> None:
    """Runs until ``stop`` is set; Redis hiccups are logged and retried on the next round.

    It stops on an event rather than on ``Task.cancel``: a cancellation that lands inside a
    Redis call's timeout block can be absorbed there (redis/redis-py#2551), and a shutdown that
    awaited the cancelled loop would then wait forever (seen in the test suite).
    """
    next_reconcile = time.monotonic() + RECONCILE_INTERVAL_SECONDS
    next_report = time.monotonic() + runtime.settings.stock_report_seconds
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), runtime.settings.sweep_interval_seconds)
        if stop.is_set():
            return
        try:
            await sweep_expired_holds(runtime)
            if time.monotonic() >= next_report:
                next_report = time.monotonic() + runtime.settings.stock_report_seconds
                await report_all_stock(runtime)
            if time.monotonic() >= next_reconcile:
                next_reconcile = time.monotonic() + RECONCILE_INTERVAL_SECONDS
                await reconcile(runtime.fulfilment, runtime.settings.reconcile_after_seconds)
        except (RedisError, OSError) as error:
            LOGGER.warning("shop background round failed: %s", error)


class BackgroundWork:
    """The shop's background loop, started with the app and stopped with a bounded wait."""

    def __init__(self, runtime: ShopRuntime) -> None:
        self._stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(run_background(runtime, self._stop))
        self._health = loop.create_task(run_health_reports(runtime, self._stop))

    async def stop(self, timeout_seconds: float = STOP_TIMEOUT_SECONDS) -> None:
        """Lets the current round finish (Redis calls time out after a few seconds), then
        gives up on it: shutting down never waits forever."""
        self._stop.set()
        health_done, _ = await asyncio.wait({self._health}, timeout=timeout_seconds)
        if not health_done:
            self._health.cancel()
        done, _ = await asyncio.wait({self._task}, timeout=timeout_seconds)
        if not done:
            LOGGER.warning("shop background round still running at shutdown: cancelled")
            self._task.cancel()
            return
        if not self._task.cancelled() and self._task.exception() is not None:
            LOGGER.error("shop background loop failed", exc_info=self._task.exception())


def start_ticket_mail(runtime: ShopRuntime) -> PeriodicWork | None:
    """Sends the queued ticket e-mails (a loop of its own: a slow SMTP server never delays
    the hold sweeps); None when tickets are not e-mailed."""
    ticket_mail = runtime.fulfilment.ticket_mail
    if ticket_mail is None:
        if runtime.settings.mail.enabled:
            LOGGER.warning(
                "WAITROOM_SMTP_HOST is set but WAITROOM_SHOP_PUBLIC_URL is not: "
                "tickets are not e-mailed"
            )
        return None
    sender = MailSender(runtime.settings.mail)

    async def deliver() -> int:
        return await ticket_mail.deliver(sender)

    interval = runtime.settings.mail_poll_seconds
    return PeriodicWork(deliver, interval, LOGGER, "ticket mail")
