"""Each shop process's view of every event's stock per tier: sold-out answered without a script.

In a sell-out race almost every request asks for a tier that has nothing left. The hold script
stays the authority (it alone moves stock, so the race still sells exactly the stock); the view
only short-cuts refusals that are certain:

- it is read in one step (``stock_snapshot.lua``: the stock hash, the Redis time and the
  earliest hold expiry) at most ``refresh_after_seconds`` apart while requests use it (in the
  background), and more often when a read takes long (a busy process answers its reads late):
  a read goes out when ``max_age_seconds`` less twice the time the last read took has passed
  since the one before (at least ``MIN_REFRESH_SECONDS`` apart, at most ``MAX_READS_OUT`` out),
  so a young view is always on its way;
- a tier is refused only on a figure younger than ``max_age_seconds`` (counted from the moment
  the read was *sent*, so a ticket that comes back right after a read is sold again within that
  time), or on a read sent after the request arrived (as fresh as asking the script then);
  and only before the earliest hold of the read can expire (an expired hold goes back to stock
  in the next hold script, so the script must be asked from then on);
- a request that finds the view too old waits for a read as young as the view must be: one
  already out that was sent less than ``max_age_seconds`` before the request came, else the
  next, which the requests that came meanwhile share (so a busy process reads each event a few
  dozen times a second at most, however many requests wait);
- a read also brings the names of the Idempotency-Key records made since the last one (the
  event's record log): a checkout refused as sold out is looked up there, as of the same read
  as the figures, instead of asking Redis whether it has an earlier answer to replay;
- a hold script's own ``sold_out`` answer updates the tier at once;
- stock returned by this process (a released or expired hold, a refund, a new capacity) drops
  the event's view, and anything read before that is ignored.

A view that cannot be read refuses nothing: the full path decides (and reports the failure).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from redis.exceptions import RedisError

LOGGER = logging.getLogger("sale_backend")
MAX_AGE_SECONDS = 0.25
REFRESH_AFTER_SECONDS = 0.1
MIN_REFRESH_SECONDS = 0.025
MAX_READS_OUT = 10
"""Reads of one event out at once (each sent a refresh interval after the one before)."""


@dataclass(frozen=True, slots=True)
class RecordLogPart:
    """Entries of an event's record log (the names of its Idempotency-Key records, in the
    order they were made), as a read found it."""

    start: int
    """The position of the first entry given."""
    entries: Sequence[str]
    length: int
    """How many entries the log had at the read."""


@dataclass(frozen=True, slots=True)
class StockSnapshot:
    """One read of an event's stock hash (``stock_snapshot.lua``)."""

    version_us: int
    """The Redis time of the read, unix microseconds."""
    next_hold_expiry_ms: int | None
    """The earliest expiry of a hold (Redis clock, unix ms); None without holds."""
    figures: dict[str, int]
    records: RecordLogPart | None = None
    """The record log past what the reader knew (None: not asked for)."""


SnapshotDone = Callable[[StockSnapshot | Exception], None]
"""Gets a read's snapshot, or the error that stopped it."""


@runtime_checkable
class SnapshotReader(Protocol):
    """Reads an event's stock snapshot, sent as it is called, and calls ``done`` with it (as
    soon as the answer is read: the view updates itself and wakes its waiters from there)."""

    def read(self, event_id: str, records_known: int, done: SnapshotDone) -> None: ...

    async def aclose(self) -> None:
        """No more answers; reads out are ended (``done`` may still hear of them)."""


class AsyncSnapshots:
    """A :class:`SnapshotReader` over a coroutine function (each read a task of its own: its
    answer comes a loop step after it was read)."""

    def __init__(self, read: Callable[[str, int], Awaitable[StockSnapshot]]) -> None:
        self._read = read
        self._tasks: set[asyncio.Task[None]] = set()

    def read(self, event_id: str, records_known: int, done: SnapshotDone) -> None:
        task = asyncio.get_running_loop().create_task(self._run(event_id, records_known, done))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, event_id: str, records_known: int, done: SnapshotDone) -> None:
        try:
            snapshot = await self._read(event_id, records_known)
        except Exception as error:
            done(error)
        else:
            done(snapshot)

    async def aclose(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@dataclass(slots=True)
class _Records:
    """The names of an event's Idempotency-Key records this process has read."""

    names: set[str] = field(default_factory=set)
    known: int = 0
    """Entries of the log read so far (from the start, without gaps)."""


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A tier that certainly has fewer tickets left than asked for."""

    tier_id: str
    remaining: int


@dataclass(slots=True)
class _EventView:
    read_at: float
    """When the last snapshot was sent (monotonic seconds)."""
    certain_until: float
    """No hold of the snapshot can expire before this (monotonic seconds)."""
    tiers: dict[str, tuple[int, float]] = field(default_factory=dict)
    """Tier -> (remaining, when the read that gave it was sent)."""
    every_record: bool = False
    """The read brought the record log to its end: a name not read has no record."""


@dataclass(slots=True)
class _Read:
    """One read out, and the requests waiting for it (each on its own future, set by the read
    itself as it ends: a busy loop wakes them one step after the answer, not three)."""

    sent_at: float
    """When it was sent (monotonic): its figures are as young as this."""
    waiters: list[asyncio.Future[None]]


@dataclass(slots=True)
class _Reads:
    """The reads of one event that are out (under load a read can take longer than the
    refresh interval, so the next one goes out meanwhile), and the requests that came after
    the newest was sent, waiting for the next."""

    out: list[_Read] = field(default_factory=list)
    newest_sent_at: float = float("-inf")
    next: list[asyncio.Future[None]] | None = None
    """Requests waiting for the next read; an empty list when a read is only asked for."""
    took: float = 0.0
    """How long the last read that came back took (seconds)."""


class StockView:
    def __init__(
        self,
        read: SnapshotReader | Callable[[str, int], Awaitable[StockSnapshot]],
        max_age_seconds: float = MAX_AGE_SECONDS,
        refresh_after_seconds: float = REFRESH_AFTER_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._reader = read if isinstance(read, SnapshotReader) else AsyncSnapshots(read)
        self.max_age_seconds = max_age_seconds
        self.refresh_after_seconds = refresh_after_seconds
        self._clock = clock
        self._events: dict[str, _EventView] = {}
        self._reads: dict[str, _Reads] = {}
        self._forgotten_at: dict[str, float] = {}
        self._listeners: list[Callable[[str], None]] = []
        self._failure_listeners: list[Callable[[str, float], None]] = []
        self._records: dict[str, _Records] = {}
        self._closed = False
        self.reads = 0

    async def shortfall(self, event_id: str, quantities: Mapping[str, int]) -> Shortfall | None:
        """The first tier of ``quantities`` (tier -> tickets asked for) that certainly has too
        few tickets left, or None when the hold script must decide."""
        arrived = self._clock()
        view = self._events.get(event_id)
        if view is not None and arrived - view.read_at < self.max_age_seconds:
            if arrived - view.read_at >= self.refresh_after_seconds:
                self._start_read_unless_out(event_id)
            return self._decide(view, arrived, quantities)
        # a read young enough for this request: the refresh already out when it was sent at
        # most max_age before the arrival (as the view above is), else a new one
        oldest = arrived - self.max_age_seconds
        await self._read_sent_after(event_id, oldest)
        view = self._events.get(event_id)
        if view is None or view.read_at <= oldest:
            return None  # no read could be made (or stock came back meanwhile)
        # as of the arrival, or of the read when it was sent after the request came
        return self._decide(view, max(arrived, view.read_at), quantities)

    def last_read_at(self, event_id: str) -> float | None:
        """When the event's last read was sent (monotonic), None before the first."""
        view = self._events.get(event_id)
        return None if view is None else view.read_at

    def shortfall_as_of_read(
        self, event_id: str, quantities: Mapping[str, int]
    ) -> Shortfall | None:
        """:meth:`shortfall` as of the last read, without reading: for requests that arrived
        before that read was sent (it is as fresh as asking the script then)."""
        view = self._events.get(event_id)
        return None if view is None else self._decide(view, view.read_at, quantities)

    def recorded(self, event_id: str, idempotency_key: str) -> bool | None:
        """Whether the Idempotency-Key record (its Redis key) was made, as of the last read
        (in the same step as its figures: as old as a refusal it decides); None when that read
        did not bring the event's record log to its end."""
        records = self._records.get(event_id)
        if records is not None and idempotency_key in records.names:
            return True
        view = self._events.get(event_id)
        return False if view is not None and view.every_record else None

    def remaining(self, event_id: str, tier_id: str) -> int | None:
        """The tier's figure of the last read (an estimate, never a refusal); None when
        unknown or when a hold of that read was due to expire (tickets may be back)."""
        view = self._events.get(event_id)
        if view is None or view.read_at >= view.certain_until:
            return None
        figure = view.tiers.get(tier_id)
        return None if figure is None else figure[0]

    def read_soon(self, event_id: str) -> None:
        """Have the event read again by a read sent from now on (listeners hear of it)."""
        reads = self._reads.setdefault(event_id, _Reads())
        if self._may_start(reads):
            self._start_read(event_id, reads)
        elif reads.newest_sent_at < self._clock() and reads.next is None:
            reads.next = []

    def reading(self, event_id: str) -> bool:
        """Whether a read of the event is out, or asked for to follow the one out."""
        reads = self._reads.get(event_id)
        return reads is not None and (bool(reads.out) or reads.next is not None)

    async def close(self) -> None:
        """Send no more reads and end the ones out (before the Redis client closes)."""
        self._closed = True
        for reads in self._reads.values():
            waiting = [*(reads.next or ()), *(w for read in reads.out for w in read.waiters)]
            reads.next = None
            for waiter in waiting:
                if not waiter.done():
                    waiter.set_result(None)
        await self._reader.aclose()

    def on_read(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(event_id)`` after every read of an event is in."""
        self._listeners.append(listener)

    def on_read_failed(self, listener: Callable[[str, float], None]) -> None:
        """Call ``listener(event_id, sent_at)`` after a read of an event failed (the store
        could not be reached or did not answer; ``sent_at`` is when the read was sent)."""
        self._failure_listeners.append(listener)

    def _decide(
        self, view: _EventView, decided_at: float, quantities: Mapping[str, int]
    ) -> Shortfall | None:
        if decided_at >= view.certain_until:
            return None
        for tier_id, quantity in quantities.items():
            figure = view.tiers.get(tier_id)
            if figure is None:
                continue
            remaining, read_at = figure
            if remaining < quantity and decided_at - read_at < self.max_age_seconds:
                return Shortfall(tier_id, remaining)
        return None

    def observe(self, event_id: str, tier_id: str, remaining: int, read_at: float) -> None:
        """A script sent at ``read_at`` (monotonic) found ``remaining`` tickets of the tier."""
        view = self._events.get(event_id)
        if view is None or read_at < self._forgotten_at.get(event_id, float("-inf")):
            return
        current = view.tiers.get(tier_id)
        if current is None or current[1] <= read_at:
            view.tiers[tier_id] = (remaining, read_at)

    def forget(self, event_id: str) -> None:
        """Stock of the event came back (or changed shape): read it again before refusing."""
        self._forgotten_at[event_id] = self._clock()
        self._events.pop(event_id, None)

    @staticmethod
    def _add_records(records: _Records, part: RecordLogPart | None) -> bool:
        """Take in a read's part of the record log; whether the names read reach its end as
        of that read (reads out at once may bring the same entries, or come back in any
        order: the part only adds what it has past the entries known)."""
        if part is None or part.start > records.known:
            return False
        new = part.entries[records.known - part.start :]
        records.names.update(new)
        records.known += len(new)
        return records.known >= part.length

    async def _read_sent_after(self, event_id: str, arrived: float) -> None:
        """Wait for a read sent after ``arrived`` (the one out, or the next)."""
        if self._closed:
            return
        reads = self._start_read_unless_out(event_id)
        waited: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        young = [read for read in reads.out if read.sent_at > arrived]
        if young:  # the first sent comes back first
            min(young, key=lambda read: read.sent_at).waiters.append(waited)
        else:
            if reads.next is None:
                reads.next = []
            reads.next.append(waited)
        with contextlib.suppress(RedisError, OSError):
            await waited

    def _start_read_unless_out(self, event_id: str) -> _Reads:
        """A refresh, unless a read is out that was sent less than ``refresh_after_seconds``
        ago (under load a read can take longer than that: the next one goes out meanwhile, so
        a young read is always on its way); the event's reads."""
        reads = self._reads.setdefault(event_id, _Reads())
        if self._may_start(reads):
            self._start_read(event_id, reads)
        return reads

    def _may_start(self, reads: _Reads) -> bool:
        """No read is out, or the newest went out a refresh interval ago (``refresh_after_seconds``,
        shorter when reads take long; and fewer than MAX_READS_OUT are out: a store that does
        not answer gets no pile of reads)."""
        if not reads.out:
            return True
        interval = max(
            MIN_REFRESH_SECONDS,
            min(self.refresh_after_seconds, self.max_age_seconds - 2 * reads.took),
        )
        overdue = self._clock() - reads.newest_sent_at >= interval
        return overdue and len(reads.out) < MAX_READS_OUT

    def _start_read(self, event_id: str, reads: _Reads) -> None:
        """Send a read; the requests waiting for the next one wait for this one (it is sent
        after they came)."""
        if self._closed:
            return  # shutting down: waiters go on with what the view has
        read = _Read(self._clock(), reads.next or [])
        reads.next = None
        reads.out.append(read)
        reads.newest_sent_at = read.sent_at
        records = self._records.setdefault(event_id, _Records())
        self._reader.read(
            event_id, records.known, lambda outcome: self._read_done(event_id, reads, read, outcome)
        )

    def _read_done(
        self, event_id: str, reads: _Reads, read: _Read, outcome: StockSnapshot | Exception
    ) -> None:
        reads.out.remove(read)  # first: whatever a listener does, the read is no longer out
        try:
            if isinstance(outcome, Exception):
                LOGGER.debug("stock view of %s not read: %s", event_id, outcome)
                if not self._closed:
                    for failed in self._failure_listeners:
                        failed(event_id, read.sent_at)
            else:
                reads.took = self._clock() - read.sent_at
                if not self._closed:
                    self._take(event_id, read.sent_at, outcome)
        finally:
            for waiter in read.waiters:
                if waiter.done():
                    continue  # its request went away
                if isinstance(outcome, Exception):
                    waiter.set_exception(outcome)
                else:
                    waiter.set_result(None)
            # the newest read is back (an older one leaves it to the newer one out) and
            # requests came while it was out: the next read is theirs
            if read.sent_at == reads.newest_sent_at and reads.next is not None:
                self._start_read(event_id, reads)

    def _take(self, event_id: str, sent_at: float, snapshot: StockSnapshot) -> None:
        """A read's snapshot into the view (unless a newer read is in, or stock came back
        since it was sent); the listeners hear of it."""
        records = self._records.setdefault(event_id, _Records())
        self.reads += 1
        every_record = self._add_records(records, snapshot.records)
        if sent_at < self._forgotten_at.get(event_id, float("-inf")):
            return  # stock came back while this read was out: it may predate that
        certain_until = sent_at + self.max_age_seconds
        if snapshot.next_hold_expiry_ms is not None:
            seconds_left = (snapshot.next_hold_expiry_ms * 1000 - snapshot.version_us) / 1e6
            certain_until = min(certain_until, sent_at + seconds_left)
        tiers = {
            name[5:-10]: (value, sent_at)
            for name, value in snapshot.figures.items()
            if name.startswith("tier:") and name.endswith(":remaining")
        }
        current = self._events.get(event_id)
        if current is not None:
            if current.read_at > sent_at:
                return  # a newer read is in already
            for tier_id, figure in current.tiers.items():  # newer script answers stay
                if figure[1] > sent_at:
                    tiers[tier_id] = figure
        self._events[event_id] = _EventView(sent_at, certain_until, tiers, every_record)
        for listener in self._listeners:
            listener(event_id)
