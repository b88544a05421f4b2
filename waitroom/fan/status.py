"""What a fan is told: state, place, people ahead, ETA range and when to poll again.

Pure functions over a cached :class:`~waitroom.queue.view.QueueView`; no I/O here.
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING, NamedTuple

from waitroom.admission import FanState, QueueState

if TYPE_CHECKING:
    from waitroom.queue.view import QueueView

ETA_SPREAD = 0.2
"""The ETA range is the point estimate -/+ 20 % (whole seconds, rounded outwards)."""


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
    ahead = max(0, position - serving - 1) if position > 0 else snapshot.prequeue_length
    state = _fan_state(view, position, now_seconds)
    stock_may_return = state is FanState.SOLD_OUT and config.sold_out_by_stock
    eta: int | None = None
    eta_range: tuple[int, int] | None = None
    if state is FanState.WAITING:
        outflow = view.outflow_per_second
        if outflow > 0:
            eta = waiting_eta_seconds(ahead, outflow)
            eta_range = eta_range_seconds(eta)
    elif state is FanState.PREQUEUE and config.rate_per_minute > 0:
        until_open = max(0.0, config.opens_at - now_seconds)
        average_wait = (snapshot.prequeue_length / 2) / (config.rate_per_minute / 60.0)
        eta = math.ceil(until_open + average_wait)
        eta_range = (math.ceil(until_open), math.ceil(until_open + 2 * average_wait))
    poll = _poll_after_ms(state, eta, config.opens_at - now_seconds, poll_min_ms, poll_max_ms, rng)
    if stock_may_return:
        poll = max(poll_min_ms // 2, int(poll_max_ms * poll_jitter(rng)))
    admitted = state is FanState.ADMITTED
    if admitted:
        progress = 1.0
    elif position > 0 and serving > 0:
        progress = min(1.0, serving / position)
    else:
        progress = 0.0
    # positional: one is built for every status poll
    return FanStatus(
        state,
        position,
        0 if admitted else ahead,
        0 if admitted else eta,
        eta_range,
        poll,
        serving,
        snapshot.queue_length,
        config.opens_at,
        config.pause_reason,
        progress,
        snapshot.tickets_remaining,
        stock_may_return,
    )


def waiting_eta_seconds(ahead: int, outflow_per_second: float) -> int:
    """Seconds until a waiting fan with ``ahead`` people in front is admitted (outflow > 0)."""
    return math.ceil((ahead + 1) / outflow_per_second)


def eta_range_seconds(eta_seconds: int) -> tuple[int, int]:
    return math.floor(eta_seconds * (1 - ETA_SPREAD)), math.ceil(eta_seconds * (1 + ETA_SPREAD))


def waiting_poll_after_ms(
    eta_seconds: int | None, poll_min_ms: int, poll_max_ms: int, jitter: float
) -> int:
    """A tenth of the remaining wait, within the bounds: fans near the front see every move."""
    if eta_seconds is None:
        base = poll_max_ms
    else:
        base = min(poll_max_ms, max(poll_min_ms, eta_seconds * 100))
    return max(poll_min_ms // 2, int(base * jitter))


def poll_jitter(rng: random.Random | None = None) -> float:
    """0.9 to 1.1: spreads the polls of fans who joined together, so they do not come in waves."""
    return 0.9 + 0.2 * (rng or random).random()


def _fan_state(view: QueueView, position: int, now_seconds: float) -> FanState:
    snapshot = view.snapshot
    config_state = snapshot.config.state
    if config_state is QueueState.CLOSED:
        return FanState.CLOSED
    if config_state is QueueState.SOLD_OUT:
        return FanState.SOLD_OUT
    if position <= 0:
        return FanState.PREQUEUE
    if position <= snapshot.serving:
        return FanState.ADMITTED
    if config_state is QueueState.PAUSED or snapshot.config.rate_per_minute == 0:
        return FanState.PAUSED
    return FanState.WAITING


def _poll_after_ms(
    state: FanState,
    eta_seconds: int | None,
    seconds_to_open: float,
    poll_min_ms: int,
    poll_max_ms: int,
    rng: random.Random | None,
) -> int:
    if state is FanState.ADMITTED:
        return poll_max_ms
    if state is FanState.CLOSED or state is FanState.SOLD_OUT:
        return poll_max_ms * 3
    if state is FanState.PREQUEUE and seconds_to_open > 0:
        base = min(poll_max_ms, max(poll_min_ms, int(seconds_to_open * 1000 / 2)))
        return max(poll_min_ms // 2, int(base * poll_jitter(rng)))
    # paused (no ETA): the longest interval; otherwise a tenth of the wait
    return waiting_poll_after_ms(eta_seconds, poll_min_ms, poll_max_ms, poll_jitter(rng))
