"""The JSON body of a status answer: the one builder, for the status poll, the join answer,
the rejoin answer and the queue page's first state."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from waitroom.fan.status import PAUSED

if TYPE_CHECKING:
    from waitroom.fan.session import StatusAnswer


def status_body(answer: StatusAnswer) -> dict[str, Any]:
    """The contract's fields (``state``, ``position``, ``ahead``, ``eta_seconds``,
    ``poll_after_ms``; ``pass`` and ``redirect_url`` when admitted) and the page's numbers,
    always in this order; optional fields only when they say something."""
    status = answer.status
    # the state as its StrEnum member (a str: orjson, Jinja and == see "waiting"), the ETA range
    # as its tuple, the progress to 4 places and the server's clock to the millisecond without
    # round() (~10 times the cost): one body is built per status poll
    body: dict[str, Any] = {
        "state": status.state,
        "position": status.position,
        "ahead": status.ahead,
        "eta_seconds": status.eta_seconds,
        "eta_range_seconds": status.eta_range_seconds,  # a pair: a JSON array
        "poll_after_ms": status.poll_after_ms,
        "serving": status.serving,
        "queue_length": status.queue_length,
        "progress": int(status.progress * 10_000 + 0.5) / 10_000,
        "server_time": int(time.time() * 1000) / 1000,
    }
    if status.tickets_remaining is not None:
        body["tickets_remaining"] = status.tickets_remaining
    if status.stock_may_return:
        body["stock_may_return"] = True
    if status.opens_at:
        body["opens_at"] = status.opens_at
    if status.pause_reason and status.state is PAUSED:
        body["pause_reason"] = status.pause_reason
    if answer.pass_token is not None:
        body["pass"] = answer.pass_token
        body["pass_expires_at"] = answer.pass_expires_at
        body["redirect_url"] = answer.redirect_url
    if answer.session_deadline is not None:
        body["session_deadline"] = answer.session_deadline
    if status.closed_reason is not None:
        body["closed_reason"] = status.closed_reason
    if answer.refreshed_token is not None:
        body["token"] = answer.refreshed_token
    if status.degraded:
        body["degraded"] = True
    if status.away_grace_seconds is not None:
        body["away_grace_seconds"] = status.away_grace_seconds
    if status.returning:
        body["returning"] = True
    return body
