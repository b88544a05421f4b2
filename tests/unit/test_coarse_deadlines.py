"""Coarse deadlines (one timer per loop): a block that runs out of time gets TimeoutError within
one resolution of its deadline, quick blocks are untouched and leave no timer behind, and a
cancellation from outside stays a cancellation."""

from __future__ import annotations

import asyncio

import pytest

from service_kit.coarse_deadlines import CoarseDeadlines, Deadline


async def test_a_slow_block_times_out_within_one_resolution() -> None:
    deadlines = CoarseDeadlines(resolution_seconds=0.05)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TimeoutError), deadlines.limit(0.2):
        await asyncio.sleep(5)
    waited = loop.time() - started
    assert 0.2 <= waited < 0.2 + 0.05 + 0.1
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]
    await asyncio.sleep(0)  # the task is not cancelled afterwards


async def test_quick_blocks_pass_and_the_timer_stops_when_none_are_live() -> None:
    deadlines = CoarseDeadlines(resolution_seconds=0.02)
    for value in range(1000):
        with deadlines.limit(0.05):
            await asyncio.sleep(0)
        assert value >= 0
    assert deadlines._live == {}
    await asyncio.sleep(0.1)  # the armed timer ran once and found nothing
    assert deadlines._timer is None


async def test_many_tasks_each_get_their_own_answer() -> None:
    deadlines = CoarseDeadlines(resolution_seconds=0.02)

    async def wait(seconds: float) -> str:
        try:
            with deadlines.limit(0.1):
                await asyncio.sleep(seconds)
        except TimeoutError:
            return "timed out"
        return "done"

    answers = await asyncio.gather(*(wait(0.3 if index % 2 else 0.01) for index in range(200)))
    assert answers == ["done", "timed out"] * 100


async def test_a_cancellation_from_outside_stays_a_cancellation() -> None:
    deadlines = CoarseDeadlines(resolution_seconds=0.02)

    async def wait() -> None:
        with deadlines.limit(5):
            await asyncio.sleep(5)

    task = asyncio.create_task(wait())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert deadlines._live == {}


async def test_an_outside_cancellation_in_the_same_turn_as_the_deadline_is_kept() -> None:
    deadlines = CoarseDeadlines(resolution_seconds=10)
    live: list[Deadline] = []
    entered = asyncio.Event()

    async def wait() -> None:
        with deadlines.limit(5) as deadline:
            live.append(deadline)
            entered.set()
            await asyncio.sleep(5)

    task = asyncio.create_task(wait())
    await entered.wait()
    live[0].expire()  # the sweep cancels it...
    task.cancel()  # ...and so does its owner, before it runs again
    with pytest.raises(asyncio.CancelledError):
        await task


def test_the_resolution_must_be_positive() -> None:
    with pytest.raises(ValueError):
        CoarseDeadlines(resolution_seconds=0)
