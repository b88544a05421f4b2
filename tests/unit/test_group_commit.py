"""Group commit: an idle process sends a call at once; calls that arrive while a batch is out
go together in the next; each gets its own outcome; a failed batch fails only its own calls;
a caller that went away before its call left is not sent."""

from __future__ import annotations

import asyncio

import pytest

from service_kit.group_commit import GroupCommit


class Wire:
    """Answers each batch when the test says so; records what was sent."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.release: asyncio.Queue[BaseException | None] = asyncio.Queue()

    async def send(self, items: list[str]) -> list[str | BaseException]:
        self.batches.append(list(items))
        failure = await self.release.get()
        if failure is not None:
            raise failure
        return [ValueError(item) if item.startswith("bad") else item.upper() for item in items]


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_calls_that_arrive_while_a_batch_is_out_go_together() -> None:
    wire = Wire()
    batches: GroupCommit[str, str] = GroupCommit(wire.send, max_per_batch=3)
    first = asyncio.ensure_future(batches.call("a"))
    await settle()
    assert wire.batches == [["a"]]  # idle: sent at once, alone
    later = [asyncio.ensure_future(batches.call(item)) for item in ("b", "bad-c", "d", "e")]
    await settle()
    assert wire.batches == [["a"]]  # they wait for the batch out
    wire.release.put_nowait(None)
    assert await first == "A"
    await settle()
    assert wire.batches == [["a"], ["b", "bad-c", "d"]]  # together, at most three
    wire.release.put_nowait(None)
    await settle()
    assert await later[0] == "B" and await later[2] == "D"
    with pytest.raises(ValueError, match="bad-c"):  # its own outcome only
        await later[1]
    assert wire.batches[-1] == ["e"]
    wire.release.put_nowait(None)
    assert await later[3] == "E"
    assert (batches.batches_sent, batches.items_sent) == (3, 5)


async def test_a_failed_batch_fails_its_calls_and_the_next_batch_goes_on() -> None:
    wire = Wire()
    batches: GroupCommit[str, str] = GroupCommit(wire.send, max_per_batch=10)
    first = asyncio.ensure_future(batches.call("a"))
    await settle()
    second = asyncio.ensure_future(batches.call("b"))
    await settle()
    wire.release.put_nowait(ConnectionError("lost"))
    with pytest.raises(ConnectionError):
        await first
    await settle()
    wire.release.put_nowait(None)
    assert await second == "B"


async def test_a_caller_gone_before_its_call_left_is_not_sent() -> None:
    wire = Wire()
    batches: GroupCommit[str, str] = GroupCommit(wire.send, max_per_batch=10)
    first = asyncio.ensure_future(batches.call("a"))
    await settle()
    gone = asyncio.ensure_future(batches.call("gone"))
    kept = asyncio.ensure_future(batches.call("kept"))
    await settle()
    gone.cancel()
    wire.release.put_nowait(None)
    await first
    await settle()
    assert wire.batches[-1] == ["kept"]
    wire.release.put_nowait(None)
    assert await kept == "KEPT"


async def test_calls_sent_together_keep_their_order_and_raise_the_first_failure() -> None:
    wire = Wire()
    batches: GroupCommit[str, str] = GroupCommit(wire.send, max_per_batch=10)
    wire.release.put_nowait(None)
    assert await batches.call_together(["x", "y"]) == ["X", "Y"]
    wire.release.put_nowait(None)
    with pytest.raises(ValueError, match="bad-1"):
        await batches.call_together(["ok", "bad-1", "bad-2"])
    assert wire.batches == [["x", "y"], ["ok", "bad-1", "bad-2"]]
