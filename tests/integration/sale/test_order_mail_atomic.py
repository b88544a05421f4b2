"""The confirm script writes a paid order and its tickets e-mail in one atomic step, on a real
Redis: both or neither, whatever the outcome, and once per order."""

from __future__ import annotations

import orjson
import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from sale_backend.storage.keys import EventKeys
from sale_backend.storage.scripts import Answer, SaleScripts
from service_kit.mail_outbox import MailOutbox

SEATLESS_TICKET = ("t1", "", "AAAA", "{}")


def hold_id_of(event_id: str, number: int) -> str:
    return f"{event_id}~h{number:016x}"


async def paid_hold(
    scripts: SaleScripts, event_id: str, number: int, ttl_ms: int = 60_000
) -> tuple[str, str]:
    """A hold of one ticket with a payment intent recorded (the checkout's first step)."""
    hold_id, payment_id = hold_id_of(event_id, number), f"pay-{number}"
    hold = {"buyer": f"buyer-{number}", "items": {"standard": 1}, "seats": [], "units": 1}
    answer = await scripts.begin_checkout(
        event_id, EventKeys(event_id).idempotency(f"buyer-{number}", f"key-{number}"), "digest",
        60, hold_id=hold_id, buyer=f"buyer-{number}", payment_id=payment_id,
        payment_json=b"{}", express_hold=(orjson.dumps(hold), ttl_ms, 4),
    )
    assert answer[0] == "ok", answer
    return hold_id, payment_id


def order_id_of(number: int) -> str:
    return f"order-{number}"


def mail_of(number: int) -> tuple[str, bytes]:
    order_id = order_id_of(number)
    return f"tickets:{order_id}", orjson.dumps({"kind": "tickets", "order_id": order_id})


async def confirm(
    scripts: SaleScripts,
    event_id: str,
    number: int,
    hold_id: str,
    payment_id: str,
    *,
    short_code: str = "AAAA",
    mail: tuple[str, bytes] | None = None,
) -> Answer:
    ticket_id, seat, _, details = SEATLESS_TICKET
    return await scripts.confirm(
        event_id, payment_id, hold_id, order_id_of(number), b'{"order":1}', 60, b"{}",
        [f"{ticket_id}-{number}", seat, short_code, details], mail=mail,
    )


async def outbox_of(redis: Redis, event_id: str) -> dict[str, bytes]:
    keys = EventKeys(event_id)
    queued = {member.decode() for member in await redis.zrange(keys.mail_outbox, 0, -1)}
    messages = {
        key.decode(): value for key, value in (await redis.hgetall(keys.mail_messages)).items()
    }
    assert queued == set(messages), "an outbox entry without its payload or the other way"
    return messages


@pytest.fixture
async def scripts(redis: Redis, unique_id: str) -> SaleScripts:
    scripts = SaleScripts(redis)
    answer = await scripts.define_event(unique_id, b"{}", [("standard", 10)], [])
    assert answer == ("ok",)
    return scripts


async def test_an_order_and_its_mail_are_written_together_and_once(
    scripts: SaleScripts, redis: Redis, unique_id: str
) -> None:
    hold_id, payment_id = await paid_hold(scripts, unique_id, 1)
    mail = mail_of(1)
    assert (await confirm(scripts, unique_id, 1, hold_id, payment_id, mail=mail))[0] == "ok"
    keys = EventKeys(unique_id)
    assert await redis.hexists(keys.orders, order_id_of(1))
    assert await outbox_of(redis, unique_id) == {mail[0]: mail[1]}
    assert await redis.zscore(keys.mail_outbox, mail[0]) == 0  # due at once

    # the same payment confirmed again (a retry, the reconciler): the order is there, no new mail
    again = await confirm(scripts, unique_id, 1, hold_id, payment_id, mail=mail)
    assert again == ("done", order_id_of(1))
    outbox = MailOutbox(redis)
    [claimed] = await outbox.claim(keys.outbox)
    assert claimed.message_id == mail[0]
    assert claimed.payload == {"kind": "tickets", "order_id": order_id_of(1)}
    await outbox.forget(keys.outbox, claimed.message_id)  # sent
    again = await confirm(scripts, unique_id, 1, hold_id, payment_id, mail=mail)
    assert again == ("done", order_id_of(1))
    assert await outbox_of(redis, unique_id) == {}  # sent once, never queued again


async def test_an_order_without_an_address_queues_nothing(
    scripts: SaleScripts, redis: Redis, unique_id: str
) -> None:
    hold_id, payment_id = await paid_hold(scripts, unique_id, 2)
    assert (await confirm(scripts, unique_id, 2, hold_id, payment_id, mail=None))[0] == "ok"
    assert await redis.hexists(EventKeys(unique_id).orders, order_id_of(2))
    assert await outbox_of(redis, unique_id) == {}


async def test_no_order_means_no_mail(scripts: SaleScripts, redis: Redis, unique_id: str) -> None:
    keys = EventKeys(unique_id)
    # a short code another ticket has: nothing written, the caller draws new codes
    await scripts.register_tickets(unique_id, ["other-ticket", "TAKEN", "{}"])
    hold_id, payment_id = await paid_hold(scripts, unique_id, 3)
    answer = await confirm(
        scripts, unique_id, 3, hold_id, payment_id, short_code="TAKEN", mail=mail_of(3)
    )
    assert answer == ("collision", "TAKEN")
    assert not await redis.hexists(keys.orders, order_id_of(3))
    assert await outbox_of(redis, unique_id) == {}
    # the hold expired before the payment completed: no order, no mail (a refund instead)
    hold_id, payment_id = await paid_hold(scripts, unique_id, 4, ttl_ms=1)
    await redis.zadd(keys.hold_expiry, {hold_id: 1})  # expired long ago (Redis clock)
    answer = await confirm(scripts, unique_id, 4, hold_id, payment_id, mail=mail_of(4))
    assert answer == ("expired",)
    assert not await redis.hexists(keys.orders, order_id_of(4))
    assert await outbox_of(redis, unique_id) == {}


async def test_an_outbox_that_cannot_take_the_mail_stops_the_order_too(
    scripts: SaleScripts, redis: Redis, unique_id: str
) -> None:
    """The e-mail is queued before the script's first write: if that fails, nothing is sold,
    the payment stays pending (the reconciler finishes it once the outbox is sound)."""
    keys = EventKeys(unique_id)
    hold_id, payment_id = await paid_hold(scripts, unique_id, 5)
    stock_before = await redis.hgetall(keys.stock)
    await redis.set(keys.mail_messages, "not a hash")
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        await confirm(scripts, unique_id, 5, hold_id, payment_id, mail=mail_of(5))
    assert not await redis.hexists(keys.orders, order_id_of(5))
    assert await redis.hget(keys.payment_status, payment_id) == b"pending"
    assert await redis.hgetall(keys.stock) == stock_before
    assert not await redis.hexists(keys.tickets, "t1-5")
    await redis.delete(keys.mail_messages)
    answer = await confirm(scripts, unique_id, 5, hold_id, payment_id, mail=mail_of(5))
    assert answer[0] == "ok"
    assert set(await outbox_of(redis, unique_id)) == {mail_of(5)[0]}
