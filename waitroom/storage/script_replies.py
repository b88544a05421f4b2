"""What the waiting room's Lua scripts answer, typed (built by :mod:`waitroom.storage.scripts`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class JoinWindow:
    """One join limit of a client: the moving window's key, joins allowed, window length."""

    key: str
    limit: int
    """Joins that made a place allowed per window (0: no limit)."""
    window_ms: int


@dataclass(frozen=True, slots=True)
class JoinLimits:
    """The windows a join from one client counts in (a rule that is off has limit 0)."""

    address: JoinWindow
    network: JoinWindow


class JoinReply(NamedTuple):
    """``join.lua``: the place and the queue as the join left it (immutable; one per join)."""

    outcome: str
    """``new``, ``existing``, ``prequeue``, ``prequeue_existing``, ``missing`` or the queue's
    state when it takes nobody (``closed``, ``sold_out``)."""
    position: int
    epoch: int
    state: str
    serving: int
    tail: int
    opened: bool
    redis_now_ms: int

    @property
    def is_new(self) -> bool:
        return self.outcome in {"new", "prequeue"}


class JoinLimited(NamedTuple):
    """``join.lua``: a join limit of the client is reached (nothing else happened)."""

    scope: str
    """``address`` or ``network``."""
    retry_after_ms: int


class AwayReply(NamedTuple):
    """``away_return.lua``: what became of a place the pointer passed."""

    outcome: str
    """``admitted`` (the pass may be issued), ``returning`` (back within the grace: admitted
    at the next admission step) or ``expired`` (away longer than the grace)."""
    ahead: int
    """For ``returning``: fans who came back before this one and wait for the same step."""


@dataclass(frozen=True, slots=True)
class ViewReply:
    """``view.lua``: one read of a queue (the pointer settled first)."""

    serving: int
    tail: int
    epoch: int
    redis_now_ms: int
    opened: bool
    prequeue_length: int
    config: dict[str, str]
    remaining_total: str | None
    admitted_total: int = 0
    """Live fans admitted so far (skipped places excluded): the ETA's measured outflow."""


@dataclass(frozen=True, slots=True)
class StockReply:
    """``stock_report.lua`` / ``stock_remove.lua``."""

    outcome: str
    """``ok``, ``missing`` (no queue) or ``removed`` (the event's reports are refused)."""
    state: str = ""
    remaining_total: int = 0
    changed: bool = False
    flag: bool = False
    """``stale`` of a report, ``removed`` (figures were taken away) of a removal."""


@dataclass(frozen=True, slots=True)
class PassReply:
    """``pass_issue.lua``: the pass record of a place."""

    expires_at: int
    state: str
    """``issued``, ``active``, ``ended``, ``lost``, ``not_admitted`` or ``skipped``."""
    deadline: int
    reason: str


class SessionReply(NamedTuple):
    """``session_claim.lua`` / ``session_extend.lua`` / ``session_end.lua``."""

    outcome: str
    deadline: int
    reason: str


@dataclass(frozen=True, slots=True)
class RedeemReply:
    """``redeem.lua``."""

    outcome: str
    kind: str
    priority_place: int
    uses: int
