"""What a fan is told: state, place, people ahead, ETA range and when to poll again.

The one place that decides a fan's state. Pure functions over a cached
:class:`~waitroom.queue.view.QueueView`; no I/O here:

- :func:`fan_state`: pre-queue, waiting, admitted, paused, sold out or closed, from the view;
- :func:`fan_status`: that state with the numbers a fan sees (``closed_reason`` ``queue_closed``
  for a closed queue);
- :func:`store_away_status`: the store cannot be read, fail closed: paused, the place kept;
- :func:`place_closed`: an admitted place that is done (its pass expired unused, its shopping
  session ended or ran out) is closed with that reason.

:func:`waitroom.fan.session.status` reads what these need (the view, the place's pass record);
:func:`waitroom.fan.status_body.status_body` turns the answer into the JSON body.
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING, NamedTuple

from waitroom.admission import FanState, QueueSnapshot, QueueState
from waitroom.queue.availability import PAUSED_FOR_FAULT_REASON

if TYPE_CHECKING:
    from waitroom.queue.view import QueueView

ETA_SPREAD_LATER = 0.2
"""The ETA range reaches 20 % past the point estimate (whole seconds, rounded outwards)."""
ETA_SPREAD_SOONER = 0.4
"""... and 40 % before it: the estimate counts every place ahead as a fan to admit, while
places of fans who left or went away are skipped free, and organizers raise the rate during a
sale more often than they lower it, so a wait ends sooner more often than later."""
QUEUE_CLOSED_REASON = "queue_closed"
"""``closed_reason`` of a queue the organizer closed (the other reasons end one place)."""
FINAL_POLL_FACTOR = 3
"""Closed and sold-out answers ask for a poll three times the longest interval."""


class FanStatus(NamedTuple):
    """Immutable; a named tuple because one is built for every status poll (cheapest to make)."""

    state: FanState
    position: int
    ahead: int
    eta_seconds: int | None
    eta_range_seconds: tuple[int, int] | None
    poll_after_ms: int
    serving: int
    queue_length: int
    opens_at: float
    pause_reason: str
    progress: float
    """Share of the way from joining to the front, 0..1 (place vs pointer at the last read)."""
    tickets_remaining: int | None = None
    """Tickets left over every event the queue fronts (a hint for fans), None when unknown."""
    stock_may_return: bool = False
    """Sold out by the site's stock reports (not by the organizer): tickets that come back
    (a cart runs out, a refund) reopen the queue, so the fan's page keeps polling."""
    closed_reason: str | None = None
    """Why a ``closed`` answer is closed: ``queue_closed`` (the whole queue), or
    ``purchase_completed``, ``pass_expired``, ``session_ended`` (this place is done)."""
    degraded: bool = False
    """True while the store is unreachable: the answer is a fail-closed pause."""
    away_grace_seconds: int | None = None
    """How long a place is kept while its fan is away (page closed, network down); None when
    the queue never skips absent fans (abandonment off)."""
    returning: bool = False
    """The fan's place was skipped while away and the fan came back within the grace: admitted
    at the next admission step (``ahead``: fans who came back before)."""


# Enum members as module globals: on a status poll every ``FanState.X`` would be a class
# attribute lookup through the enum's metaclass, ~10 times the cost of a global.
PREQUEUE, WAITING, ADMITTED = FanState.PREQUEUE, FanState.WAITING, FanState.ADMITTED
PAUSED, SOLD_OUT, CLOSED = FanState.PAUSED, FanState.SOLD_OUT, FanState.CLOSED
_QUEUE_PAUSED, _QUEUE_SOLD_OUT = QueueState.PAUSED, QueueState.SOLD_OUT
_QUEUE_CLOSED = QueueState.CLOSED


def fan_state(snapshot: QueueSnapshot, position: int) -> FanState:
    """The state of a fan at ``position`` (0: in the pre-queue) in a read of the queue."""
    config = snapshot.config
    queue_state = config.state
    if queue_state is _QUEUE_CLOSED:
        return CLOSED
    if queue_state is _QUEUE_SOLD_OUT:
        return SOLD_OUT
    if position <= 0:
        return PREQUEUE
    if position <= snapshot.serving:
        return ADMITTED
    if queue_state is _QUEUE_PAUSED or config.rate_per_minute == 0:
        return PAUSED
    return WAITING


def fan_status(
    view: QueueView,
    position: int,
    now_seconds: float,
    poll_min_ms: int,
    poll_max_ms: int,
    rng: random.Random | None = None,
) -> FanStatus:
    snapshot = view.snapshot
    config = snapshot.config
    serving = snapshot.serving
    state = fan_state(snapshot, position)
    jitter = poll_jitter(rng)
    eta: int | None = None
    eta_range: tuple[int, int] | None = None
    stock_may_return = False
    closed_reason: str | None = None
    if state is WAITING:
        # the commonest answer by far, first
        ahead = position - serving - 1
        outflow = view.outflow_per_second
        if outflow > 0:
            # the people ahead and the fan, at the measured outflow of admitted fans
            eta = math.ceil((ahead + 1) / outflow)
            eta_range = eta_range_of(eta)
        poll = waiting_poll_after_ms(eta, poll_min_ms, poll_max_ms, jitter)
        progress = serving / position  # waiting: 0 <= serving < position
    else:
        ahead = max(0, position - serving - 1) if position > 0 else snapshot.prequeue_length
        if state is ADMITTED:
            ahead, eta, poll = 0, 0, poll_max_ms
        elif state is PREQUEUE:
            until_open = config.opens_at - now_seconds
            if config.rate_per_minute > 0:
                average_wait = (snapshot.prequeue_length / 2) / (config.rate_per_minute / 60.0)
                waited = max(0.0, until_open)
                eta = math.ceil(waited + average_wait)
                eta_range = (math.ceil(waited), math.ceil(waited + 2 * average_wait))
            if until_open > 0:
                base = min(poll_max_ms, max(poll_min_ms, int(until_open * 1000 / 2)))
                poll = max(poll_min_ms // 2, int(base * jitter))
            else:
                poll = waiting_poll_after_ms(eta, poll_min_ms, poll_max_ms, jitter)
        elif state is PAUSED:
            # no ETA while paused: the longest interval
            poll = waiting_poll_after_ms(None, poll_min_ms, poll_max_ms, jitter)
        else:
            poll = poll_max_ms * FINAL_POLL_FACTOR
            if state is CLOSED:
                closed_reason = QUEUE_CLOSED_REASON
            elif config.sold_out_by_stock:
                # the site's stock reports sold it out: tickets that come back reopen the queue
                stock_may_return = True
                poll = max(poll_min_ms // 2, int(poll_max_ms * jitter))
        if state is ADMITTED:
            progress = 1.0
        elif position > 0 and serving > 0:
            progress = min(1.0, serving / position)
        else:
            progress = 0.0
    return FanStatus(
        state,
        position,
        ahead,
        eta,
        eta_range,
        poll,
        serving,
        snapshot.queue_length,
        config.opens_at,
        config.pause_reason,
        progress,
        snapshot.tickets_remaining,
        stock_may_return,
        closed_reason,
        away_grace_seconds=config.away_grace_seconds if config.abandon_after_seconds > 0 else None,
    )


def returning_status(admitted: FanStatus, ahead: int, poll_min_ms: int) -> FanStatus:
    """A fan back within the grace: waiting for the next admission step, at the front."""
    return admitted._replace(
        state=WAITING,
        ahead=ahead,
        eta_seconds=None,
        eta_range_seconds=None,
        poll_after_ms=poll_min_ms,
        progress=1.0,
        returning=True,
    )


def eta_range_of(eta_seconds: int) -> tuple[int, int]:
    """The range shown around a point estimate (the queue page's frame script does the same)."""
    return (
        math.floor(eta_seconds * (1 - ETA_SPREAD_SOONER)),
        math.ceil(eta_seconds * (1 + ETA_SPREAD_LATER)),
    )


def store_away_status(
    position: int, last_known: QueueSnapshot | None, poll_max_ms: int
) -> FanStatus:
    """Fail closed while the store cannot be read: nobody is admitted, the fan keeps the place
    the token proves, and hears the numbers of the last read (if any)."""
    serving = last_known.serving if last_known is not None else 0
    ahead = max(0, position - serving - 1) if position > 0 and last_known is not None else 0
    return FanStatus(
        PAUSED,
        position,
        ahead,
        None,
        None,
        poll_max_ms,
        serving,
        last_known.queue_length if last_known is not None else 0,
        last_known.config.opens_at if last_known is not None else 0.0,
        PAUSED_FOR_FAULT_REASON,
        min(1.0, serving / position) if position > 0 and serving > 0 else 0.0,
        degraded=True,
    )


def place_closed(admitted: FanStatus, closed_reason: str, poll_max_ms: int) -> FanStatus:
    """An admitted place that is done: closed with ``closed_reason``, no pass again."""
    return admitted._replace(
        state=CLOSED,
        poll_after_ms=poll_max_ms * FINAL_POLL_FACTOR,
        closed_reason=closed_reason,
    )


def waiting_poll_after_ms(
    eta_seconds: int | None, poll_min_ms: int, poll_max_ms: int, jitter: float
) -> int:
    """A tenth of the remaining wait, within the bounds: fans near the front see every move."""
    if eta_seconds is None:
        base = poll_max_ms
    else:
        # min(poll_max_ms, max(poll_min_ms, a tenth of the wait)), without the calls
        tenth_ms = eta_seconds * 100
        clamped = poll_min_ms if tenth_ms < poll_min_ms else tenth_ms
        base = poll_max_ms if clamped > poll_max_ms else clamped
    polled = int(base * jitter)
    return polled if polled > poll_min_ms // 2 else poll_min_ms // 2


def poll_jitter(rng: random.Random | None = None) -> float:
    """0.9 to 1.1: spreads the polls of fans who joined together, so they do not come in waves."""
    return 0.9 + 0.2 * (rng or random).random()
