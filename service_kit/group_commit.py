"""Group commit on the client side: calls that arrive while one batch is on its way go together
in the next one.

A process sends a call at once when none of its batches is out; the calls that arrive while a
batch is out wait for its answer and then go out together, up to ``max_per_batch`` at a time.
An idle process waits for no timer; a busy one sends a few batches a millisecond instead of
one request per call, so the fixed cost of a request (a system call, a round trip, parsing, an
fsync) is shared. Used by the shop's script calls on the sale Redis
(:class:`service_kit.command_batches.CommandBatcher`, also the waiting room's session scripts)
and by the connector's claims and ends at the waiting room
(:class:`waitroom.connector.client.ConnectorClient`).

``send`` gets the batch's items in order and returns one outcome per item: an outcome that is
an exception is raised to that item's caller only. An exception that ``send`` raises fails
every item of the batch. A caller that goes away (cancelled) before its item left is not sent;
one that goes away later leaves the batch to finish for the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


@dataclass(slots=True)
class _Waiting(Generic[Item, Outcome]):
    item: Item
    outcome: asyncio.Future[Outcome] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupCommit(Generic[Item, Outcome]):
    def __init__(
        self,
        send: Callable[[list[Item]], Awaitable[Sequence[Outcome | BaseException]]],
        max_per_batch: int,
    ) -> None:
        self._send = send
        self.max_per_batch = max_per_batch
        self._waiting: list[_Waiting[Item, Outcome]] = []
        self._sending: asyncio.Task[None] | None = None
        self.batches_sent = 0
        self.items_sent = 0

    async def call(self, item: Item) -> Outcome:
        """The item's outcome, sent in the next batch (raised when it is an exception)."""
        waiting: _Waiting[Item, Outcome] = _Waiting(item)
        self._enqueue([waiting])
        return await waiting.outcome

    async def call_together(self, items: Sequence[Item]) -> list[Outcome]:
        """These items one after the other, in this order (in one batch unless the batches
        are full); raises the first failed item's exception once all of them have their
        outcome."""
        waiting: list[_Waiting[Item, Outcome]] = [_Waiting(item) for item in items]
        self._enqueue(waiting)
        outcomes = await asyncio.gather(*(one.outcome for one in waiting), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return list(outcomes)  # type: ignore[arg-type]  # no exception is left

    def _enqueue(self, waiting: list[_Waiting[Item, Outcome]]) -> None:
        self._waiting.extend(waiting)
        if self._sending is None:
            self._sending = asyncio.get_running_loop().create_task(self._send_all())

    async def _send_all(self) -> None:
        try:
            while self._waiting:
                batch = self._next_batch()
                if batch:
                    await self._send_batch(batch)
        except BaseException as error:  # cancelled (shutdown): nothing waits forever
            waiting, self._waiting = self._waiting, []
            for one in waiting:
                if not one.outcome.done():
                    one.outcome.set_exception(error)
            raise
        finally:
            self._sending = None

    def _next_batch(self) -> list[_Waiting[Item, Outcome]]:
        batch = self._waiting[: self.max_per_batch]
        del self._waiting[: self.max_per_batch]
        return [one for one in batch if not one.outcome.done()]  # callers gone: not sent

    async def _send_batch(self, batch: list[_Waiting[Item, Outcome]]) -> None:
        try:
            outcomes = await self._send([one.item for one in batch])
            if len(outcomes) != len(batch):
                raise RuntimeError(f"{len(outcomes)} outcomes for {len(batch)} items")
        except BaseException as error:  # the batch as a whole failed
            for one in batch:
                if not one.outcome.done():
                    one.outcome.set_exception(error)
            if not isinstance(error, Exception):
                raise
            return
        self.batches_sent += 1
        self.items_sent += len(batch)
        for one, outcome in zip(batch, outcomes, strict=True):
            if one.outcome.done():
                continue
            if isinstance(outcome, BaseException):
                one.outcome.set_exception(outcome)
            else:
                one.outcome.set_result(outcome)
