"""Every Lua script of the shop, one typed method each: the one place that builds their KEYS and
ARGV.

A script's header names its keys (``EventKeys`` properties of ONE event, hash tag
``{e:<event_id>}``); :class:`service_kit.lua.LuaScript` checks them against the names given
here, and each method passes exactly those keys (built once per event), plus the request's
Idempotency-Key record where the script takes one. Answers are the script's reply decoded,
outcome first (the shapes are in each script's header), or a named tuple where the shape is
fixed. Scripts run with EVALSHA, loaded again once when Redis answers NOSCRIPT.

Every call goes through the process's :class:`CommandBatcher` (calls that arrive while a batch
is on its way go out together in the next, so one fsync covers several); ``*_call`` methods and
:meth:`SaleScripts.together` send several scripts in one batch. An observer (the store's stock
view) sees every answer. The stock view's own reads go on a connection of their own
(:class:`CallbackSnapshots`): they write nothing, and every sold-out answer waits on them.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from redis.typing import EncodableT

from sale_backend.storage.keys import EventKeys
from sale_backend.storage.stock_view import RecordLogPart, SnapshotDone, StockSnapshot
from service_kit.command_batches import BatchedCall, CommandBatcher
from service_kit.lua import LuaScript, Prelude
from service_kit.mail_outbox import ENQUEUE_PRELUDE
from service_kit.redis_callbacks import CallbackConnection

PACKAGE = "sale_backend.storage"
HOLD_KEYS = ("stock", "seats", "holds", "hold_expiry", "buyers", "hold_payment")
PAYMENT_KEYS = (*HOLD_KEYS, "payment_status", "payments_pending")
MAX_RECORDS_PER_READ = 2000
"""Entries of an event's record log one stock read brings (a view behind by more catches up
over several reads, asking for each record itself meanwhile)."""

Answer = tuple[str, ...]
"""A script's reply decoded: the outcome, then what that outcome carries."""


class ScanAnswer(NamedTuple):
    outcome: str
    state: str
    entries_json: str
    details_json: str


def decode(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _snapshot_args(records_known: int | None) -> list[int]:
    """``stock_snapshot.lua``'s arguments: the record log entries known (-1: none wanted) and
    how many new ones one answer may bring."""
    return [-1 if records_known is None else records_known, MAX_RECORDS_PER_READ]


def _snapshot(raw: Sequence[str], records_known: int | None) -> StockSnapshot:
    """``stock_snapshot.lua``'s reply, decoded."""
    count = int(raw[4])
    pairs = raw[5 + count :]
    figures = {name: int(value) for name, value in zip(pairs[0::2], pairs[1::2], strict=True)}
    next_expiry = int(raw[1])
    records = None
    if records_known is not None:
        records = RecordLogPart(int(raw[3]), raw[5 : 5 + count], int(raw[2]))
    return StockSnapshot(int(raw[0]), None if next_expiry < 0 else next_expiry, figures, records)


class CallbackSnapshots:
    """The stock view's reads (:class:`~sale_backend.storage.stock_view.SnapshotReader`) on a
    :class:`~service_kit.redis_callbacks.CallbackConnection`: sent as the view asks, the answer
    handed to the view as the loop reads it (the view updates itself and wakes the requests
    waiting for it there, not a task's step or three later)."""

    def __init__(self, connection: CallbackConnection, script: _Script) -> None:
        self._connection = connection
        self._script = script

    def read(self, event_id: str, records_known: int, done: SnapshotDone) -> None:
        def answered(reply: Any) -> None:
            if isinstance(reply, OSError):
                done(reply)
                return
            if isinstance(reply, Exception):  # an error reply
                done(ResponseError(str(reply)))
                return
            try:
                snapshot = _snapshot(tuple(decode(item) for item in reply), records_known)
            except (ValueError, IndexError, TypeError) as error:
                done(ResponseError(f"stock_snapshot.lua answered {reply!r:.200}: {error}"))
            else:
                done(snapshot)

        run = self._script.run
        self._connection.eval_script(
            run.sha,
            run.source,
            self._script.keys(event_id, None),
            _snapshot_args(records_known),
            answered,
        )

    async def aclose(self) -> None:
        await self._connection.aclose()


@functools.lru_cache(maxsize=4096)
def event_keys(event_id: str, names: tuple[str, ...]) -> tuple[str, ...]:
    """The keys ``names`` of one event, in order (built once per event and script)."""
    keys = EventKeys(event_id)
    return tuple(getattr(keys, name) for name in names)


class _Script:
    """A shop script with the keys its header names. The request's Idempotency-Key record
    (``EventKeys.idempotency(buyer, key)``, last, optional where the header says
    ``idempotency?``) is the one key a caller passes; the others are the event's."""

    def __init__(
        self,
        redis: Redis,
        name: str,
        keys: Sequence[str],
        argv: Sequence[str],
        preludes: Sequence[Prelude] = (),
    ) -> None:
        self.run = LuaScript(redis, PACKAGE, name, keys, argv, ("prelude", *preludes))
        self.fixed_keys = tuple(key for key in keys if key.rstrip("?") != "idempotency")

    def keys(self, event_id: str, idempotency_key: str | None) -> tuple[str, ...]:
        keys = event_keys(event_id, self.fixed_keys)
        return keys if idempotency_key is None else (*keys, idempotency_key)


@dataclass(frozen=True, slots=True)
class ScriptCall:
    """One script call, to send with others in one batch (:meth:`SaleScripts.together`)."""

    script: _Script
    event_id: str
    args: Sequence[EncodableT]
    idempotency_key: str | None = None

    @property
    def name(self) -> str:
        return self.script.run.name


AnswerObserver = Callable[[ScriptCall, Answer, float], None]
"""Sees each script's answer with the call and when it was sent (``time.monotonic``)."""


class SaleScripts:
    """The shop's scripts bound to one client (one per process)."""

    def __init__(
        self,
        redis: Redis,
        batcher: CommandBatcher | None = None,
        observer: AnswerObserver | None = None,
    ) -> None:
        self.batcher = batcher or CommandBatcher(redis)
        self._observer = observer
        self._hold = _Script(redis, "hold", HOLD_KEYS, ("hold_id", "hold", "ttl_ms", "buyer_limit"))
        self._release = _Script(redis, "release", HOLD_KEYS, ("mode", "target", "buyer"))
        self._begin_checkout = _Script(
            redis, "begin_checkout", (*PAYMENT_KEYS, "payments", "record_log", "idempotency"),
            ("body_sha256", "idempotency_ttl_seconds", "hold_id", "buyer", "payment_id",
             "payment", "hold", "ttl_ms", "buyer_limit"),
        )
        self._confirm = _Script(
            redis, "confirm",
            (*PAYMENT_KEYS, "orders", "tickets", "buyer_orders", "short_codes", "ticket_details",
             "ticket_changes", "mail_outbox", "mail_messages", "idempotency?"),
            ("payment_id", "hold_id", "order_id", "order", "idempotency_ttl_seconds", "response",
             "mail_id", "mail_payload", "tickets..."),
            (ENQUEUE_PRELUDE,),
        )
        self._settle_payment = _Script(
            redis, "settle_payment", (*PAYMENT_KEYS, "idempotency?"),
            ("payment_id", "hold_id", "status", "release_hold", "idempotency", "answer_status",
             "answer_body", "idempotency_ttl_seconds"),
        )
        self._refund = _Script(
            redis, "refund",
            ("stock", "seats", "buyers", "orders", "tickets", "refunds", "refunds_pending",
             "ticket_changes"),
            ("order_id", "refund_id", "now_seconds", "ticket_ids..."),
        )
        self._scan = _Script(
            redis, "scan", ("tickets", "ticket_details", "entries", "ticket_changes"),
            ("ticket_id", "scan_id", "scanned_at_ms", "door", "device", "decision"),
        )
        self._define_event = _Script(
            redis, "define_event", ("stock", "seats", "catalog"),
            ("catalog", "tier_count", "tiers..."),
        )
        self._stock_snapshot = _Script(
            redis,
            "stock_snapshot",
            ("stock", "hold_expiry", "record_log"),
            ("records_known", "max_records"),
        )
        self._register_tickets = _Script(
            redis, "register_tickets", ("short_codes", "ticket_details", "ticket_changes"),
            ("tickets...",),
        )

    async def together(self, calls: Sequence[ScriptCall]) -> list[Answer]:
        """Several script calls in one batch, in order (each atomic on its own)."""
        sent_at = time.monotonic()
        raw = await self.batcher.call_together(
            [
                BatchedCall.of_script(
                    call.script.run,
                    call.script.keys(call.event_id, call.idempotency_key),
                    call.args,
                )
                for call in calls
            ]
        )
        answers = [tuple(decode(item) for item in reply) for reply in raw]
        if self._observer is not None:
            for call, answer in zip(calls, answers, strict=True):
                self._observer(call, answer, sent_at)
        return answers

    async def _one(
        self,
        script: _Script,
        event_id: str,
        args: Sequence[EncodableT],
        idempotency_key: str | None = None,
    ) -> Answer:
        (answer,) = await self.together([ScriptCall(script, event_id, args, idempotency_key)])
        return answer

    # -- holds -----------------------------------------------------------------------------
    def hold_call(
        self, event_id: str, hold_id: str, hold_json: bytes, ttl_ms: int, buyer_limit: int
    ) -> ScriptCall:
        """``hold.lua``: {'ok', expires_at_ms} | {'sold_out', tier_id, remaining} | ..."""
        return ScriptCall(self._hold, event_id, [hold_id, hold_json, ttl_ms, buyer_limit])

    async def hold(
        self, event_id: str, hold_id: str, hold_json: bytes, ttl_ms: int, buyer_limit: int
    ) -> Answer:
        (answer,) = await self.together(
            [self.hold_call(event_id, hold_id, hold_json, ttl_ms, buyer_limit)]
        )
        return answer

    async def release_expired(self, event_id: str, max_count: int) -> int:
        """``release.lua`` sweep: how many expired holds went back to stock."""
        answer = await self._one(self._release, event_id, ["expired", max_count])
        return int(answer[1])

    async def release_hold(self, event_id: str, hold_id: str, buyer: str) -> str:
        """``release.lua`` cancel: 'ok', 'missing' or 'paying'."""
        return (await self._one(self._release, event_id, ["cancel", hold_id, buyer]))[0]

    # -- payments --------------------------------------------------------------------------
    async def begin_checkout(
        self,
        event_id: str,
        idempotency_key: str,
        body_sha256: str,
        idempotency_ttl_seconds: int,
        *,
        hold_id: str,
        buyer: str,
        payment_id: str,
        payment_json: bytes,
        express_hold: tuple[bytes, int, int] | None = None,
    ) -> Answer:
        """``begin_checkout.lua``: claims the Idempotency-Key, creates an express checkout's
        hold (``express_hold``: hold JSON, ttl ms, buyer limit) and records the payment intent,
        in one step (``payment_json`` empty: the caller found no hold, only the key's record
        can answer). {'ok', hold_json, expires_at_ms} | {'mismatch'} | {'busy'} | {'replay',
        status, body} | a hold refusal (``hold.lua``'s) | {'gone'} | {'paying', payment_id}."""
        hold_json, ttl_ms, buyer_limit = express_hold or (b"", 0, 0)
        args: list[EncodableT] = [
            body_sha256, idempotency_ttl_seconds, hold_id, buyer, payment_id, payment_json,
            hold_json, ttl_ms, buyer_limit,
        ]
        return await self._one(self._begin_checkout, event_id, args, idempotency_key)

    async def confirm(
        self,
        event_id: str,
        payment_id: str,
        hold_id: str,
        order_id: str,
        order_json: bytes,
        idempotency_ttl_seconds: int,
        response: bytes,
        tickets: Sequence[str | bytes],
        idempotency_key: str | None = None,
        mail: tuple[str, bytes] | None = None,
    ) -> Answer:
        """``confirm.lua`` (``tickets``: ticket id, seat, short code, details per ticket;
        ``mail``: the tickets e-mail's message id and payload, queued in the event's outbox in
        the same step as the order, or None to queue nothing): {'ok', time_us} (the sale Redis
        time of the sale, as stock reports are versioned) | {'done', order_id} |
        {'state', status} | {'expired'} | {'collision', code}."""
        mail_id, mail_payload = mail or ("", b"")
        args: list[EncodableT] = [
            payment_id, hold_id, order_id, order_json, idempotency_ttl_seconds, response,
            mail_id, mail_payload, *tickets,
        ]
        return await self._one(self._confirm, event_id, args, idempotency_key)

    async def settle_payment(
        self,
        event_id: str,
        payment_id: str,
        hold_id: str,
        status: str,
        release_hold: bool,
        idempotency: Sequence[EncodableT],
        idempotency_key: str | None = None,
    ) -> Answer:
        """``settle_payment.lua`` (``idempotency``: 'store', status, body, ttl | 'forget' |
        'keep'): {'ok'} | {'state', status}."""
        args: list[EncodableT] = [payment_id, hold_id, status, "1" if release_hold else "0"]
        args += idempotency
        return await self._one(self._settle_payment, event_id, args, idempotency_key)

    # -- orders, tickets ---------------------------------------------------------------------
    async def refund(
        self,
        event_id: str,
        order_id: str,
        refund_id: str,
        now_seconds: int,
        ticket_ids: Sequence[str],
    ) -> Answer:
        """``refund.lua``: {'ok', amount_minor, refund_json} | {'missing'} | {'ticket', id,
        state} | {'nothing'}."""
        args: list[EncodableT] = [order_id, refund_id, now_seconds, *ticket_ids]
        return await self._one(self._refund, event_id, args)

    async def scan(
        self,
        event_id: str,
        ticket_id: str,
        scan_id: str,
        scanned_at_ms: int | str,
        door: str,
        device: str,
        decision: str,
    ) -> ScanAnswer:
        args: list[EncodableT] = [ticket_id, scan_id, scanned_at_ms, door, device, decision]
        return ScanAnswer(*await self._one(self._scan, event_id, args))

    async def register_tickets(self, event_id: str, tickets: Sequence[str | bytes]) -> Answer:
        """``register_tickets.lua`` (``tickets``: ticket id, short code, details per ticket):
        {'ok', registered_count} | {'collision', short_code}."""
        return await self._one(self._register_tickets, event_id, list(tickets))

    # -- catalog and stock -------------------------------------------------------------------
    async def define_event(
        self,
        event_id: str,
        catalog_json: bytes,
        tiers: Sequence[tuple[str, int]],
        seat_ids: Sequence[str],
    ) -> Answer:
        """``define_event.lua``: {'ok'} | {'capacity', tier_id}."""
        args: list[EncodableT] = [catalog_json, len(tiers)]
        for tier_id, capacity in tiers:
            args += [tier_id, capacity]
        args += seat_ids
        return await self._one(self._define_event, event_id, args)

    async def stock_snapshot(
        self, event_id: str, records_known: int | None = None
    ) -> StockSnapshot:
        """``stock_snapshot.lua``: the stock hash with the Redis time of the read and the
        earliest hold expiry; with ``records_known``, the entries of the event's record log
        past that many (at most ``MAX_RECORDS_PER_READ``)."""
        raw = await self._one(self._stock_snapshot, event_id, _snapshot_args(records_known))
        return _snapshot(raw, records_known)

    def snapshots_on(self, connection: CallbackConnection) -> CallbackSnapshots:
        """The stock view's reads of ``stock_snapshot.lua`` on a connection of their own."""
        return CallbackSnapshots(connection, self._stock_snapshot)
