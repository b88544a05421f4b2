"""Each shop process's view of every event's stock per tier: sold-out answered without a script.

In a sell-out race almost every request asks for a tier that has nothing left. The hold script
stays the authority (it alone moves stock, so the race still sells exactly the stock); the view
only short-cuts refusals that are certain:

- it is read in one step (``stock_snapshot.lua``: the stock hash, the Redis time and the
  earliest hold expiry) at most ``refresh_after_seconds`` apart while requests use it (in the
  background);
- a tier is refused only on a figure younger than ``max_age_seconds`` (counted from the moment
  the read was *sent*, so a ticket that comes back right after a read is sold again within that
  time), or on a read sent after the request arrived (as fresh as asking the script then);
  and only before the earliest hold of the read can expire (an expired hold goes back to stock
  in the next hold script, so the script must be asked from then on);
- a request that finds the view too old waits for a read sent after it arrived: one read of
  an event is out at a time, and the requests that came while it was out share the next one
  (so a busy process reads each event a few times a second, however many requests wait);
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
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from redis.exceptions import RedisError

LOGGER = logging.getLogger("sale_backend")
MAX_AGE_SECONDS = 0.25
REFRESH_AFTER_SECONDS = 0.1
MAX_READS_OUT = 3
"""Reads of one event out at once (each sent a refresh interval after the one before)."""


@dataclass(frozen=True, slots=True)
class StockSnapshot:
    """One read of an event's stock hash (``stock_snapshot.lua``)."""

    version_us: int
    """The Redis time of the read, unix microseconds."""
    next_hold_expiry_ms: int | None
    """The earliest expiry of a hold (Redis clock, unix ms); None without holds."""
    figures: dict[str, int]


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


@dataclass(slots=True)
class _Reads:
    """The reads of one event that are out (under load a read can take longer than the
    refresh interval, so the next one goes out meanwhile), and the one the requests that came
    after the newest was sent wait for."""

    out: dict[asyncio.Task[None], float] = field(default_factory=dict)
    """Read -> when it was sent (monotonic)."""
    newest_sent_at: float = float("-inf")
    next: asyncio.Future[None] | None = None


class StockView:
    def __init__(
        self,
        read: Callable[[str], Awaitable[StockSnapshot]],
        max_age_seconds: float = MAX_AGE_SECONDS,
        refresh_after_seconds: float = REFRESH_AFTER_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self.max_age_seconds = max_age_seconds
        self.refresh_after_seconds = refresh_after_seconds
        self._clock = clock
        self._events: dict[str, _EventView] = {}
        self._reads: dict[str, _Reads] = {}
        self._forgotten_at: dict[str, float] = {}
        self._listeners: list[Callable[[str], None]] = []
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
            self._start_read(event_id, reads, then=self._take_next(reads))
        elif reads.newest_sent_at < self._clock() and reads.next is None:
            reads.next = asyncio.get_running_loop().create_future()

    def reading(self, event_id: str) -> bool:
        """Whether a read of the event is out, or asked for to follow the one out."""
        reads = self._reads.get(event_id)
        return reads is not None and (bool(reads.out) or reads.next is not None)

    def on_read(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(event_id)`` after every read of an event is in."""
        self._listeners.append(listener)

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

    async def _read_sent_after(self, event_id: str, arrived: float) -> None:
        """Wait for a read sent after ``arrived`` (the one out, or the next)."""
        reads = self._reads.setdefault(event_id, _Reads())
        if self._may_start(reads):
            self._start_read(event_id, reads, then=self._take_next(reads))
        young = [(sent_at, read) for read, sent_at in reads.out.items() if sent_at > arrived]
        waited: asyncio.Future[None]
        if young:
            waited = min(young, key=lambda item: item[0])[1]  # the first sent comes back first
        else:
            if reads.next is None:
                reads.next = asyncio.get_running_loop().create_future()
            waited = reads.next
        with contextlib.suppress(RedisError, OSError):
            await asyncio.shield(waited)

    def _start_read_unless_out(self, event_id: str) -> None:
        """A refresh, unless a read is out that was sent less than ``refresh_after_seconds``
        ago (under load a read can take longer than that: the next one goes out meanwhile, so
        a young read is always on its way)."""
        reads = self._reads.setdefault(event_id, _Reads())
        if self._may_start(reads):
            self._start_read(event_id, reads, then=self._take_next(reads))

    def _may_start(self, reads: _Reads) -> bool:
        """No read is out, or the newest went out ``refresh_after_seconds`` ago (and fewer
        than MAX_READS_OUT are out: a store that does not answer gets no pile of reads)."""
        if not reads.out:
            return True
        overdue = self._clock() - reads.newest_sent_at >= self.refresh_after_seconds
        return overdue and len(reads.out) < MAX_READS_OUT

    @staticmethod
    def _take_next(reads: _Reads) -> asyncio.Future[None] | None:
        """The requests waiting for the next read: a read sent now is sent after they came."""
        waiting, reads.next = reads.next, None
        return waiting

    def _start_read(
        self, event_id: str, reads: _Reads, then: asyncio.Future[None] | None = None
    ) -> None:
        sent_at = self._clock()
        task = asyncio.get_running_loop().create_task(self._read_once(event_id, sent_at))
        reads.out[task] = reads.newest_sent_at = sent_at
        task.add_done_callback(lambda done: self._read_done(event_id, reads, done, then))

    def _read_done(
        self,
        event_id: str,
        reads: _Reads,
        task: asyncio.Task[None],
        then: asyncio.Future[None] | None,
    ) -> None:
        error = None if task.cancelled() else task.exception()
        if error is not None:
            LOGGER.debug("stock view of %s not read: %s", event_id, error)
        if then is not None and not then.done():
            if error is not None:
                then.set_exception(error)
            else:
                then.set_result(None)
        sent_at = reads.out.pop(task, None)
        if sent_at != reads.newest_sent_at:
            return  # an older read: a newer one is out
        if reads.next is not None:  # requests came while this read was out: read for them
            self._start_read(event_id, reads, then=self._take_next(reads))

    async def _read_once(self, event_id: str, sent_at: float) -> None:
        snapshot = await self._read(event_id)
        self.reads += 1
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
        self._events[event_id] = _EventView(sent_at, certain_until, tiers)
        for listener in self._listeners:
            listener(event_id)
