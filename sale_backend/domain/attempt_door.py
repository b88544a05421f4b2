"""How many attempts at a tier go on at once in one shop process: about what is left of it.

When a sale opens or a tier runs low, thousands of buyers arrive while the stock view still
shows tickets: each would claim its pass at the waiting room and run the scripts, and all but
a few would be refused by the hold script. The door lets attempts through (holds and express
checkouts, counted until they finish) while the tickets they ask for fit in what the view says
is left, and keeps the others waiting, cheaply, until the view is read again (after every
attempt that finishes, and on the view's own refreshes): then each waiting buyer is refused
when the tier is certainly sold out, let through when their tickets fit, or keeps waiting.
While attempts at a waiting buyer's tiers are in flight, the buyer keeps waiting however long
they take (each one's end has the view read again, and that read decides): on an overloaded
machine those attempts can take seconds, and letting the crowd through meanwhile would send
thousands of pass claims and scripts after the last tickets (that flood is what overloads the
waiting room). A read that fails (the store cannot be reached, or did not answer in time)
lets every buyer who waited since before it was sent go on at once, for the full path to
answer each with the store's error as without the door. Besides, a buyer whose tiers have no
attempt in flight, with no read of the event under way, and who has waited
``max_wait_seconds`` goes on for the hold script to decide (one timer per event looks every
half ``max_wait_seconds``; a waiter awaits only its own future, so a read's decision reaches it
one loop step later). The script stays the authority; the door never refuses on its own.

While buyers wait and attempts are in flight, the view is read again every
``REREAD_SECONDS`` (not only when an attempt ends): the attempts take their tickets with their
first script, long before their payments and confirmations end, so a read soon after says the
tier is gone.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from sale_backend.storage.stock_view import Shortfall, StockView

MAX_WAIT_SECONDS = 2.0
REREAD_SECONDS = 0.02


@dataclass(slots=True)
class _Waiter:
    quantities: Mapping[str, int]
    arrived: float
    """When it began to wait (monotonic): only reads sent later decide for it."""
    decided: asyncio.Future[Shortfall | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class AttemptDoor:
    def __init__(self, view: StockView, max_wait_seconds: float = MAX_WAIT_SECONDS) -> None:
        self.view = view
        self.max_wait_seconds = max_wait_seconds
        self._in_flight: dict[str, Counter[str]] = {}
        self._waiting: dict[str, list[_Waiter]] = {}
        self._rereads: dict[str, asyncio.TimerHandle] = {}
        self._watches: dict[str, asyncio.TimerHandle] = {}
        view.on_read(self._review)
        view.on_read_failed(self._read_failed)

    async def enter(self, event_id: str, quantities: Mapping[str, int]) -> Shortfall | None:
        """None: the attempt goes on and counts until :meth:`leave`. A shortfall: while it
        waited, the view found the tier certainly sold out (refuse it)."""
        if not self._waiting.get(event_id) and self._fits(event_id, quantities):
            self._count(event_id, quantities, 1)
            return None
        waiter = _Waiter(quantities, time.monotonic())
        self._waiting.setdefault(event_id, []).append(waiter)
        self.view.read_soon(event_id)
        self._watch(event_id)
        try:
            return await waiter.decided  # one loop step after a read decides (no timer each)
        except asyncio.CancelledError:  # the buyer went away
            decided = waiter.decided
            if decided.done() and not decided.cancelled() and decided.result() is None:
                self._count(event_id, quantities, -1)  # let through, never to leave
            raise

    def leave(self, event_id: str, quantities: Mapping[str, int]) -> None:
        """An attempt that went on has finished (whatever its outcome)."""
        self._count(event_id, quantities, -1)
        if self._waiting.get(event_id):
            self.view.read_soon(event_id)

    def in_flight(self, event_id: str, quantities: Mapping[str, int]) -> bool:
        """Whether attempts at any tier of ``quantities`` went on and have not finished."""
        in_flight = self._in_flight.get(event_id)
        return in_flight is not None and any(in_flight[tier_id] > 0 for tier_id in quantities)

    def waiting(self, event_id: str) -> int:
        """How many buyers wait at the event's door (decided ones not counted)."""
        return sum(not waiter.decided.done() for waiter in self._waiting.get(event_id, ()))

    def _fits(self, event_id: str, quantities: Mapping[str, int]) -> bool:
        in_flight = self._in_flight.get(event_id, Counter())
        for tier_id, quantity in quantities.items():
            remaining = self.view.remaining(event_id, tier_id)
            if remaining is not None and in_flight[tier_id] + quantity > remaining:
                return False
        return True

    def _count(self, event_id: str, quantities: Mapping[str, int], sign: int) -> None:
        in_flight = self._in_flight.setdefault(event_id, Counter())
        for tier_id, quantity in quantities.items():
            in_flight[tier_id] += sign * quantity
            if in_flight[tier_id] <= 0:
                del in_flight[tier_id]
        if not in_flight:
            del self._in_flight[event_id]

    def _review(self, event_id: str) -> None:
        """After a read of the event: refuse, let through or keep each attempt that waited
        since before the read was sent (the read decides for it as the script would have)."""
        read_at = self.view.last_read_at(event_id)
        if not self._waiting.get(event_id) or read_at is None:
            return
        still = self._decide(event_id, read_at, read_failed=False)
        if not still:
            return
        if any(waiter.arrived > read_at for waiter in still):
            self.view.read_soon(event_id)
        elif event_id not in self._rereads:  # they wait for attempts in flight
            self._rereads[event_id] = asyncio.get_running_loop().call_later(
                REREAD_SECONDS, self._reread, event_id
            )

    def _read_failed(self, event_id: str, sent_at: float) -> None:
        """A read of the event failed (the store cannot be reached, say): no read will decide
        for the buyers who waited since before it was sent, so they go on at once, for the
        full path to answer each (and report the failure) as without the door."""
        if self._waiting.get(event_id):
            self._decide(event_id, sent_at, read_failed=True)

    def _decide(self, event_id: str, sent_at: float, read_failed: bool) -> list[_Waiter]:
        """Decide for each waiter that came before the read sent at ``sent_at``: refused on a
        certain shortfall, let through when its tickets fit or the read failed, else kept.
        The ones still waiting (kept, or come since) are returned."""
        still: list[_Waiter] = []
        for waiter in self._waiting.get(event_id, ()):
            if waiter.decided.done():
                continue
            if waiter.arrived > sent_at:
                still.append(waiter)  # the read sent after it came decides (or fails) for it
                continue
            shortfall = (
                None if read_failed else self.view.shortfall_as_of_read(event_id, waiter.quantities)
            )
            if shortfall is not None:
                waiter.decided.set_result(shortfall)
            elif read_failed or self._fits(event_id, waiter.quantities):
                self._count(event_id, waiter.quantities, 1)
                waiter.decided.set_result(None)
            else:
                still.append(waiter)
        if still:
            self._waiting[event_id] = still
        else:
            self._waiting.pop(event_id, None)
        return still

    def _watch(self, event_id: str) -> None:
        """Look at the event's waiters every half ``max_wait_seconds`` while there are any."""
        if event_id not in self._watches:
            self._watches[event_id] = asyncio.get_running_loop().call_later(
                self.max_wait_seconds / 2, self._let_long_waiters_on, event_id
            )

    def _let_long_waiters_on(self, event_id: str) -> None:
        """A buyer who has waited ``max_wait_seconds`` goes on for the hold script to decide,
        unless attempts at their tiers are in flight or a read of the event is under way (the
        end of those has the view read, and that read decides)."""
        del self._watches[event_id]
        waiting = [one for one in self._waiting.get(event_id, ()) if not one.decided.done()]
        if not waiting:  # all decided (or gone) since: nothing to watch
            self._waiting.pop(event_id, None)
            return
        self._waiting[event_id] = waiting
        due = time.monotonic() - self.max_wait_seconds
        reading = self.view.reading(event_id)
        for waiter in waiting:
            if waiter.decided.done() or waiter.arrived > due or reading:
                continue
            if not self.in_flight(event_id, waiter.quantities):
                self._count(event_id, waiter.quantities, 1)
                waiter.decided.set_result(None)
        self._watch(event_id)

    def _reread(self, event_id: str) -> None:
        del self._rereads[event_id]
        if self._waiting.get(event_id):
            self.view.read_soon(event_id)
