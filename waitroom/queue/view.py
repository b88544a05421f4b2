"""In-process cached view of each queue, refreshed at most every ``refresh_seconds``.

The status poll is the hottest request; it reads this cache only, so Redis sees one ``view``
script call per queue per process per refresh interval, however many fans poll. The cache also
measures the real outflow: live fans admitted per second (``admitted_total``, which excludes
the places skipped because their fans had left or gone away), counted only over stretches in
which fans were waiting (so a quiet spell with nobody to admit does not read as a slow queue),
which the ETA uses instead of the configured rate.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from service_kit.shared_settings import REDIS_RETRY_AFTER
from waitroom.admission import AdmissionStore, QueueSnapshot, QueueState
from waitroom.errors import QueueNotFound, QueueUnavailable
from waitroom.queue.availability import REDIS_ERRORS
from waitroom.queue.history import ServingHistory
from waitroom.queue.state_guard import StateGuard
from waitroom.queue.unseen_places import TailSamples, unseen_places

OUTFLOW_WINDOW_SECONDS = 30.0
"""Admissions of the last 30 s of waiting fans make the outflow (a rate change shows within
half a minute)."""
OUTFLOW_MIN_SPAN_SECONDS = 5.0
"""Less measured time than this: the configured rate stands in."""


@dataclass
class _Entry:
    snapshot: QueueSnapshot | None
    fetched_at: float
    samples: deque[tuple[float, int, bool]] = field(default_factory=lambda: deque(maxlen=512))
    """(monotonic time, admitted_total, fans waiting and the queue admitting) per refresh."""
    refreshing: asyncio.Future[None] | None = None
    failed_at: float = float("-inf")
    outflow_per_second: float = 0.0
    view: QueueView | None = None
    """The view handed out until the next refresh (snapshot and measured outflow)."""
    highest_place: int = 0
    """The highest place this process handed out in the snapshot's epoch (joins between two
    refreshes): part of what the state guard restores."""
    tails: TailSamples = field(default_factory=TailSamples)
    """This process's reads of the tail: the arrival rate (waitroom/queue/unseen_places.py)."""
    read_at: float = float("-inf")
    """When the last good read was (``fetched_at`` also moves when the view is invalidated)."""
    down_since: float | None = None
    """When the first read after the last good one failed (None: the last read was good)."""


class QueueView(NamedTuple):
    """Immutable: one per refresh, handed to every status poll until the next."""

    snapshot: QueueSnapshot
    outflow_per_second: float
    """Measured live fans admitted per second while fans waited, over the last 30 s (the
    configured rate until measured)."""


class QueueViewCache:
    def __init__(
        self,
        store: AdmissionStore,
        refresh_seconds: float,
        retry_after_seconds: int = REDIS_RETRY_AFTER.default,
    ) -> None:
        self.store = store
        self.refresh_seconds = refresh_seconds
        self.retry_after_seconds = retry_after_seconds
        self.state_guard: StateGuard | None = None
        self._entries: dict[str, _Entry] = {}
        self.history = ServingHistory(store.redis)

    async def get(self, queue_id: str) -> QueueView:
        now = time.monotonic()
        entry = self._entries.get(queue_id)
        if entry is not None and now - entry.failed_at < self.refresh_seconds:
            entry = await self._after_failure(queue_id, entry)
        elif entry is None or now - entry.fetched_at >= self.refresh_seconds:
            entry = await self._refresh(queue_id, entry)
        if entry.view is None:
            raise QueueNotFound(queue_id)
        return entry.view

    def fresh(self, queue_id: str) -> QueueView | None:
        """The view of a queue read less than ``refresh_seconds`` ago, without awaiting
        anything; None when there is none (never read, not found, or due for a refresh: a failed
        refresh leaves it due, so the store's failure is :meth:`get`'s to answer)."""
        entry = self._entries.get(queue_id)
        if entry is None or time.monotonic() - entry.fetched_at >= self.refresh_seconds:
            return None
        return entry.view

    def last_known(self, queue_id: str) -> QueueSnapshot | None:
        """The last snapshot read, however old (for messages while Redis is away)."""
        entry = self._entries.get(queue_id)
        return None if entry is None else entry.snapshot

    def note_place(self, queue_id: str, epoch: int, tail: int) -> None:
        """A join saw ``tail`` places handed out (its script's answer): the state guard's
        witness includes them, and the view handed out shows them at once (this process's own
        joins are never missing from its figures); the next refresh reads them anyway. It is
        a read of the tail too, so the arrival rate behind the state guard's margin counts a
        burst this process served between two refreshes (not 0 until its next refresh)."""
        entry = self._entries.get(queue_id)
        if entry is None or entry.snapshot is None or entry.snapshot.epoch != epoch:
            return
        if tail > entry.highest_place:
            entry.tails.add(time.monotonic(), tail)
        entry.highest_place = max(entry.highest_place, tail)
        view = entry.view
        if view is not None and tail > view.snapshot.tail:
            entry.view = view._replace(snapshot=replace(view.snapshot, tail=tail))

    async def confirm_missing(self, queue_id: str) -> bool:
        """The store just said ``queue_id`` does not exist: True when that stands.

        False when this process's last view of the queue proves it existed and Redis lost it:
        the refresh runs the state guard, which restores and pauses the queue, so the caller's
        retry finds it. A process that never read the queue has no witness and adds no Redis
        call (unknown queue ids cost nothing here)."""
        entry = self._entries.get(queue_id)
        if entry is None or entry.snapshot is None:
            return True
        self.invalidate(queue_id)
        try:
            await self.get(queue_id)
        except QueueNotFound:
            return True
        return False

    def places_unseen(self, queue_id: str) -> int:
        """How many places the queue may have handed out since this process last read it,
        up to the loss of Redis (its first failed read) or now: the state guard's margin."""
        entry = self._entries.get(queue_id)
        if entry is None or entry.snapshot is None:
            return 0
        until = entry.down_since if entry.down_since is not None else time.monotonic()
        return unseen_places(
            entry.tails.places_per_second(), until - entry.read_at, self.refresh_seconds
        )

    def invalidate(self, queue_id: str) -> None:
        entry = self._entries.get(queue_id)
        if entry is not None:
            entry.fetched_at = float("-inf")

    async def _after_failure(self, queue_id: str, entry: _Entry) -> _Entry:
        """Redis failed moments ago. One read at a time checks whether it is back (a refresh,
        like any other); reads that come meanwhile wait for that check at most a refresh
        interval, then fail closed. So a Redis that hangs holds one request per process for
        the client's timeout, not all of them, and the reads right after Redis returns are
        answered (docs/operations.md: at most the first request per process may fail)."""
        refreshing = entry.refreshing
        if refreshing is None:
            return await self._refresh(queue_id, entry)
        try:
            await asyncio.wait_for(asyncio.shield(refreshing), self.refresh_seconds)
        except TimeoutError:
            raise QueueUnavailable(queue_id, self.retry_after_seconds) from None
        return entry

    async def _refresh(self, queue_id: str, entry: _Entry | None) -> _Entry:
        if entry is not None and entry.refreshing is not None:
            await asyncio.shield(entry.refreshing)
            return entry
        if entry is None:
            entry = _Entry(snapshot=None, fetched_at=float("-inf"))
            self._entries[queue_id] = entry
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry.refreshing = future
        try:
            try:
                snapshot = await self._read(queue_id, _witness(entry))
                if snapshot is not None:
                    await self.history.maybe_record(queue_id, snapshot.redis_now_ms)
            except REDIS_ERRORS:
                entry.failed_at = time.monotonic()
                if entry.down_since is None:
                    entry.down_since = entry.failed_at
                raise QueueUnavailable(queue_id, self.retry_after_seconds) from None
            if snapshot is None or entry.snapshot is None or snapshot.epoch != entry.snapshot.epoch:
                entry.highest_place = 0
                entry.tails.clear()
            entry.snapshot = snapshot
            entry.view = None
            entry.down_since = None
            entry.read_at = time.monotonic()
            if snapshot is not None:
                config = snapshot.config
                admitting = (
                    snapshot.tail > snapshot.serving
                    and config.rate_per_minute > 0
                    and config.state is QueueState.OPEN
                    and snapshot.opened
                )
                entry.samples.append((entry.read_at, snapshot.admitted_total, admitting))
                entry.tails.add(entry.read_at, snapshot.tail)
                # computed once per refresh, not per status poll
                entry.outflow_per_second = _outflow(entry)
                entry.view = QueueView(snapshot, entry.outflow_per_second)
            entry.fetched_at = time.monotonic()
            future.set_result(None)
        except BaseException as error:
            future.set_exception(error)
            # the waiters see the error; nobody else needs to retrieve it
            future.exception()
            raise
        finally:
            entry.refreshing = None
        return entry


    async def _read(self, queue_id: str, previous: QueueSnapshot | None) -> QueueSnapshot | None:
        try:
            snapshot: QueueSnapshot | None = await self.store.snapshot(queue_id)
        except QueueNotFound:
            snapshot = None
        if await self._state_lost(previous, snapshot, self.places_unseen(queue_id)):
            return await self.store.snapshot(queue_id)
        if snapshot is None and previous is not None:
            # another process may have restored the queue between this read and the check
            try:
                return await self.store.snapshot(queue_id)
            except QueueNotFound:
                return None
        return snapshot

    async def _state_lost(
        self, previous: QueueSnapshot | None, current: QueueSnapshot | None, unseen: int
    ) -> bool:
        """Redis forgot what this process saw: restore the high-water mark (plus ``unseen``
        places the queue may have handed out since this process's last read) and pause."""
        if previous is None or self.state_guard is None:
            return False
        return await self.state_guard.check_view(previous, current, unseen)


def _witness(entry: _Entry) -> QueueSnapshot | None:
    """What this process knows of the queue: its last snapshot, with the places it handed
    out since (and the pointer only as far as the places it had reached then: the room past
    the tail is given up when the queue is paused, see advance.lua)."""
    snapshot = entry.snapshot
    if snapshot is None or entry.highest_place <= snapshot.tail:
        return snapshot
    admitted = min(snapshot.serving, snapshot.tail)
    return replace(snapshot, tail=entry.highest_place, serving=admitted)


def _outflow(entry: _Entry) -> float:
    """Live fans admitted per second over the stretches of the window in which fans waited
    and the queue admitted (both ends of a stretch say so)."""
    snapshot = entry.snapshot
    assert snapshot is not None
    samples = entry.samples
    newest_time = samples[-1][0]
    admitted = 0
    span = 0.0
    later: tuple[float, int, bool] | None = None
    for sample in reversed(samples):
        if newest_time - sample[0] > OUTFLOW_WINDOW_SECONDS:
            break
        if later is not None and sample[2] and later[2] and later[1] >= sample[1]:
            admitted += later[1] - sample[1]
            span += later[0] - sample[0]
        later = sample
    if span < OUTFLOW_MIN_SPAN_SECONDS:
        return snapshot.config.rate_per_minute / 60.0
    return admitted / span
