"""Group commit of a site process's session calls: claims and ends go out together.

At a sale's peak each shop process claims a pass for nearly every new buyer and ends a
session with nearly every order. :class:`CallBatches` sends a call at once when nothing is on
its way to the waiting room; the calls that arrive while a request is out wait and go
together in the next one (``POST session-batches``), so a busy process sends a few requests
a millisecond instead of one per buyer, and an idle one waits for no timer. Each call gets
the status and body its own endpoint would have given; a request that fails as a whole
(the waiting room cannot be reached, 5xx) fails every call in it, as it would have failed each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

MAX_CALLS_PER_REQUEST = 64
"""As many calls as the waiting room takes in one batch (``MAX_CALLS_PER_BATCH``)."""

CallAnswer = tuple[int, dict[str, Any]]
SendBatch = Callable[[list[dict[str, Any]]], Awaitable[list[CallAnswer]]]


class CallBatches:
    """One per connector client; ``send`` makes one request of a list of calls and returns
    their answers in order (or raises for all of them)."""

    def __init__(self, send: SendBatch) -> None:
        self._send = send
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[CallAnswer]]] = []
        self._sending: asyncio.Task[None] | None = None
        self.requests_sent = 0
        self.calls_sent = 0

    async def call(self, call: dict[str, Any]) -> CallAnswer:
        """The call's status and body, sent in the next request."""
        future: asyncio.Future[CallAnswer] = asyncio.get_running_loop().create_future()
        self._waiting.append((call, future))
        if self._sending is None:
            self._sending = asyncio.get_running_loop().create_task(self._send_all())
        return await future

    async def _send_all(self) -> None:
        try:
            while self._waiting:
                # a caller that went away before its call left is not sent
                pending = [(call, future) for call, future in self._waiting if not future.done()]
                batch, rest = pending[:MAX_CALLS_PER_REQUEST], pending[MAX_CALLS_PER_REQUEST:]
                self._waiting = rest
                if batch:
                    await self._send_batch(batch)
        except BaseException as error:  # cancelled (shutdown): nothing waits forever
            waiting, self._waiting = self._waiting, []
            for _, future in waiting:
                if not future.done():
                    future.set_exception(error)
            raise
        finally:
            self._sending = None

    async def _send_batch(
        self, batch: list[tuple[dict[str, Any], asyncio.Future[CallAnswer]]]
    ) -> None:
        try:
            answers = await self._send([call for call, _ in batch])
        except BaseException as error:
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            if not isinstance(error, Exception):
                raise
            return
        self.requests_sent += 1
        self.calls_sent += len(batch)
        for (_, future), answer in zip(batch, answers, strict=True):
            if not future.done():
                future.set_result(answer)
