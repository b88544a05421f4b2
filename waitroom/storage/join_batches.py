"""Joins of one queue go to Redis together: one ``join.lua`` call for the joins a process
gathered while its previous call for that queue was in flight.

Each join still costs at most one Redis round trip (its own call, or a share of one), and the
script settles the pointer once per call. With no other join in flight a join is sent at once,
alone, so a quiet queue adds no wait; in a surge the calls grow with the arrivals (up to
``MAX_JOINS_PER_CALL``), which divides the per-call work of the client, the network and Redis
(one EVALSHA, one pointer settlement) among the fans. A join's answer is its own: the script
handles the fans one after the other, in arrival order.

A joiner that goes away (its request cancelled) does not cancel the call its join is in: the
call answers the others, and a place made for the one that left is kept as if it had waited.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.typing import EncodableT

from waitroom.storage.script_replies import JoinLimits

MAX_JOINS_PER_CALL = 200
"""Bounds one script call's run time (a few hundred microseconds of Redis time)."""
FIRST_WINDOW_KEY = 13
"""KEYS index of the first join limit window in ``join.lua`` (after the engine's twelve keys)."""

SendCall = Callable[[str, Sequence[str], Sequence[EncodableT]], Coroutine[Any, Any, Any]]
"""(queue id, limit window keys, per-join arguments) -> the script's answers, one per join."""


@dataclass(slots=True)
class _Join:
    visitor_id: str
    limits: JoinLimits | None
    answer: asyncio.Future[Any]


@dataclass(slots=True)
class _Queue:
    waiting: list[_Join] = field(default_factory=list)
    in_flight: bool = False


class JoinBatches:
    """Gathers the joins of each queue; ``send`` runs one script call for a list of joins."""

    def __init__(self, send: SendCall) -> None:
        self._send = send
        self._queues: dict[str, _Queue] = {}

    async def join(self, queue_id: str, visitor_id: str, limits: JoinLimits | None) -> Any:
        """The script's answer for this join (raises what the call raised)."""
        queue = self._queues.get(queue_id)
        if queue is None:
            queue = self._queues[queue_id] = _Queue()
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        queue.waiting.append(_Join(visitor_id, limits, answer))
        if not queue.in_flight:
            self._start(queue_id, queue)
        return await answer

    def _start(self, queue_id: str, queue: _Queue) -> None:
        """Sends the waiting joins (the first ``MAX_JOINS_PER_CALL``), or marks the queue idle."""
        while True:
            joins = [join for join in queue.waiting[:MAX_JOINS_PER_CALL] if not join.answer.done()]
            del queue.waiting[:MAX_JOINS_PER_CALL]
            if joins:
                break
            if not queue.waiting:
                queue.in_flight = False
                self._queues.pop(queue_id, None)
                return
        queue.in_flight = True
        try:
            windows: dict[str, int] = {}
            args: list[EncodableT] = []
            for join in joins:
                args.append(join.visitor_id)
                limits = join.limits
                if limits is None:
                    args += [0, 0, 0, 0, 0, 0]
                    continue
                for window in (limits.address, limits.network):
                    index = windows.setdefault(window.key, FIRST_WINDOW_KEY + len(windows))
                    args += [index, window.limit, window.window_ms]
            call = asyncio.ensure_future(self._send(queue_id, list(windows), args))
        except BaseException as error:  # never leave a queue "in flight" with nothing sent
            self._answer(joins, None, error)
            self._start(queue_id, queue)
            raise
        call.add_done_callback(lambda done: self._finish(queue_id, queue, joins, done))

    def _finish(
        self, queue_id: str, queue: _Queue, joins: list[_Join], call: asyncio.Future[Any]
    ) -> None:
        try:
            if call.cancelled():
                for join in joins:
                    join.answer.cancel()  # the event loop is closing
            else:
                error = call.exception()
                answers = None if error is not None else call.result()
                if answers is not None and len(answers) != len(joins):
                    error = RuntimeError(f"join.lua answered {len(answers)} of {len(joins)} joins")
                self._answer(joins, answers, error)
        finally:
            self._start(queue_id, queue)

    @staticmethod
    def _answer(joins: list[_Join], answers: Any, error: BaseException | None) -> None:
        for index, join in enumerate(joins):
            if join.answer.done():
                continue  # the joiner went away
            if error is not None:
                join.answer.set_exception(error)
            else:
                join.answer.set_result(answers[index])
