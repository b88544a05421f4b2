"""How many connections' reads one loop step takes in; the rest wait for the next steps.

The event loop reads every socket that has data, then runs everything that is ready. A worker
with a thousand busy keep-alive connections takes in a thousand requests in one step, and the
next step comes only when all of them ran: a request in progress that awaits Redis, a payment or
the waiting room (a purchase awaits a dozen such answers) waits that long for each of them, so
the few purchases of a sell-out race took seconds while the refusals around them flowed. With a
budget, a step takes in at most ``limit`` connections' data; the others keep their bytes, in the
order they came (a socket is paused only when its client sends 64 KiB more meanwhile), and are
taken in by the next steps, oldest first, ``limit`` at a time.
The work done is the same, and requests wait in the same order (in the socket rather than in the
ready queue), but a step is short, so the answers that requests in progress await are taken up
within milliseconds.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import deque
from typing import Protocol

LOGGER = logging.getLogger("service_kit")
LIMIT_PER_STEP = 32


class Deferrable(Protocol):
    def take_deferred(self) -> None:
        """Take in the bytes kept (and read on)."""


class ReadBudget:
    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int = LIMIT_PER_STEP) -> None:
        self._loop = loop
        self.limit = limit
        self._taken = 0
        self._reset_soon = False
        self._deferred: deque[Deferrable] = deque()
        self._draining = False

    def take(self) -> bool:
        """Whether a connection may take in its data in this step (else it defers it)."""
        if not self._reset_soon:
            self._reset_soon = True
            self._loop.call_soon(self._reset)  # after this step's reads
        if self._taken >= self.limit or self._deferred:
            return False
        self._taken += 1
        return True

    def defer(self, connection: Deferrable) -> None:
        self._deferred.append(connection)
        if not self._draining:
            self._draining = True
            self._loop.call_soon(self._next_step)

    def _reset(self) -> None:
        self._taken = 0
        self._reset_soon = False

    def _next_step(self) -> None:
        """Called from this step's ready callbacks: the deferred are taken in by the next."""
        self._loop.call_soon(self._drain)

    def _drain(self) -> None:
        try:
            for _ in range(min(self.limit, len(self._deferred))):
                connection = self._deferred.popleft()
                try:
                    connection.take_deferred()
                except Exception:  # one connection's fault must not stall the others
                    LOGGER.exception("a deferred connection's request could not be taken in")
        finally:
            if self._deferred:
                self._loop.call_soon(self._drain)
            else:
                self._draining = False


_BUDGETS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ReadBudget] = (
    weakref.WeakKeyDictionary()
)


def read_budget(loop: asyncio.AbstractEventLoop) -> ReadBudget:
    """The loop's one budget."""
    budget = _BUDGETS.get(loop)
    if budget is None:
        budget = _BUDGETS[loop] = ReadBudget(loop)
    return budget
