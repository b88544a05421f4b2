"""The answer to the commonest status poll, a fan still waiting, from a frame built per view.

Nearly every status poll comes from a fan who is waiting in an open queue. What such a fan is
told depends on the view (serving pointer, queue length, measured outflow, stock) and on the
fan's own place; the view changes at most once per refresh. :func:`waiting_frame` takes what
the view decides once per refresh, and :func:`waiting_body` adds the fan's place on each poll.
The numbers come from the same functions :func:`waitroom.fan.status.fan_status` uses, so the
answer is the one :func:`waitroom.fan.api.status_body` gives for a waiting fan (tested).

Everything else (admitted, paused, pre-queue, closed, sold out, a place past the tail, another
epoch, a view being refreshed or a store that just failed) has no frame and takes the general
path in :mod:`waitroom.fan.session`.
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

from waitroom.admission import QueueSnapshot, QueueState
from waitroom.fan.status import (
    eta_range_seconds,
    poll_jitter,
    waiting_eta_seconds,
    waiting_poll_after_ms,
)
from waitroom.queue.state_guard import STATE_LOST_REASON


class WaitingFrame(NamedTuple):
    """What one view tells every waiting fan; built once per view refresh."""

    epoch: int
    serving: int
    tail: int
    queue_length: int
    outflow_per_second: float
    tickets_remaining: int | None
    opens_at: float

    def holds(self, epoch: int, position: int) -> bool:
        """True when a token's place is waiting in this view (else: the general path)."""
        return epoch == self.epoch and self.serving < position <= self.tail


def waiting_frame(snapshot: QueueSnapshot, outflow_per_second: float) -> WaitingFrame | None:
    """The frame of a view in which fans can be waiting; None when none can (e.g. paused)."""
    config = snapshot.config
    # as fan_status: closed, sold out and paused (or rate 0) queues have nobody waiting; a
    # queue paused after a store incident also needs every place remembered (token_witness)
    if (
        config.state is not QueueState.OPEN
        or config.rate_per_minute <= 0
        or config.pause_reason == STATE_LOST_REASON
    ):
        return None
    return WaitingFrame(
        snapshot.epoch,
        snapshot.serving,
        snapshot.tail,
        snapshot.queue_length,
        outflow_per_second,
        snapshot.tickets_remaining,
        config.opens_at,
    )


def waiting_body(
    frame: WaitingFrame, position: int, poll_min_ms: int, poll_max_ms: int
) -> dict[str, Any]:
    """The status body of a fan at ``position`` (``frame.holds`` it), as ``status_body``."""
    serving = frame.serving
    ahead = max(0, position - serving - 1)
    outflow = frame.outflow_per_second
    eta: int | None = None
    eta_range: list[int] | None = None
    if outflow > 0:
        eta_seconds = waiting_eta_seconds(ahead, outflow)
        eta, eta_range = eta_seconds, list(eta_range_seconds(eta_seconds))
    body: dict[str, Any] = {
        "state": "waiting",
        "position": position,
        "ahead": ahead,
        "eta_seconds": eta,
        "eta_range_seconds": eta_range,
        "poll_after_ms": waiting_poll_after_ms(eta, poll_min_ms, poll_max_ms, poll_jitter()),
        "serving": serving,
        "queue_length": frame.queue_length,
        "progress": round(min(1.0, serving / position) if serving > 0 else 0.0, 4),
        "server_time": round(time.time(), 3),
    }
    if frame.tickets_remaining is not None:
        body["tickets_remaining"] = frame.tickets_remaining
    if frame.opens_at:
        body["opens_at"] = frame.opens_at
    return body
