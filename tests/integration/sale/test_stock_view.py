"""The stock view's refusals are certain: on the real sale Redis, with the view's clock frozen
and moved by hand (the reads are real script calls)."""

from __future__ import annotations

import asyncio

import pytest

from sale_backend.storage import scripts
from sale_backend.storage.keys import EventKeys
from sale_backend.storage.stock_view import MAX_AGE_SECONDS, StockSnapshot, StockView
from tests.support.shop_fixtures import Shop, ShopFactory, express_checkout_body
from waitroom.tokens import new_visitor_id

ONE = {"standard": 1}


class FrozenClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def define_and_take_all(shop: Shop, event_id: str) -> str:
    """An event whose 100 standard tickets are all in one hold; returns the hold id."""
    await shop.define(event_id, max_tickets_per_buyer=100, max_tickets_per_order=100)
    async with shop.client() as buyer:
        response = await buyer.post(
            "/api/v1/holds",
            json={"event_id": event_id, "items": [{"tier_id": "standard", "quantity": 100}]},
        )
    assert response.status_code == 201, response.text
    return str(response.json()["hold_id"])


def view_of(shop: Shop, clock: FrozenClock) -> StockView:
    """A view read only when a request finds it too old (no reads in the background)."""
    return shop.stock_view(refresh_after_seconds=MAX_AGE_SECONDS, clock=clock)


async def test_a_sold_out_tier_is_refused_only_while_the_read_is_young(
    shop: Shop, unique_id: str
) -> None:
    await define_and_take_all(shop, unique_id)
    clock = FrozenClock()
    view = view_of(shop, clock)
    refused = await view.shortfall(unique_id, ONE)
    assert refused is not None and (refused.tier_id, refused.remaining) == ("standard", 0)
    assert view.reads == 1
    clock.now += MAX_AGE_SECONDS - 0.01
    assert await view.shortfall(unique_id, ONE) is not None  # young enough: no new read
    assert await view.shortfall(unique_id, {"group4": 1}) is None  # another tier has some
    clock.now += 0.02
    assert await view.shortfall(unique_id, ONE) is not None  # too old: read again first
    assert view.reads == 2


async def test_stock_this_process_returns_is_never_refused_from_an_older_read(
    shop: Shop, unique_id: str
) -> None:
    await shop.define(unique_id, max_tickets_per_buyer=100, max_tickets_per_order=100)
    store = shop.runtime.store
    async with shop.client() as buyer:
        held = await buyer.post(
            "/api/v1/holds",
            json={"event_id": unique_id, "items": [{"tier_id": "standard", "quantity": 100}]},
        )
        assert held.status_code == 201, held.text
        await asyncio.sleep(MAX_AGE_SECONDS)  # the view's reads from before the hold are old
        assert await store.stock_view.shortfall(unique_id, ONE) is not None
        cancelled = await buyer.delete(f"/api/v1/holds/{held.json()['hold_id']}")
        assert cancelled.status_code == 204
        assert await store.stock_view.shortfall(unique_id, ONE) is None  # read again at once
        again = await buyer.post(
            "/api/v1/holds",
            json={"event_id": unique_id, "items": [{"tier_id": "standard", "quantity": 4}]},
        )
        assert again.status_code == 201, again.text


async def test_no_refusal_once_a_hold_of_the_read_can_have_expired(
    shop_factory: ShopFactory, unique_id: str
) -> None:
    async with shop_factory(hold_ttl_seconds=2) as shop:
        await define_and_take_all(shop, unique_id)
        clock = FrozenClock()
        # reads stay young for a minute here: only the holds' expiry can end the refusals
        view = shop.stock_view(
            max_age_seconds=60.0,
            refresh_after_seconds=60.0,
            clock=clock,
        )
        assert await view.shortfall(unique_id, ONE) is not None
        clock.now += 2.0  # the hold (made before the read) has run out by now
        assert await view.shortfall(unique_id, ONE) is None
        assert view.reads == 1


async def test_a_request_that_finds_the_view_old_is_decided_by_the_refresh_already_out(
    shop: Shop, unique_id: str
) -> None:
    """Under load a refresh can be out longer than the view stays young: a request arriving
    then is decided by that refresh (sent less than MAX_AGE_SECONDS before it arrived, as young
    as any view the fast path decides on), not by a read sent after it; and the next refresh
    goes out meanwhile, so a young read is always on its way."""
    await define_and_take_all(shop, unique_id)
    clock = FrozenClock()
    gates: list[asyncio.Event] = []

    async def slow_read(event_id: str, records_known: int) -> StockSnapshot:
        gate = asyncio.Event()
        gates.append(gate)
        if len(gates) not in (2, 3):
            gate.set()  # the second and third reads wait to be let through, the others not
        await gate.wait()
        return await shop.runtime.store.stock_snapshot(event_id, records_known)

    view = shop.stock_view(slow_read, refresh_after_seconds=0.1, clock=clock)
    assert await view.shortfall(unique_id, ONE) is not None
    clock.now += 0.1
    assert await view.shortfall(unique_id, ONE) is not None  # young: answered, refresh sent
    clock.now += MAX_AGE_SECONDS - 0.05  # the first read is old now; the refresh is not
    waiting = asyncio.create_task(view.shortfall(unique_id, ONE))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    assert len(gates) == 3  # the refresh was out a refresh interval: the next one went out
    gates[1].set()  # the refresh that was out comes back (the newest is still out)
    refused = await waiting
    assert refused is not None and refused.remaining == 0
    assert view.reads == 2
    gates[2].set()
    await asyncio.sleep(0.05)
    assert view.reads == 3
    clock.now += MAX_AGE_SECONDS  # every read is old: a request waits for a new one
    assert await view.shortfall(unique_id, ONE) is not None
    assert view.reads == 4


async def checkout(shop: Shop, event_id: str, visitor: str, key: str) -> None:
    async with shop.client(visitor) as buyer:
        bought = await buyer.post(
            "/api/v1/checkout",
            json=express_checkout_body(event_id),
            headers={"idempotency-key": key},
        )
    assert bought.status_code == 201, bought.text


async def test_the_view_knows_the_records_made_as_of_its_read(shop: Shop, unique_id: str) -> None:
    """A read brings the names of the Idempotency-Key records made since the last one, in the
    same step as the figures: a checkout it refuses is answered without asking Redis whether
    it ran before (a record made after the read is known from the next)."""
    await shop.define(unique_id)
    visitor = new_visitor_id()
    keys = EventKeys(unique_id)
    first = keys.idempotency(shop.buyer(visitor), "first")
    second = keys.idempotency(shop.buyer(visitor), "second")
    await checkout(shop, unique_id, visitor, "first")
    clock = FrozenClock()
    view = view_of(shop, clock)
    assert view.recorded(unique_id, first) is None  # not read yet: the caller must ask
    assert await view.shortfall(unique_id, ONE) is None
    assert view.recorded(unique_id, first) is True
    assert view.recorded(unique_id, second) is False

    await checkout(shop, unique_id, visitor, "second")
    assert view.recorded(unique_id, second) is False  # as of the read, still young
    clock.now += MAX_AGE_SECONDS
    await view.shortfall(unique_id, ONE)
    assert view.recorded(unique_id, second) is True
    assert view.reads == 2


async def test_a_view_behind_the_record_log_asks_until_a_read_brings_it_to_the_end(
    shop: Shop, unique_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scripts, "MAX_RECORDS_PER_READ", 1)  # one name per read
    await shop.define(unique_id)
    visitor = new_visitor_id()
    names = [EventKeys(unique_id).idempotency(shop.buyer(visitor), key) for key in "ab"]
    for key in "ab":
        await checkout(shop, unique_id, visitor, key)
    clock = FrozenClock()
    view = view_of(shop, clock)
    await view.shortfall(unique_id, ONE)
    assert view.recorded(unique_id, names[0]) is True
    assert view.recorded(unique_id, names[1]) is None  # not read to the end: unknown
    assert view.recorded(unique_id, "sale:{e:x}:idem:none") is None
    clock.now += MAX_AGE_SECONDS
    await view.shortfall(unique_id, ONE)
    assert [view.recorded(unique_id, name) for name in names] == [True, True]
    assert view.recorded(unique_id, "sale:{e:x}:idem:none") is False
