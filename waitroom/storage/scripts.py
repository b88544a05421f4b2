"""Every Lua script of the waiting room, one typed method each: the one place that builds their
KEYS and ARGV.

Each method names the keys it passes (``QueueKeys`` properties, the names the script's header
declares: :class:`service_kit.lua.LuaScript` refuses a script whose header names others) and
turns the script's answer into a typed reply (:mod:`waitroom.storage.script_replies`). Scripts
run with EVALSHA, loaded again once when Redis answers NOSCRIPT. The admission engine's scripts
share the first twelve keys and two arguments (``engine.lua``). Joins of a queue go together in
one call (:class:`JoinBatches`); claims and ends of site sessions that arrive together go in
one pipeline (:class:`~service_kit.command_batches.CommandBatcher`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.typing import EncodableT

from service_kit.command_batches import CommandBatcher
from service_kit.lua import LuaScript
from service_kit.mail_outbox import ENQUEUE_PRELUDE
from waitroom.storage.join_batches import JoinBatches
from waitroom.storage.keys import QueueKeys
from waitroom.storage.script_replies import (
    AwayReply,
    JoinLimited,
    JoinLimits,
    JoinReply,
    PassReply,
    RedeemReply,
    SessionReply,
    StockReply,
    ViewReply,
)

PACKAGE = "waitroom.storage"
ENGINE_PRELUDES = ("engine", "abandonment", "advance")
ENGINE_KEYS = (
    "config",
    "counters",
    "visitors",
    "prequeue",
    "heartbeats",
    "heartbeats_b",
    "left",
    "skipped",
    "abandoned_total",
    "active_sessions",
    "away",
    "returned",
)
ENGINE_ARGV = ("default_burst", "queue_id")
STOCK_KEYS = (
    "stock",
    "stock_events",
    "sales_per_minute",
    "stock_removed",
    "waitlist",
    "waitlist_offers",
)
WAITLIST_KEYS = ("waitlist_entries", "mail_outbox", "mail_messages", "passes_issued")


@functools.lru_cache(maxsize=4096)
def engine_keys(queue_id: str) -> tuple[str, ...]:
    """The engine's keys of one queue, in ``ENGINE_KEYS`` order (built once per queue)."""
    keys = QueueKeys(queue_id)
    return tuple(getattr(keys, name) for name in ENGINE_KEYS)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _engine_script(redis: Redis, name: str, keys: Sequence[str], argv: Sequence[str]) -> LuaScript:
    return LuaScript(
        redis, PACKAGE, name, (*ENGINE_KEYS, *keys), (*ENGINE_ARGV, *argv), ENGINE_PRELUDES
    )


class QueueScripts:
    """The waiting room's scripts bound to one client (one per process)."""

    def __init__(self, redis: Redis, default_burst: int) -> None:
        self.redis = redis
        self.default_burst = default_burst
        self._view = _engine_script(redis, "view", ("stock",), ())
        self._join = _engine_script(redis, "join", ("join_limit...",), ("joins...",))
        self._join_batches = JoinBatches(self._send_joins)
        # a site's claims and ends (many at once at a sale's peak) go to Redis in pipelines
        self._sessions = CommandBatcher(redis)
        self._configure = _engine_script(redis, "configure", (), ("epoch", "fields..."))
        self._heartbeat = _engine_script(redis, "heartbeat", (), ("positions...",))
        stock_preludes = (*ENGINE_PRELUDES, "stock_state")
        self._stock_report = LuaScript(
            redis, PACKAGE, "stock_report", (*ENGINE_KEYS, *STOCK_KEYS),
            (*ENGINE_ARGV, "event_id", "figures", "version", "now_seconds", "sales_ttl_seconds",
             "sales..."),
            stock_preludes,
        )
        self._stock_remove = LuaScript(
            redis, PACKAGE, "stock_remove", (*ENGINE_KEYS, *STOCK_KEYS),
            (*ENGINE_ARGV, "event_id", "now_seconds"), stock_preludes,
        )
        self._waitlist_offer = LuaScript(
            redis, PACKAGE, "waitlist_offer",
            (*ENGINE_KEYS, *STOCK_KEYS, *WAITLIST_KEYS, "pass_record..."),
            (*ENGINE_ARGV, "now_seconds", "offer_seconds", "keep_seconds", "limit", "visitors..."),
            (*stock_preludes, ENQUEUE_PRELUDE),
        )
        self._your_turn_due = LuaScript(
            redis, PACKAGE, "your_turn_due",
            ("counters", "your_turn", "your_turn_mail", "mail_outbox", "mail_messages"),
            ("limit", "queue_id"), (ENQUEUE_PRELUDE,),
        )
        self._restore = LuaScript(
            redis, PACKAGE, "restore", ("config", "counters", "alerts"),
            ("epoch", "tail", "serving", "opened", "source", "pause_reason", "config..."),
        )
        self._leave = LuaScript(
            redis, PACKAGE, "leave", ("visitors", "left", "prequeue", "profile?"), ("visitor_id",)
        )
        self._away_return = LuaScript(
            redis, PACKAGE, "away_return", ("config", "skipped", "away", "returned"),
            ("position", "default_grace_seconds"),
        )
        self._pass_issue = LuaScript(
            redis, PACKAGE, "pass_issue", ("pass_record", "passes_issued", "counters", "skipped"),
            ("position", "visitor_id", "now_seconds", "pass_ttl_seconds", "keep_seconds"),
        )
        self._session_claim = LuaScript(
            redis, PACKAGE, "session_claim", ("pass_record", "active_sessions", "config"),
            ("pass_id", "session_id", "pass_expires_at", "now_seconds", "leeway_seconds",
             "keep_seconds"),
        )
        self._session_extend = LuaScript(
            redis, PACKAGE, "session_extend", ("pass_record", "active_sessions"),
            ("pass_id", "until_seconds", "now_seconds", "session_max_seconds", "keep_seconds"),
        )
        self._session_end = LuaScript(
            redis, PACKAGE, "session_end", ("pass_record", "active_sessions"),
            ("pass_id", "reason", "now_seconds", "keep_seconds"),
        )
        self._redeem = LuaScript(
            redis, PACKAGE, "redeem", ("code", "code_redeemers", "lanes", "counters", "config"),
            ("visitor_id", "now_seconds"),
        )
        self._survey_answer = LuaScript(
            redis, PACKAGE, "survey_answer", ("survey_answers", "survey_counts", "survey_texts..."),
            ("visitor_id", "answers", "count_field_count", "fields..."),
        )

    def _engine_args(self, queue_id: str) -> list[EncodableT]:
        return [self.default_burst, queue_id]

    # -- admission engine ----------------------------------------------------------------
    async def view(self, queue_id: str) -> ViewReply | None:
        """Settle the pointer and read the queue; None when there is no such queue."""
        keys = (*engine_keys(queue_id), QueueKeys(queue_id).stock)
        raw = await self._view(keys, self._engine_args(queue_id))
        if not raw:
            return None
        pairs = [_text(item) for item in raw[6]]
        return ViewReply(
            serving=int(raw[0]),
            tail=int(raw[1]),
            epoch=int(raw[2]),
            redis_now_ms=int(raw[3]),
            opened=int(raw[4]) == 1,
            prequeue_length=int(raw[5]),
            config=dict(zip(pairs[0::2], pairs[1::2], strict=True)),
            remaining_total=None if len(raw) < 8 or raw[7] is None else _text(raw[7]),
            admitted_total=int(raw[8]) if len(raw) > 8 else 0,
        )

    async def join(
        self, queue_id: str, visitor_id: str, limits: JoinLimits | None = None
    ) -> JoinReply | JoinLimited:
        """One place per visitor, within the client's join limits (None: not limited). Joins
        of one queue share script calls (:mod:`waitroom.storage.join_batches`)."""
        raw = await self._join_batches.join(queue_id, visitor_id, limits)
        outcome = _text(raw[0])
        if outcome == "limited":
            return JoinLimited(_text(raw[1]), int(raw[2]))
        return JoinReply(
            outcome,
            int(raw[1]),
            int(raw[2]),
            _text(raw[3]),
            int(raw[4]),
            int(raw[5]),
            int(raw[6]) == 1,
            int(raw[7]),
        )

    async def _send_joins(
        self, queue_id: str, windows: Sequence[str], joins: Sequence[EncodableT]
    ) -> Any:
        keys = (*engine_keys(queue_id), *windows)
        return await self._join(keys, [self.default_burst, queue_id, *joins])

    async def configure(self, queue_id: str, epoch: int, fields: Mapping[str, str]) -> bool:
        """Create or update a queue (fields of its config hash); True when it was created."""
        args = [*self._engine_args(queue_id), epoch]
        for name, value in fields.items():
            args += [name, value]
        return bool(int(await self._configure(engine_keys(queue_id), args)))

    async def heartbeat(self, queue_id: str, positions: Sequence[int]) -> int:
        """Mark places as live in the current window; returns how many were marked."""
        args = [*self._engine_args(queue_id), *positions]
        return int(await self._heartbeat(engine_keys(queue_id), args))

    # -- stock -----------------------------------------------------------------------------
    def _stock_keys(self, queue_id: str) -> tuple[str, ...]:
        keys = QueueKeys(queue_id)
        return (*engine_keys(queue_id), *(getattr(keys, name) for name in STOCK_KEYS))

    async def stock_report(
        self,
        queue_id: str,
        event_id: str,
        figures_json: bytes,
        version: int | None,
        now_seconds: float,
        sales_ttl_seconds: int,
        sold_by_minute: Sequence[tuple[int, int]],
    ) -> StockReply:
        args: list[EncodableT] = [
            *self._engine_args(queue_id),
            event_id,
            figures_json,
            -1 if version is None else version,
            round(now_seconds, 3),
            sales_ttl_seconds,
        ]
        for minute, count in sold_by_minute:
            args += [minute, count]
        raw = [_text(item) for item in await self._stock_report(self._stock_keys(queue_id), args)]
        if raw[0] != "ok":
            return StockReply(raw[0])
        return StockReply(raw[0], raw[1], int(raw[2]), raw[3] == "1", raw[4] == "1")

    async def stock_remove(self, queue_id: str, event_id: str, now_seconds: float) -> StockReply:
        args = [*self._engine_args(queue_id), event_id, round(now_seconds, 3)]
        raw = [_text(item) for item in await self._stock_remove(self._stock_keys(queue_id), args)]
        if raw[0] != "ok":
            return StockReply(raw[0])
        return StockReply(raw[0], raw[1], int(raw[2]), raw[3] == "1", raw[4] == "1")

    # -- state guard, leaving ----------------------------------------------------------------
    # -- e-mail: your turn and the waiting list -------------------------------------------
    async def your_turn_due(self, queue_id: str, limit: int) -> int:
        """Moves the opted-in fans whose place was reached into the outbox; how many."""
        keys = QueueKeys(queue_id)
        names = (keys.counters, keys.your_turn, keys.your_turn_mail, keys.mail_outbox,
                 keys.mail_messages)
        return int(await self._your_turn_due(names, [limit, queue_id]))

    async def waitlist_offer(
        self,
        queue_id: str,
        pass_ids: Mapping[str, str],
        now_seconds: float,
        offer_seconds: int,
        keep_seconds: int,
        limit: int,
    ) -> tuple[int, int, int, bool]:
        """Settles the waiting list's offers and makes new ones (``pass_ids``: visitor id ->
        pass id of the fans the step may touch); (offered, lapsed, outstanding, reopened)."""
        keys = QueueKeys(queue_id)
        visitors = list(pass_ids)
        names = (
            *self._stock_keys(queue_id),
            *(getattr(keys, name) for name in WAITLIST_KEYS),
            *(keys.pass_record(pass_ids[visitor]) for visitor in visitors),
        )
        args = [*self._engine_args(queue_id), round(now_seconds, 3), offer_seconds,
                keep_seconds, limit, *visitors]
        raw = await self._waitlist_offer(names, args)
        return int(raw[0]), int(raw[1]), int(raw[2]), int(raw[3]) == 1

    async def restore(
        self,
        queue_id: str,
        epoch: int,
        tail: int,
        serving: int,
        opened: bool,
        source: str,
        pause_reason: str,
        config: Mapping[str, str],
    ) -> bool:
        """Put back what a witness proves and pause the queue; True when something was lost."""
        keys = QueueKeys(queue_id)
        args: list[EncodableT] = [epoch, tail, serving, 1 if opened else 0, source, pause_reason]
        for name, value in config.items():
            args += [name, value]
        raw = await self._restore((keys.config, keys.counters, keys.alerts), args)
        return bool(int(raw))

    async def leave(self, queue_id: str, visitor_id: str, keep_profile: bool) -> int:
        """The position given up (0 from the pre-queue), -1 when the visitor held no place."""
        keys = QueueKeys(queue_id)
        names: tuple[str, ...] = (keys.visitors, keys.left, keys.prequeue)
        if not keep_profile:
            names = (*names, keys.profile(visitor_id))
        return int(await self._leave(names, [visitor_id]))

    async def away_return(
        self, queue_id: str, position: int, default_grace_seconds: int
    ) -> AwayReply:
        """A place below the pointer: admitted, skipped but back within the grace, or expired."""
        keys = QueueKeys(queue_id)
        raw = await self._away_return(
            (keys.config, keys.skipped, keys.away, keys.returned),
            [position, default_grace_seconds],
        )
        return AwayReply(_text(raw[0]), int(raw[1]))

    # -- passes and site sessions ----------------------------------------------------------
    async def pass_issue(
        self,
        queue_id: str,
        pass_id: str,
        position: int,
        visitor_id: str,
        now_seconds: float,
        pass_ttl_seconds: int,
        keep_seconds: int,
    ) -> PassReply:
        keys = QueueKeys(queue_id)
        args: list[EncodableT] = [
            position, visitor_id, int(now_seconds), pass_ttl_seconds, keep_seconds
        ]
        raw = await self._pass_issue(
            (keys.pass_record(pass_id), keys.passes_issued, keys.counters, keys.skipped), args
        )
        found = [_text(item) for item in raw]
        return PassReply(int(found[0]), found[1], int(found[2]), found[3])

    async def session_claim(
        self,
        queue_id: str,
        pass_id: str,
        session_id: str,
        pass_expires_at: int,
        now_seconds: float,
        leeway_seconds: int,
        keep_seconds: int,
    ) -> SessionReply:
        keys = QueueKeys(queue_id)
        args: list[EncodableT] = [
            pass_id, session_id, pass_expires_at, int(now_seconds), leeway_seconds, keep_seconds
        ]
        session_keys = (keys.pass_record(pass_id), keys.active_sessions, keys.config)
        raw = await self._sessions.call(self._session_claim, session_keys, args)
        return _session_reply(raw)

    async def session_extend(
        self,
        queue_id: str,
        pass_id: str,
        until_seconds: int,
        now_seconds: float,
        session_max_seconds: int,
        keep_seconds: int,
    ) -> SessionReply:
        keys = QueueKeys(queue_id)
        args: list[EncodableT] = [
            pass_id, until_seconds, int(now_seconds), session_max_seconds, keep_seconds
        ]
        raw = await self._session_extend((keys.pass_record(pass_id), keys.active_sessions), args)
        return _session_reply(raw)

    async def session_end(
        self,
        queue_id: str,
        pass_id: str,
        reason: str,
        now_seconds: float,
        keep_seconds: int,
        stock: tuple[str, int] | None = None,
    ) -> SessionReply:
        """``session_end.lua``; ``stock``: (event id, stock version) of a purchase."""
        keys = QueueKeys(queue_id)
        args: list[EncodableT] = [pass_id, reason, round(now_seconds, 3), keep_seconds]
        if stock is not None:
            args += list(stock)
        raw = await self._sessions.call(
            self._session_end, (keys.pass_record(pass_id), keys.active_sessions), args
        )
        return _session_reply(raw)

    # -- codes, surveys ----------------------------------------------------------------------
    async def redeem(
        self, queue_id: str, code_id: str, visitor_id: str, now_seconds: float
    ) -> RedeemReply:
        keys = QueueKeys(queue_id)
        raw = await self._redeem(
            (
                keys.code(code_id),
                keys.code_redeemers(code_id),
                keys.lanes,
                keys.counters,
                keys.config,
            ),
            [visitor_id, int(now_seconds)],
        )
        return RedeemReply(_text(raw[0]), _text(raw[1]), int(raw[2]), int(raw[3]))

    async def survey_answer(
        self,
        queue_id: str,
        survey_id: str,
        visitor_id: str,
        answers_json: str,
        count_fields: Sequence[str],
        texts: Sequence[tuple[str, str]],
        texts_kept: int,
    ) -> bool:
        """Record a fan's answers once (``texts``: question id, text); False when the fan had
        already answered."""
        keys = QueueKeys(queue_id)
        names = (
            keys.survey_answers(survey_id),
            keys.survey_counts(survey_id),
            *(keys.survey_texts(survey_id, question_id) for question_id, _ in texts),
        )
        args: list[EncodableT] = [visitor_id, answers_json, len(count_fields), *count_fields]
        args += [*(text for _, text in texts), texts_kept]
        return bool(int(await self._survey_answer(names, args)))


def _session_reply(raw: Sequence[Any]) -> SessionReply:
    outcome, deadline, reason = (_text(item) for item in raw)
    return SessionReply(outcome, int(deadline), reason)
