"""Redis calls of one process sent together: group commit on the client side
(:class:`service_kit.group_commit.GroupCommit`).

Every shop script call (and the hot reads of a sell-out: the Idempotency-Key check) and the
waiting room's session scripts (a site's claims and ends) go through a :class:`CommandBatcher`.
While one batch is on its way to Redis, the calls that arrive meanwhile wait in the next one;
when the batch comes back, the waiting calls go out together, as one pipeline (``EVALSHA``
after ``EVALSHA``, no ``MULTI``: each script is atomic on its own). An idle process sends each
call at once (nothing waits for a timer); a busy one sends a few pipelines a millisecond
instead of one round trip per call, and with AOF ``appendfsync always`` one fsync covers the
whole batch (Redis writes and syncs the AOF once per event-loop turn, before it answers any
command of the turn). A reply is only read after Redis synced the script's writes, so
nothing is acknowledged before it is durable, batched or not.

A script Redis does not know (``NOSCRIPT``: a restarted or new server) is loaded and its calls
sent once more; every other error belongs to its own call only.

On a Redis Cluster each call goes on its own (redis-py's cluster pipelines refuse ``EVALSHA``);
calls sent together still run in their order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import Redis, RedisCluster
from redis.exceptions import NoScriptError, ResponseError

from service_kit.group_commit import GroupCommit

MAX_CALLS_PER_BATCH = 256


class LoadedScript(Protocol):
    """A script's source and SHA-1 (what ``EVALSHA`` names it by):
    :class:`service_kit.lua.LuaScript`."""

    name: str
    source: str
    sha: str


@dataclass(frozen=True, slots=True)
class BatchedCall:
    command: tuple[Any, ...]
    script: LoadedScript | None = None
    """The script an ``EVALSHA`` runs (loaded and sent again on ``NOSCRIPT``)."""

    @classmethod
    def of_script(
        cls, script: LoadedScript, keys: Sequence[str], args: Sequence[Any]
    ) -> BatchedCall:
        return cls(("EVALSHA", script.sha, len(keys), *keys, *args), script)


class CommandBatcher:
    """One per process (per Redis client). :meth:`call` and :meth:`call_together` are the
    only ways the shop runs its scripts (and the waiting room its session scripts)."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._one_by_one = isinstance(redis, RedisCluster)
        self._batches: GroupCommit[BatchedCall, Any] = GroupCommit(self._send, MAX_CALLS_PER_BATCH)

    @property
    def batches_sent(self) -> int:
        return self._batches.batches_sent

    @property
    def calls_sent(self) -> int:
        return self._batches.items_sent

    async def call(self, script: LoadedScript, keys: Sequence[str], args: Sequence[Any]) -> Any:
        call = BatchedCall.of_script(script, keys, args)
        if self._one_by_one:
            return await self._alone(call)
        return await self._batches.call(call)

    async def command(self, *command: Any) -> Any:
        """A plain command (a read such as ``EXISTS``) in the next batch."""
        if self._one_by_one:
            return await self._alone(BatchedCall(command))
        return await self._batches.call(BatchedCall(command))

    async def call_together(self, calls: list[BatchedCall]) -> list[Any]:
        """Send these calls in one batch, in this order (each its own atomic step; another
        client's commands may run between them). Raises the first call's error, if any, after
        all of them ran."""
        if self._one_by_one:
            return [await self._alone(call) for call in calls]
        return await self._batches.call_together(calls)

    async def _send(self, batch: list[BatchedCall]) -> list[Any]:
        """One pipeline (a lone call: one plain command, without a pipeline's bookkeeping); a
        reply that is an error belongs to its call only."""
        if len(batch) == 1:
            try:
                return [await self._alone(batch[0])]
            except ResponseError as error:
                return [error]
        replies = await self._pipeline(batch)
        unknown = [index for index, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
        if unknown:
            scripts = {batch[index].script for index in unknown} - {None}
            for script in scripts:
                assert script is not None
                await self.redis.script_load(script.source)
            again = await self._pipeline([batch[index] for index in unknown])
            for index, reply in zip(unknown, again, strict=True):
                replies[index] = reply
        return replies

    async def _alone(self, call: BatchedCall) -> Any:
        try:
            return await self.redis.execute_command(*call.command)  # type: ignore[no-untyped-call]
        except NoScriptError:
            if call.script is None:
                raise
            return await self.redis.eval(call.script.source, *call.command[2:])

    async def _pipeline(self, calls: list[BatchedCall]) -> list[Any]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for call in calls:
                pipe.execute_command(*call.command)
            replies: list[Any] = await pipe.execute(raise_on_error=False)
        return replies
