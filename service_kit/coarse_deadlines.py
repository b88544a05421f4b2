"""Deadlines for many short waits, checked by one timer per event loop instead of one each.

``asyncio.timeout`` schedules a timer for every use and cancels it after; under uvloop with a
few thousand keep-alive connections that is 5-10 µs per request, for a deadline (a slow
sender's body) that almost never fires. :class:`CoarseDeadlines` keeps the live deadlines in a
dict; one timer, armed only while any are live, looks at them every ``resolution_seconds``
and cancels the tasks whose deadline has passed. A deadline therefore fires between its time
and one resolution later: fine for guards against slow clients, not for precise timing.

Inside ``with deadlines.limit(seconds):`` a task that runs out of time gets ``TimeoutError``,
as with ``asyncio.timeout`` (the same cancel-and-uncancel protocol, so a cancellation from
outside still arrives as ``CancelledError``).
"""

from __future__ import annotations

import asyncio
from types import TracebackType


class CoarseDeadlines:
    """One per event loop user (an ASGI layer); binds to the running loop on first use."""

    def __init__(self, resolution_seconds: float) -> None:
        if resolution_seconds <= 0:
            raise ValueError("resolution_seconds must be positive")
        self.resolution_seconds = resolution_seconds
        self._live: dict[Deadline, None] = {}
        self._timer: asyncio.TimerHandle | None = None

    def limit(self, seconds: float) -> Deadline:
        """A context manager: the current task gets TimeoutError if the block runs past
        ``seconds`` (plus at most one resolution)."""
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a deadline needs a running task")
        return Deadline(self, task, task.get_loop().time() + seconds)

    def _add(self, deadline: Deadline) -> None:
        self._live[deadline] = None
        if self._timer is None:
            loop = deadline.task.get_loop()
            self._timer = loop.call_later(self.resolution_seconds, self._sweep, loop)

    def _discard(self, deadline: Deadline) -> None:
        self._live.pop(deadline, None)

    def _sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        now = loop.time()
        expired = [deadline for deadline in self._live if deadline.at <= now]
        for deadline in expired:
            del self._live[deadline]
            deadline.expire()
        if self._live:
            self._timer = loop.call_later(self.resolution_seconds, self._sweep, loop)


class Deadline:
    """One task's deadline inside a ``with`` block (made by :meth:`CoarseDeadlines.limit`)."""

    __slots__ = ("_cancelling", "at", "expired", "owner", "task")

    def __init__(self, owner: CoarseDeadlines, task: asyncio.Task[object], at: float) -> None:
        self.owner = owner
        self.task = task
        self.at = at
        self.expired = False
        self._cancelling = 0

    def __enter__(self) -> Deadline:
        self._cancelling = self.task.cancelling()
        self.owner._add(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.owner._discard(self)
        if not self.expired:
            return
        # this deadline cancelled the task: take that cancellation back, and report a time-out
        # unless someone else cancelled the task too
        if self.task.uncancel() <= self._cancelling and exc_type is asyncio.CancelledError:
            raise TimeoutError from exc

    def expire(self) -> None:
        """Called by the sweep: the block ran out of time."""
        self.expired = True
        self.task.cancel()
