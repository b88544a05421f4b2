"""The one status implementation: the state decision, the numbers and the body, for any view.

Every status answer (the fast path, the Starlette route, join, rejoin and the queue page) comes
from :func:`waitroom.fan.status.fan_status` (or the fail-closed and place-closed answers next to
it) and :func:`waitroom.fan.status_body.status_body`; these properties hold for any queue read.
"""

from __future__ import annotations

import random
import time

import orjson
from hypothesis import given
from hypothesis import strategies as st

from waitroom.admission import FanState, QueueConfig, QueueSnapshot, QueueState
from waitroom.fan.session import StatusAnswer
from waitroom.fan.status import (
    QUEUE_CLOSED_REASON,
    FanStatus,
    fan_state,
    fan_status,
    place_closed,
    store_away_status,
)
from waitroom.fan.status_body import status_body
from waitroom.queue.availability import PAUSED_FOR_FAULT_REASON
from waitroom.queue.view import QueueView
from waitroom.tokens import PositionClaims

POLL_MIN_MS = 2000
POLL_MAX_MS = 10000
CONTRACT_FIELDS = ("state", "position", "ahead", "eta_seconds", "poll_after_ms")
NOW = 1_800_000_000.0


def snapshot_of(
    state: QueueState,
    rate_per_minute: int,
    serving: int,
    tail: int,
    opens_at: float = 0.0,
    tickets_remaining: int | None = None,
    pause_reason: str = "",
    prequeue_length: int = 0,
    sold_out_by_stock: bool = False,
) -> QueueSnapshot:
    config = QueueConfig(
        rate_per_minute=rate_per_minute,
        state=state,
        opens_at=opens_at,
        burst=10,
        redirect_url="/shop/",
        name="",
        pause_reason=pause_reason,
        event_id="",
        shuffle_seed_sha256="",
        sold_out_by_stock=sold_out_by_stock,
    )
    return QueueSnapshot(
        queue_id="q1",
        serving=serving,
        tail=tail,
        epoch=3,
        redis_now_ms=int(NOW * 1000),
        opened=opens_at <= NOW,
        prequeue_length=prequeue_length,
        config=config,
        tickets_remaining=tickets_remaining,
    )


def answer_of(position: int, status: FanStatus) -> StatusAnswer:
    claims = PositionClaims("q1", 3, position, "visitor-0000000000", int(NOW))
    return StatusAnswer(claims, status)


snapshots = st.builds(
    snapshot_of,
    state=st.sampled_from(QueueState),
    rate_per_minute=st.integers(min_value=0, max_value=10**7),
    serving=st.integers(min_value=0, max_value=10**7),
    tail=st.integers(min_value=0, max_value=2 * 10**7),
    opens_at=st.one_of(st.just(0.0), st.floats(min_value=NOW - 3600, max_value=NOW + 86_400)),
    tickets_remaining=st.one_of(st.none(), st.integers(min_value=0, max_value=10**6)),
    pause_reason=st.sampled_from(["", "a short break", PAUSED_FOR_FAULT_REASON]),
    prequeue_length=st.integers(min_value=0, max_value=10**5),
    sold_out_by_stock=st.booleans(),
)
outflows = st.one_of(st.just(0.0), st.floats(min_value=1e-3, max_value=1e5))
positions = st.integers(min_value=0, max_value=2 * 10**7)


@given(snapshot=snapshots, position=positions)
def test_the_state_decision(snapshot: QueueSnapshot, position: int) -> None:
    """Closed and sold out win over everything; then the pre-queue, then the pointer; then
    pause (or rate 0); everyone else waits."""
    state = fan_state(snapshot, position)
    config = snapshot.config
    if config.state is QueueState.CLOSED:
        assert state is FanState.CLOSED
    elif config.state is QueueState.SOLD_OUT:
        assert state is FanState.SOLD_OUT
    elif position == 0:
        assert state is FanState.PREQUEUE
    elif position <= snapshot.serving:
        assert state is FanState.ADMITTED  # a paused queue keeps the passes it gave
    elif config.state is QueueState.PAUSED or config.rate_per_minute == 0:
        assert state is FanState.PAUSED
    else:
        assert state is FanState.WAITING


@given(snapshot=snapshots, position=positions, outflow=outflows, seed=st.integers(0, 2**32))
def test_every_answer_is_consistent(
    snapshot: QueueSnapshot, position: int, outflow: float, seed: int
) -> None:
    status = fan_status(
        QueueView(snapshot, outflow), position, NOW, POLL_MIN_MS, POLL_MAX_MS, random.Random(seed)
    )
    assert status.state is fan_state(snapshot, position)
    assert status.position == position and status.serving == snapshot.serving
    assert status.queue_length == snapshot.queue_length
    assert 0.0 <= status.progress <= 1.0
    assert status.ahead >= 0
    assert POLL_MIN_MS // 2 <= status.poll_after_ms <= POLL_MAX_MS * 3
    assert (status.closed_reason == QUEUE_CLOSED_REASON) == (status.state is FanState.CLOSED)
    assert status.stock_may_return == (
        status.state is FanState.SOLD_OUT and snapshot.config.sold_out_by_stock
    )
    assert not status.degraded
    if status.eta_range_seconds is not None:
        low, high = status.eta_range_seconds
        assert status.eta_seconds is not None and low <= status.eta_seconds <= high
    if status.state is FanState.WAITING:
        assert status.ahead == position - snapshot.serving - 1
        assert (status.eta_seconds is not None) == (outflow > 0)
        assert status.poll_after_ms <= POLL_MAX_MS * 1.1
    elif status.state is FanState.ADMITTED:
        assert (status.ahead, status.eta_seconds, status.progress) == (0, 0, 1.0)
    elif status.state is FanState.PAUSED:
        assert status.eta_seconds is None  # no promise while paused
    elif status.state is FanState.PREQUEUE:
        assert status.ahead == snapshot.prequeue_length


@given(
    serving=st.integers(min_value=0, max_value=10**6),
    behind=st.integers(min_value=1, max_value=10**6),
    more=st.integers(min_value=1, max_value=10**6),
    outflow=st.floats(min_value=1e-3, max_value=1e5),
)
def test_a_later_place_never_hears_a_shorter_wait(
    serving: int, behind: int, more: int, outflow: float
) -> None:
    snapshot = snapshot_of(QueueState.OPEN, 60, serving, serving + behind + more)
    view = QueueView(snapshot, outflow)
    nearer = fan_status(view, serving + behind, NOW, POLL_MIN_MS, POLL_MAX_MS)
    farther = fan_status(view, serving + behind + more, NOW, POLL_MIN_MS, POLL_MAX_MS)
    assert nearer.state is farther.state is FanState.WAITING
    assert nearer.eta_seconds is not None and farther.eta_seconds is not None
    assert nearer.eta_seconds <= farther.eta_seconds
    assert nearer.progress >= farther.progress


@given(snapshot=snapshots, position=positions, outflow=outflows)
def test_the_body_says_what_the_status_says(
    snapshot: QueueSnapshot, position: int, outflow: float
) -> None:
    status = fan_status(QueueView(snapshot, outflow), position, NOW, POLL_MIN_MS, POLL_MAX_MS)
    body = orjson.loads(orjson.dumps(status_body(answer_of(position, status))))
    assert set(CONTRACT_FIELDS) <= set(body)
    assert body["state"] == status.state.value
    assert (body["position"], body["ahead"]) == (position, status.ahead)
    assert body["eta_seconds"] == status.eta_seconds
    assert body["poll_after_ms"] == status.poll_after_ms
    assert "pass" not in body and "redirect_url" not in body  # no pass without a pass record
    assert body.get("closed_reason") == status.closed_reason
    assert ("pause_reason" in body) == (
        status.state is FanState.PAUSED and bool(snapshot.config.pause_reason)
    )
    assert body.get("tickets_remaining") == snapshot.tickets_remaining
    assert abs(body["server_time"] - time.time()) < 60
    assert "degraded" not in body and "token" not in body


def test_an_admitted_answer_carries_the_pass() -> None:
    snapshot = snapshot_of(QueueState.OPEN, 60, 50, 80)
    status = fan_status(QueueView(snapshot, 1.0), 7, NOW, POLL_MIN_MS, POLL_MAX_MS)
    claims = PositionClaims("q1", 3, 7, "visitor-0000000000", int(NOW))
    answer = StatusAnswer(claims, status, None, "the-pass", 1_900_000_000, "/shop/?p=1", 1_900)
    body = status_body(answer)
    assert body["state"] == "admitted"
    assert (body["pass"], body["pass_expires_at"], body["redirect_url"]) == (
        "the-pass",
        1_900_000_000,
        "/shop/?p=1",
    )
    assert body["session_deadline"] == 1_900


@given(
    position=st.integers(min_value=1, max_value=10**6),
    reason=st.sampled_from(["purchase_completed", "pass_expired", "session_ended"]),
)
def test_a_place_that_is_done_is_closed_with_its_reason(position: int, reason: str) -> None:
    snapshot = snapshot_of(QueueState.OPEN, 60, position + 5, position + 10)
    admitted = fan_status(QueueView(snapshot, 1.0), position, NOW, POLL_MIN_MS, POLL_MAX_MS)
    assert admitted.state is FanState.ADMITTED
    closed = place_closed(admitted, reason, POLL_MAX_MS)
    assert (closed.state, closed.closed_reason) == (FanState.CLOSED, reason)
    assert closed.poll_after_ms == POLL_MAX_MS * 3
    body = status_body(answer_of(position, closed))
    assert (body["state"], body["closed_reason"]) == ("closed", reason)
    assert "pass" not in body


@given(
    position=positions,
    last_known=st.one_of(st.none(), snapshots),
)
def test_the_store_away_answer_fails_closed(
    position: int, last_known: QueueSnapshot | None
) -> None:
    status = store_away_status(position, last_known, POLL_MAX_MS)
    assert status.state is FanState.PAUSED and status.degraded
    assert status.position == position  # the place the token proves is kept
    assert status.pause_reason == PAUSED_FOR_FAULT_REASON
    assert 0.0 <= status.progress <= 1.0 and status.ahead >= 0
    body = status_body(answer_of(position, status))
    assert body["degraded"] is True and body["state"] == "paused"
    assert body["pause_reason"] == PAUSED_FOR_FAULT_REASON
    assert "pass" not in body
