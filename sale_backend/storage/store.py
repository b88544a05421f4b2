"""The shop's Redis store: its script loader (:class:`SaleScripts`, one typed method per Lua
script, every script on one event's keys) and the plain reads. Records come back as stored
(JSON bytes): the domain's types read them (:mod:`sale_backend.domain.records`); storage knows
nothing of the domain.

Domain modules (holds, checkout, refunds, scans) call ``store.scripts`` and turn the answers
into results or errors. Script calls and the hot reads of the process go out in batches
(:mod:`service_kit.command_batches`); the store keeps the process's
:class:`StockView` current with what its scripts return.
"""

from __future__ import annotations

from typing import Any

import orjson
from redis.asyncio import Redis

from sale_backend.errors import EventNotFound
from sale_backend.storage.keys import EVENT_REGISTRY_KEY, EventKeys
from sale_backend.storage.scripts import Answer, SaleScripts, ScriptCall, decode
from sale_backend.storage.stock_view import (
    AsyncSnapshots,
    SnapshotReader,
    StockSnapshot,
    StockView,
)
from service_kit.command_batches import CommandBatcher
from service_kit.redis_callbacks import CallbackConnection, RedisAddress


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


class SaleStore:
    """Sale data in Redis. One instance per process; holds the script loader, the batcher
    that sends its calls and the process's stock view."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.batcher = CommandBatcher(redis)
        self.scripts = SaleScripts(redis, self.batcher, self._keep_view)
        # the stock view's reads on a connection whose answers it takes as the loop reads them
        # (through redis-py, a read came back several loop steps later: under load, too late
        # to keep the view young); a cluster, TLS or a unix socket keeps to redis-py
        address = RedisAddress.of(redis)
        reader: SnapshotReader = (
            AsyncSnapshots(self.stock_snapshot)
            if address is None
            else self.scripts.snapshots_on(CallbackConnection(address))
        )
        self.stock_view = StockView(reader)

    async def aclose(self) -> None:
        """End the stock view's reads (before the client closes)."""
        await self.stock_view.close()

    def _keep_view(self, call: ScriptCall, answer: Answer, sent_at: float) -> None:
        """Scripts that return stock make the view read it again; a hold refused for want of
        tickets says what is left."""
        outcome = answer[0] if answer else ""
        if call.name in {"hold", "begin_checkout"} and outcome == "sold_out":
            self.stock_view.observe(call.event_id, answer[1], int(answer[2]), sent_at)
        elif (
            (call.name == "release" and outcome == "ok" and answer[1:2] != ("0",))
            or (call.name == "settle_payment" and outcome == "ok" and call.args[3] == "1")
            or (call.name == "confirm" and outcome == "expired")
            or (call.name in {"refund", "define_event"} and outcome == "ok")
        ):
            self.stock_view.forget(call.event_id)

    # -- catalog ---------------------------------------------------------------------------
    async def define_catalog(
        self,
        event_id: str,
        source: dict[str, Any],
        capacities: list[tuple[str, int]],
        seat_ids: list[str],
    ) -> tuple[str, ...]:
        """Store an event's definition (``source``) with its tiers' capacities and its seats."""
        keys = EventKeys(event_id)
        new_event = not await self.redis.exists(keys.catalog)
        answer = await self.scripts.define_event(
            event_id, orjson.dumps(source), capacities, seat_ids
        )
        if answer[0] == "ok":
            await self.redis.sadd(EVENT_REGISTRY_KEY, event_id)
            if new_event:  # every ticket it sells gets a short code when sold
                await self.redis.set(keys.tickets_registered, "1")
        return answer

    async def catalog(self, event_id: str) -> bytes:
        """The event's definition as stored (JSON); raises EventNotFound."""
        raw = await self.batcher.command("GET", EventKeys(event_id).catalog)
        if raw is None:
            raise EventNotFound(event_id)
        return _bytes(raw)

    async def event_ids(self) -> list[str]:
        return sorted(decode(item) for item in await self.redis.smembers(EVENT_REGISTRY_KEY))

    # -- reads -----------------------------------------------------------------------------
    async def stock(self, event_id: str) -> dict[str, int]:
        raw = await self.redis.hgetall(EventKeys(event_id).stock)
        return {decode(name): int(value) for name, value in raw.items()}

    async def stock_snapshot(
        self, event_id: str, records_known: int | None = None
    ) -> StockSnapshot:
        """The event's stock figures with the sale Redis time of the read (unix µs: the time
        orders stock reports of one event across shop processes) and the earliest hold
        expiry; with ``records_known``, the event's record log past that many entries."""
        return await self.scripts.stock_snapshot(event_id, records_known)

    async def idempotency_record_exists(self, idempotency_key: str) -> bool:
        """Whether a request with this (buyer-scoped) Idempotency-Key ran or runs."""
        return bool(await self.batcher.command("EXISTS", idempotency_key))

    async def finish_idempotency(
        self, idempotency_key: str, status: int, body: bytes, ttl_seconds: int
    ) -> None:
        """Keep a request's final answer under its key (one round trip)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                idempotency_key, mapping={"state": "done", "status": status, "response": body}
            )
            pipe.expire(idempotency_key, ttl_seconds)
            await pipe.execute()

    async def seat_states(self, event_id: str) -> dict[str, str]:
        raw = await self.redis.hgetall(EventKeys(event_id).seats)
        return {decode(name): decode(value).partition(":")[0] for name, value in raw.items()}

    async def hold(self, event_id: str, hold_id: str) -> tuple[bytes, int] | None:
        """The hold's record (JSON) and its expiry (ms), or None."""
        keys = EventKeys(event_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hget(keys.holds, hold_id)
            pipe.zscore(keys.hold_expiry, hold_id)
            raw, expires_at = await pipe.execute()
        if raw is None or expires_at is None:
            return None
        return _bytes(raw), int(expires_at)

    async def order(self, event_id: str, order_id: str) -> bytes | None:
        """The order's record (JSON), or None."""
        raw = await self.redis.hget(EventKeys(event_id).orders, order_id)
        return None if raw is None else _bytes(raw)

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

    async def orders_page(self, event_id: str, cursor: int) -> tuple[int, list[bytes]]:
        """One HSCAN page of the event's orders: (next cursor, 0 when done; order records)."""
        next_cursor, batch = await self.redis.hscan(EventKeys(event_id).orders, cursor, count=500)
        assert isinstance(batch, dict)
        return int(next_cursor), [_bytes(raw) for raw in batch.values()]

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

    async def payment(self, event_id: str, payment_id: str) -> tuple[bytes, str] | None:
        """The payment's record (JSON) and its status, or None."""
        keys = EventKeys(event_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hget(keys.payments, payment_id)
            pipe.hget(keys.payment_status, payment_id)
            raw, status = await pipe.execute()
        if raw is None:
            return None
        return _bytes(raw), decode(status or b"missing")

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

    async def refund_record(self, event_id: str, refund_id: str) -> bytes | None:
        """The refund's record (JSON), or None."""
        raw = await self.redis.hget(EventKeys(event_id).refunds, refund_id)
        return None if raw is None else _bytes(raw)

    async def mark_refund_done(self, event_id: str, refund_id: str) -> None:
        await self.redis.zrem(EventKeys(event_id).refunds_pending, refund_id)
