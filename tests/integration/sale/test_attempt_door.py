"""The attempt door keeps waiting buyers while attempts at their tier are in flight, however long
those take, and the read after the attempts end decides: refused when they took the last
tickets, let through when one failed. On the real sale Redis (the view's reads are real script
calls, the tickets are taken by the real hold script through the shop)."""

from __future__ import annotations

import asyncio

from sale_backend.domain.attempt_door import AttemptDoor
from sale_backend.storage.stock_view import StockSnapshot
from tests.support.shop_fixtures import Shop

ONE = {"standard": 1}
MAX_WAIT_SECONDS = 0.05
"""Short, so that a test waits many times it: the waiters must not go on meanwhile."""


async def hold(shop: Shop, event_id: str, quantity: int) -> None:
    async with shop.client() as buyer:
        response = await buyer.post(
            "/api/v1/holds",
            json={"event_id": event_id, "items": [{"tier_id": "standard", "quantity": quantity}]},
        )
    assert response.status_code == 201, response.text


async def door_with_two_left(shop: Shop, event_id: str) -> AttemptDoor:
    """An event with 2 standard tickets left and a door whose view has read that."""
    await shop.define(event_id, max_tickets_per_buyer=100, max_tickets_per_order=100)
    await hold(shop, event_id, 98)
    view = shop.stock_view()
    assert await view.shortfall(event_id, ONE) is None
    assert view.remaining(event_id, "standard") == 2
    return AttemptDoor(view, max_wait_seconds=MAX_WAIT_SECONDS)


async def test_waiters_are_kept_while_attempts_are_in_flight_then_refused(
    shop: Shop, unique_id: str
) -> None:
    door = await door_with_two_left(shop, unique_id)
    assert await door.enter(unique_id, ONE) is None  # the two tickets left: two attempts go on
    assert await door.enter(unique_id, ONE) is None
    waiters = [asyncio.create_task(door.enter(unique_id, ONE)) for _ in range(3)]
    await asyncio.sleep(20 * MAX_WAIT_SECONDS)  # the first attempts take long
    assert not any(waiter.done() for waiter in waiters)
    assert door.waiting(unique_id) == 3 and door.in_flight(unique_id, ONE)

    await hold(shop, unique_id, 2)  # the two attempts took the last tickets
    door.leave(unique_id, ONE)
    door.leave(unique_id, ONE)
    refusals = await asyncio.wait_for(asyncio.gather(*waiters), timeout=5)
    assert [(refusal.tier_id, refusal.remaining) for refusal in refusals if refusal] == [
        ("standard", 0)
    ] * 3
    assert door.waiting(unique_id) == 0 and not door.in_flight(unique_id, ONE)


async def test_waiters_are_refused_once_the_attempts_take_the_tickets_before_they_end(
    shop: Shop, unique_id: str
) -> None:
    """The attempts hold the last tickets with their first script; their payments and
    confirmations take long. The view is read again meanwhile (not only when they end), and
    that read refuses the waiters while the attempts are still in flight."""
    door = await door_with_two_left(shop, unique_id)
    assert await door.enter(unique_id, ONE) is None
    assert await door.enter(unique_id, ONE) is None
    waiters = [asyncio.create_task(door.enter(unique_id, ONE)) for _ in range(3)]
    await asyncio.sleep(20 * MAX_WAIT_SECONDS)
    assert not any(waiter.done() for waiter in waiters)

    await hold(shop, unique_id, 2)  # the attempts' holds; they have not ended
    refusals = await asyncio.wait_for(asyncio.gather(*waiters), timeout=5)
    assert all(refusal is not None for refusal in refusals)
    assert door.in_flight(unique_id, ONE)  # refused before the attempts left
    door.leave(unique_id, ONE)
    door.leave(unique_id, ONE)


async def test_a_waiter_goes_on_when_an_attempt_in_flight_fails(
    shop: Shop, unique_id: str
) -> None:
    door = await door_with_two_left(shop, unique_id)
    assert await door.enter(unique_id, ONE) is None
    assert await door.enter(unique_id, ONE) is None
    waiter = asyncio.create_task(door.enter(unique_id, ONE))
    await asyncio.sleep(20 * MAX_WAIT_SECONDS)
    assert not waiter.done()

    await hold(shop, unique_id, 1)  # one attempt bought its ticket, the other failed
    door.leave(unique_id, ONE)
    door.leave(unique_id, ONE)
    assert await asyncio.wait_for(waiter, timeout=5) is None  # one ticket left: it goes on
    assert door.in_flight(unique_id, ONE)  # and counts until it leaves
    door.leave(unique_id, ONE)
    assert not door.in_flight(unique_id, ONE)


async def test_a_waiter_of_another_tier_is_not_kept_by_these_attempts(
    shop: Shop, unique_id: str
) -> None:
    door = await door_with_two_left(shop, unique_id)
    assert await door.enter(unique_id, ONE) is None
    assert await door.enter(unique_id, ONE) is None
    assert not door.in_flight(unique_id, {"group4": 1})
    # the waiters of this event wait in line; one of a tier with nothing in flight goes on
    blocked = asyncio.create_task(door.enter(unique_id, ONE))
    other = await asyncio.wait_for(door.enter(unique_id, {"group4": 1}), timeout=5)
    assert other is None and not blocked.done()
    door.leave(unique_id, {"group4": 1})
    door.leave(unique_id, ONE)
    door.leave(unique_id, ONE)
    assert await asyncio.wait_for(blocked, timeout=5) is None


async def test_waiters_are_kept_while_the_read_that_decides_them_is_out(
    shop: Shop, unique_id: str
) -> None:
    """The attempts ended and the read they asked for is slow: the waiters' own waits run out
    meanwhile, and they wait on for that read (not on to the hold script), which refuses them."""
    await shop.define(unique_id, max_tickets_per_buyer=100, max_tickets_per_order=100)
    await hold(shop, unique_id, 98)
    gate = asyncio.Event()
    gate.set()

    async def slow_read(event_id: str, records_known: int) -> StockSnapshot:
        await gate.wait()
        return await shop.runtime.store.stock_snapshot(event_id, records_known)

    view = shop.stock_view(slow_read)
    assert await view.shortfall(unique_id, ONE) is None
    door = AttemptDoor(view, max_wait_seconds=MAX_WAIT_SECONDS)
    assert await door.enter(unique_id, ONE) is None
    assert await door.enter(unique_id, ONE) is None
    waiters = [asyncio.create_task(door.enter(unique_id, ONE)) for _ in range(3)]
    await asyncio.sleep(4 * MAX_WAIT_SECONDS)
    await hold(shop, unique_id, 2)  # the two attempts took the last tickets
    gate.clear()  # the read their end asks for is slow
    door.leave(unique_id, ONE)
    door.leave(unique_id, ONE)
    await asyncio.sleep(6 * MAX_WAIT_SECONDS)
    assert not any(waiter.done() for waiter in waiters)  # kept for the read under way
    gate.set()
    refusals = await asyncio.wait_for(asyncio.gather(*waiters), timeout=5)
    assert [(refusal.tier_id, refusal.remaining) for refusal in refusals if refusal] == [
        ("standard", 0)
    ] * 3


async def test_waiters_go_on_at_once_when_the_store_cannot_be_read(
    shop: Shop, unique_id: str
) -> None:
    """The sale Redis went away while buyers waited for attempts in flight: the read their end
    asks for fails, and every waiter goes on for the full path to report the failure (not one
    buyer per wait of the door, with the others kept meanwhile)."""
    await shop.define(unique_id, max_tickets_per_buyer=100, max_tickets_per_order=100)
    await hold(shop, unique_id, 98)
    store_gone = False

    async def read(event_id: str, records_known: int) -> StockSnapshot:
        if store_gone:
            raise ConnectionError("Connect call failed")
        return await shop.runtime.store.stock_snapshot(event_id, records_known)

    view = shop.stock_view(read)
    assert await view.shortfall(unique_id, ONE) is None
    door = AttemptDoor(view, max_wait_seconds=30)  # its own rule would keep them for long
    assert await door.enter(unique_id, ONE) is None
    assert await door.enter(unique_id, ONE) is None
    waiters = [asyncio.create_task(door.enter(unique_id, ONE)) for _ in range(5)]
    await asyncio.sleep(0.2)
    assert not any(waiter.done() for waiter in waiters)

    store_gone = True
    door.leave(unique_id, ONE)  # the attempts failed on the store's error
    door.leave(unique_id, ONE)
    assert await asyncio.wait_for(asyncio.gather(*waiters), timeout=5) == [None] * 5
    assert door.waiting(unique_id) == 0
    for _ in range(5):  # each counts until its attempt leaves
        assert door.in_flight(unique_id, ONE)
        door.leave(unique_id, ONE)
    assert not door.in_flight(unique_id, ONE)
