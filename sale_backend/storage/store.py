"""The shop's Redis store: one method per Lua script, every script on one event's keys.

Methods return the script's raw answer as decoded strings; domain modules (holds, checkout,
refunds, scans) turn answers into results or errors.
"""

from __future__ import annotations

import functools
from typing import Any

import orjson
from redis.asyncio import Redis

from sale_backend.domain.catalog import Event
from sale_backend.domain.catalog_parsing import parse_event
from sale_backend.errors import EventNotFound
from sale_backend.storage.keys import EVENT_REGISTRY_KEY, EventKeys
from service_kit.lua import lua_source

SCRIPTS = (
    "hold",
    "release",
    "begin_payment",
    "confirm",
    "settle_payment",
    "refund",
    "scan",
    "idempotency",
    "define_event",
    "stock_snapshot",
    "register_tickets",
)


def _load_lua(name: str) -> str:
    return lua_source("sale_backend.storage", name)


def decode(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


IDEMPOTENCY_SLOT = 14
"""Index of the request's idempotency record among a script's keys (KEYS[15] in Lua)."""


@functools.lru_cache(maxsize=4096)
def _event_script_keys(event_id: str) -> tuple[str, ...]:
    keys = EventKeys(event_id)
    return (
        keys.stock,
        keys.seats,
        keys.holds,
        keys.hold_expiry,
        keys.buyers,
        keys.hold_payment,
        keys.payment_status,
        keys.payments_pending,
        keys.payments,
        keys.orders,
        keys.tickets,
        keys.buyer_orders,
        keys.refunds,
        keys.refunds_pending,
        keys.prefix + "idem:none",
        keys.catalog,
        keys.short_codes,
        keys.ticket_details,
        keys.entries,
        keys.ticket_changes,
    )


def script_keys(event_id: str, idempotency_key: str | None = None) -> list[str]:
    """The keys every script gets (named once per event, in ``prelude.lua``'s order)."""
    keys = list(_event_script_keys(event_id))
    if idempotency_key:
        keys[IDEMPOTENCY_SLOT] = idempotency_key
    return keys


class SaleStore:
    """Sale data in Redis. One instance per process; holds the registered scripts."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        prelude = _load_lua("prelude")
        self._scripts = {
            name: redis.register_script(prelude + "\n" + _load_lua(name)) for name in SCRIPTS
        }

    async def run(
        self, script: str, event_id: str, args: list[Any], idempotency_key: str | None = None
    ) -> list[str]:
        raw = await self._scripts[script](keys=script_keys(event_id, idempotency_key), args=args)
        return [decode(item) for item in raw]

    # -- catalog ---------------------------------------------------------------------------
    async def define_event(self, event: Event, source: dict[str, Any]) -> list[str]:
        args: list[Any] = [orjson.dumps(source), len(event.tiers)]
        for tier in event.tiers:
            args += [tier.tier_id, tier.capacity]
        args += list(event.seat_tiers())
        keys = EventKeys(event.event_id)
        new_event = not await self.redis.exists(keys.catalog)
        answer = await self.run("define_event", event.event_id, args)
        if answer[0] == "ok":
            await self.redis.sadd(EVENT_REGISTRY_KEY, event.event_id)
            if new_event:  # every ticket it sells gets a short code when sold
                await self.redis.set(keys.tickets_registered, "1")
        return answer

    async def load_event(self, event_id: str) -> Event:
        raw = await self.redis.get(EventKeys(event_id).catalog)
        if raw is None:
            raise EventNotFound(event_id)
        return parse_event(event_id, orjson.loads(raw))

    async def event_ids(self) -> list[str]:
        return sorted(decode(item) for item in await self.redis.smembers(EVENT_REGISTRY_KEY))

    # -- reads -----------------------------------------------------------------------------
    async def stock(self, event_id: str) -> dict[str, int]:
        raw = await self.redis.hgetall(EventKeys(event_id).stock)
        return {decode(name): int(value) for name, value in raw.items()}

    async def stock_snapshot(self, event_id: str) -> tuple[int, dict[str, int]]:
        """(the sale Redis time of the read in unix microseconds, the event's stock figures):
        the time orders stock reports of one event across shop processes."""
        raw = await self._scripts["stock_snapshot"](keys=script_keys(event_id), args=[])
        pairs = raw[1:]
        figures = {
            decode(name): int(value) for name, value in zip(pairs[0::2], pairs[1::2], strict=True)
        }
        return int(raw[0]), figures

    async def seat_states(self, event_id: str) -> dict[str, str]:
        raw = await self.redis.hgetall(EventKeys(event_id).seats)
        return {decode(name): decode(value).partition(":")[0] for name, value in raw.items()}

    async def hold(self, event_id: str, hold_id: str) -> tuple[dict[str, Any], int] | None:
        keys = EventKeys(event_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hget(keys.holds, hold_id)
            pipe.zscore(keys.hold_expiry, hold_id)
            raw, expires_at = await pipe.execute()
        if raw is None or expires_at is None:
            return None
        return orjson.loads(raw), int(expires_at)

    async def order(self, event_id: str, order_id: str) -> dict[str, Any] | None:
        raw = await self.redis.hget(EventKeys(event_id).orders, order_id)
        return None if raw is None else dict(orjson.loads(raw))

    async def ticket_states(self, event_id: str, ticket_ids: list[str]) -> list[str | None]:
        if not ticket_ids:
            return []
        values = await self.redis.hmget(EventKeys(event_id).tickets, ticket_ids)
        return [None if value is None else decode(value) for value in values]

    async def ticket_details(self, event_id: str, ticket_ids: list[str]) -> list[bytes | None]:
        if not ticket_ids:
            return []
        values = await self.redis.hmget(EventKeys(event_id).ticket_details, ticket_ids)
        return [None if value is None else _bytes(value) for value in values]

    async def orders_page(self, event_id: str, cursor: int) -> tuple[int, list[dict[str, Any]]]:
        """One HSCAN page of the event's orders: (next cursor, 0 when done; orders)."""
        next_cursor, batch = await self.redis.hscan(EventKeys(event_id).orders, cursor, count=500)
        assert isinstance(batch, dict)
        return int(next_cursor), [dict(orjson.loads(raw)) for raw in batch.values()]

    async def changed_tickets(
        self, event_id: str, after_version: int, limit: int
    ) -> list[tuple[str, int]]:
        """(ticket id, version) of tickets changed after ``after_version``, oldest first."""
        raw: list[Any] = await self.redis.zrangebyscore(
            EventKeys(event_id).ticket_changes,
            f"({after_version}",
            "+inf",
            start=0,
            num=limit,
            withscores=True,
        )
        return [(decode(member), int(score)) for member, score in raw]

    async def ticket_rows(
        self, event_id: str, ticket_ids: list[str]
    ) -> list[tuple[str | None, bytes | None, bytes | None]]:
        """(state, details JSON, entries JSON) of each ticket."""
        if not ticket_ids:
            return []
        keys = EventKeys(event_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hmget(keys.tickets, ticket_ids)
            pipe.hmget(keys.ticket_details, ticket_ids)
            pipe.hmget(keys.entries, ticket_ids)
            states, details, entries = await pipe.execute()
        return [
            (
                None if state is None else decode(state),
                None if detail is None else _bytes(detail),
                None if entry is None else _bytes(entry),
            )
            for state, detail, entry in zip(states, details, entries, strict=True)
        ]

    async def ticket_of_short_code(self, event_id: str, short_code: str) -> str | None:
        raw = await self.redis.hget(EventKeys(event_id).short_codes, short_code)
        return None if raw is None else decode(raw)

    async def buyer_order_ids(self, event_id: str, buyer: str) -> list[str]:
        raw = await self.redis.hget(EventKeys(event_id).buyer_orders, buyer)
        return [] if raw is None else decode(raw).split()

    async def payment(self, event_id: str, payment_id: str) -> tuple[dict[str, Any], str] | None:
        keys = EventKeys(event_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hget(keys.payments, payment_id)
            pipe.hget(keys.payment_status, payment_id)
            raw, status = await pipe.execute()
        if raw is None:
            return None
        return dict(orjson.loads(raw)), decode(status or b"missing")

    async def pending_payment_ids(self, event_id: str, older_than_ms: int) -> list[str]:
        raw = await self.redis.zrangebyscore(
            EventKeys(event_id).payments_pending, "-inf", older_than_ms
        )
        return [decode(item) for item in raw]

    async def pending_refund_ids(self, event_id: str, older_than_ms: int) -> list[str]:
        raw = await self.redis.zrangebyscore(
            EventKeys(event_id).refunds_pending, "-inf", older_than_ms
        )
        return [decode(item) for item in raw]

    async def refund_record(self, event_id: str, refund_id: str) -> dict[str, Any] | None:
        raw = await self.redis.hget(EventKeys(event_id).refunds, refund_id)
        return None if raw is None else dict(orjson.loads(raw))

    async def mark_refund_done(self, event_id: str, refund_id: str) -> None:
        await self.redis.zrem(EventKeys(event_id).refunds_pending, refund_id)
