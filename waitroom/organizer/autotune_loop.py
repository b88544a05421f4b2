"""The autotune loop each waiting-room process runs: one decision per queue per interval.

Every ``WAITROOM_AUTOTUNE_INTERVAL_SECONDS`` each process looks at the queues with autotune on
and, for each, tries to take the interval's turn (``SET NX PX``, :class:`AutotuneStore`): the
one process that gets it decides (:func:`waitroom.organizer.autotune.propose`), the others do
nothing, so processes never fight over the rate. A decision is made only while the queue admits
(open, past its opening). Every decision is kept (``autotune_decisions``: the dashboard's chart
and log); each one that changes the rate, and each change of the reason for keeping it, is also
written to the audit log (actor ``autotune``) and to the rate history.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time

from redis.exceptions import RedisError

from service_kit.errors import ServiceError
from waitroom.admission import QueueState
from waitroom.organizer.actions import record_change
from waitroom.organizer.autotune import propose
from waitroom.queue.autotune_store import AutotuneStore, Decision
from waitroom.queue.rate_history import record_rate
from waitroom.queue.site_health import current_health
from waitroom.web.runtime import Runtime

LOGGER = logging.getLogger("waitroom.autotune")
AUTOTUNE_ACTOR = "autotune"


def _topic(reason: str) -> str:
    """What a reason is about, without its figures: "near the limits", "at the maximum"."""
    return reason.split("(")[0].split(";")[0].strip()


async def decide_once(runtime: Runtime, queue_id: str, owner: str) -> Decision | None:
    """Decide ``queue_id``'s rate if autotune is on, the queue admits and this process has
    the interval's turn; returns the decision (None: not this process's to make)."""
    store = AutotuneStore(runtime.redis)
    settings = await store.settings(queue_id)
    if not settings.enabled:
        return None
    runtime.views.invalidate(queue_id)
    snapshot = (await runtime.views.get(queue_id)).snapshot
    if snapshot.config.state is not QueueState.OPEN or not snapshot.opened:
        return None
    if not await store.take_turn(queue_id, owner, runtime.settings.autotune_interval_seconds):
        return None
    health = await current_health(runtime.redis, queue_id)
    rate = snapshot.config.rate_per_minute
    proposal = propose(settings, rate, health)
    latencies = [] if health is None else [op.p95_ms for op in health.operations]
    worst_p95 = max((value for value in latencies if value is not None), default=None)
    decision = Decision(
        at=round(time.time(), 3),
        rate_before=rate,
        rate_per_minute=proposal.rate,
        kind=proposal.kind,
        reason=proposal.reason,
        p95_ms=None if worst_p95 is None else round(worst_p95, 1),
        error_ratio=(
            None
            if health is None
            else round(max((op.error_ratio for op in health.operations), default=0.0), 4)
        ),
        requests=0 if health is None else health.requests,
        process=owner,
    )
    previous = await store.last_decision(queue_id)
    await store.record(queue_id, decision)
    if proposal.rate != rate:
        await runtime.store.configure(queue_id, {"rate_per_minute": proposal.rate})
        runtime.views.invalidate(queue_id)
        changed = (await runtime.views.get(queue_id)).snapshot.config
        await record_rate(runtime.redis, queue_id, changed, AUTOTUNE_ACTOR)
    if (
        proposal.rate != rate
        or previous is None
        or previous.kind != decision.kind
        or _topic(previous.reason) != _topic(decision.reason)
    ):
        await record_change(
            runtime,
            queue_id,
            AUTOTUNE_ACTOR,
            "autotune",
            {
                "rate_before": rate,
                "rate_per_minute": proposal.rate,
                "kind": proposal.kind,
                "reason": proposal.reason,
            },
        )
    return decision


class AutotuneLoop:
    """Started and stopped with the app (its lifespan)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        interval = self.runtime.settings.autotune_interval_seconds
        store = AutotuneStore(self.runtime.redis)
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), interval)
            if self._stop.is_set():
                return
            try:
                queue_ids = await store.queues()
            except (RedisError, OSError):
                continue  # the store is away: the rate stays as it is
            for queue_id in queue_ids:
                try:
                    await decide_once(self.runtime, queue_id, self.owner)
                except (RedisError, OSError, ServiceError) as error:
                    LOGGER.warning("autotune of %s skipped this interval: %s", queue_id, error)
