"""The waiting room's record of each pass and the site session it became (contract 2-4, 6).

One hash per pass, ``wr:{q:<id>}:pass:<pass id>``: ``exp`` (fixed at the first issuance for
the place), ``position``, ``visitor``, ``state`` (``issued``, ``active``, ``ended``),
``session``, ``claimed_at``, ``deadline`` and ``reason``. Live sessions are the sorted set
``active_sessions`` (pass id -> deadline) that the admission script counts for
``active_shopper_cap``: a claim adds, an extension moves, an end removes at once. The bitmap
``passes_issued`` (one bit per position) remembers that a place had its pass after the record
itself expired, so no place is ever issued a second pass.

Domain code: raises the connector's errors (:mod:`waitroom.connector.errors`), knows no HTTP.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from waitroom.connector.errors import (
    PassEnded,
    PassExpired,
    PassInUse,
    SessionEnded,
    SessionExpired,
    SessionNotFound,
)
from waitroom.connector.passes import PassClaims
from waitroom.connector.stock_mark import StockMark
from waitroom.errors import QueueNotFound
from waitroom.settings import Settings
from waitroom.storage.keys import QueueKeys
from waitroom.storage.scripts import QueueScripts

RECORD_KEEP_SECONDS = 24 * 3600
"""How long a pass record outlives its pass or session (the queue page's "closed" reason)."""
END_REASONS = ("purchase_completed", "session_ended")
PASS_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SESSION_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_CACHED_RECORDS = 100_000


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass(frozen=True, slots=True)
class PassRecord:
    """What became of a place's pass, as the status endpoint needs it."""

    expires_at: int
    state: str
    """``issued``, ``active``, ``ended``, ``lost`` (record expired long ago) or
    ``not_admitted`` (the serving pointer in Redis is below the place: no pass) or ``skipped``
    (passed while its fan was away: no pass until readmitted, ``waitroom/queue/away.py``)."""
    deadline: int
    reason: str

    def closed_reason(self, now_seconds: float) -> str | None:
        """Why the place is done (``purchase_completed``, ``pass_expired``,
        ``session_ended``), or None while its pass or session is still good."""
        if self.state == "ended":
            return self.reason or "session_ended"
        if self.state == "lost":
            return "pass_expired"
        if self.state == "active":
            return "pass_expired" if now_seconds >= self.deadline else None
        return "pass_expired" if now_seconds >= self.expires_at else None


@dataclass(frozen=True, slots=True)
class Claimed:
    deadline: int
    created: bool


@dataclass(frozen=True, slots=True)
class SessionView:
    state: str
    """``active``, ``ended`` or ``expired``."""
    deadline: int
    reason: str
    session_id: str = ""
    """The site session the pass is bound to (the claim's ``session_id``)."""


class SiteSessions:
    def __init__(self, scripts: QueueScripts, settings: Settings) -> None:
        self.scripts = scripts
        self.redis = scripts.redis
        self.pass_ttl_seconds = settings.pass_ttl_seconds
        self.session_max_seconds = settings.session_max_seconds
        self.clock_leeway_seconds = settings.clock_leeway_seconds
        self.cache_seconds = settings.queue_view_refresh_seconds
        self._records: dict[str, tuple[float, PassRecord]] = {}
        """Recent records by pass id: an admitted fan who keeps polling costs Redis one plain
        read per refresh interval, like the queue view (a claim, extension or end on this
        process forgets the entry at once; another process's change shows within the
        interval)."""

    async def issue(
        self, queue_id: str, pass_id: str, position: int, visitor_id: str, now_seconds: float
    ) -> PassRecord:
        """The place's pass record, created (with its fixed expiry) on the first call."""
        cached = self._records.get(pass_id)
        if cached is not None and time.monotonic() - cached[0] < self.cache_seconds:
            return cached[1]
        values = await self.redis.hmget(
            QueueKeys(queue_id).pass_record(pass_id), ["exp", "state", "deadline", "reason"]
        )
        if values[0] is not None:
            found = [_text(value) if value is not None else "" for value in values]
            record = PassRecord(int(found[0]), found[1] or "issued", int(found[2] or 0), found[3])
            return self._remember(pass_id, record)
        reply = await self.scripts.pass_issue(
            queue_id,
            pass_id,
            position,
            visitor_id,
            now_seconds,
            self.pass_ttl_seconds,
            RECORD_KEEP_SECONDS,
        )
        record = PassRecord(reply.expires_at, reply.state, reply.deadline, reply.reason)
        if record.state in {"not_admitted", "skipped"}:
            # not remembered: the pointer reaches the place later, or the fan is readmitted
            return record
        return self._remember(pass_id, record)

    def _remember(self, pass_id: str, record: PassRecord) -> PassRecord:
        if len(self._records) >= MAX_CACHED_RECORDS:
            self._records.clear()
        self._records[pass_id] = (time.monotonic(), record)
        return record

    async def claim(self, claims: PassClaims, session_id: str, now_seconds: float) -> Claimed:
        """Bind a verified pass to ``session_id``. Raises PassInUse, PassEnded, PassExpired
        or QueueNotFound."""
        self._records.pop(claims.pass_id, None)
        outcome, deadline, reason = await self.scripts.session_claim(
            claims.queue_id,
            claims.pass_id,
            session_id,
            claims.expires_at,
            now_seconds,
            self.clock_leeway_seconds,
            RECORD_KEEP_SECONDS,
        )
        self._records.pop(claims.pass_id, None)  # a poll may have cached the old state meanwhile
        if outcome == "missing":
            raise QueueNotFound(claims.queue_id)
        if outcome == "in_use":
            raise PassInUse("this pass is already in use in another browser session or app")
        if outcome == "ended":
            raise PassEnded("this pass was used up: join the queue again", closed_reason=reason)
        if outcome == "expired":
            raise PassExpired("the pass has expired: join the queue again")
        return Claimed(deadline, outcome == "claimed")

    async def view(self, queue_id: str, pass_id: str, now_seconds: float) -> SessionView:
        """The state of a claimed pass's session; SessionNotFound when never claimed."""
        values = await self.redis.hmget(
            QueueKeys(queue_id).pass_record(pass_id), ["state", "deadline", "reason", "session"]
        )
        state, deadline, reason, session = (
            None if value is None else _text(value) for value in values
        )
        session_id = session or ""
        if state == "ended":
            return SessionView("ended", int(deadline or 0), reason or "session_ended", session_id)
        if state != "active":
            raise SessionNotFound("no session was started with this pass")
        deadline_seconds = int(deadline or 0)
        if now_seconds >= deadline_seconds:
            return SessionView("expired", deadline_seconds, "pass_expired", session_id)
        return SessionView("active", deadline_seconds, "", session_id)

    async def extend(self, queue_id: str, pass_id: str, until: int, now_seconds: float) -> int:
        """The granted deadline (at most the session maximum after the claim, never earlier
        than now). Raises SessionEnded, SessionExpired or SessionNotFound."""
        self._records.pop(pass_id, None)
        outcome, deadline, reason = await self.scripts.session_extend(
            queue_id, pass_id, until, now_seconds, self.session_max_seconds, RECORD_KEEP_SECONDS
        )
        self._records.pop(pass_id, None)
        if outcome == "ended":
            raise SessionEnded("the session has ended", closed_reason=reason)
        if outcome == "expired":
            raise SessionExpired("the session's deadline has passed", deadline=deadline)
        if outcome == "missing":
            raise SessionNotFound("no session was started with this pass")
        return deadline

    async def end(
        self,
        queue_id: str,
        pass_id: str,
        reason: str,
        now_seconds: float,
        stock: StockMark | None = None,
    ) -> bool:
        """End the session for good; True when this call ended it. Idempotent. ``stock``:
        where a purchase stands in its event's stock reports (the waiting list holds an
        offered ticket until a report past it, :mod:`waitroom.queue.waitlist`)."""
        self._records.pop(pass_id, None)
        ended = await self.scripts.session_end(
            queue_id,
            pass_id,
            reason,
            now_seconds,
            RECORD_KEEP_SECONDS,
            None if stock is None else (stock.event_id, stock.version),
        )
        outcome = ended.outcome
        self._records.pop(pass_id, None)
        if outcome == "missing":
            raise SessionNotFound("no pass with this id was issued or claimed")
        return outcome == "ended"

    async def visitor_of(self, queue_id: str, pass_id: str) -> str | None:
        """The visitor id a pass was issued to (never leaves the waiting room)."""
        value = await self.redis.hget(QueueKeys(queue_id).pass_record(pass_id), "visitor")
        return None if value is None else _text(value)
