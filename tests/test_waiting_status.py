"""The per-view frame answers a waiting fan exactly as the general status path does."""

from __future__ import annotations

import random
import time

from hypothesis import given
from hypothesis import strategies as st

from waitroom.admission import FanState, QueueConfig, QueueSnapshot, QueueState
from waitroom.fan.api import status_body
from waitroom.fan.session import StatusAnswer
from waitroom.fan.status import fan_status
from waitroom.fan.waiting import waiting_body, waiting_frame
from waitroom.queue.state_guard import STATE_LOST_REASON
from waitroom.queue.view import QueueView
from waitroom.tokens import PositionClaims

POLL_MIN_MS = 2000
POLL_MAX_MS = 10000


def snapshot_of(
    state: QueueState,
    rate_per_minute: int,
    serving: int,
    tail: int,
    opens_at: float = 0.0,
    tickets_remaining: int | None = None,
    pause_reason: str = "",
    prequeue_length: int = 0,
) -> QueueSnapshot:
    raw = {"state": state.value, "rate_per_minute": str(rate_per_minute)}
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
        raw=raw,
    )
    return QueueSnapshot(
        queue_id="q1",
        serving=serving,
        tail=tail,
        epoch=3,
        redis_now_ms=int(time.time() * 1000),
        opened=True,
        prequeue_length=prequeue_length,
        config=config,
        tickets_remaining=tickets_remaining,
    )


def general_body(view: QueueView, position: int, seed: int) -> dict[str, object]:
    random.seed(seed)
    status = fan_status(view, position, time.time(), POLL_MIN_MS, POLL_MAX_MS)
    claims = PositionClaims("q1", 3, position, "visitor-0000000000", int(time.time()))
    body = status_body(StatusAnswer(claims, status, None, None, None, None))
    body.pop("server_time")
    return body


@given(
    serving=st.integers(min_value=0, max_value=10**7),
    behind=st.integers(min_value=1, max_value=10**6),
    extra_tail=st.integers(min_value=0, max_value=10**5),
    outflow=st.one_of(st.just(0.0), st.floats(min_value=1e-3, max_value=1e5)),
    rate_per_minute=st.integers(min_value=1, max_value=10**7),
    tickets_remaining=st.one_of(st.none(), st.integers(min_value=0, max_value=10**6)),
    opens_at=st.one_of(st.just(0.0), st.floats(min_value=1.0, max_value=4e9)),
    prequeue_length=st.integers(min_value=0, max_value=1000),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_waiting_fans_get_the_general_answer(
    serving: int,
    behind: int,
    extra_tail: int,
    outflow: float,
    rate_per_minute: int,
    tickets_remaining: int | None,
    opens_at: float,
    prequeue_length: int,
    seed: int,
) -> None:
    position = serving + behind
    snapshot = snapshot_of(
        QueueState.OPEN,
        rate_per_minute,
        serving,
        position + extra_tail,
        opens_at=opens_at,
        tickets_remaining=tickets_remaining,
        prequeue_length=prequeue_length,
    )
    view = QueueView(snapshot, outflow, 0.0)
    frame = waiting_frame(snapshot, outflow)
    assert frame is not None and frame.holds(3, position)
    random.seed(seed)
    fast = waiting_body(frame, position, POLL_MIN_MS, POLL_MAX_MS)
    assert abs(float(fast.pop("server_time")) - time.time()) < 5
    general = general_body(view, position, seed)
    assert general["state"] == FanState.WAITING.value
    assert fast == general
    assert list(fast) == list(general)  # the same JSON, key for key


def test_no_frame_where_nobody_waits() -> None:
    for state in (QueueState.PAUSED, QueueState.CLOSED, QueueState.SOLD_OUT):
        assert waiting_frame(snapshot_of(state, 60, 10, 50), 1.0) is None
    assert waiting_frame(snapshot_of(QueueState.OPEN, 0, 10, 50), 1.0) is None
    lost = snapshot_of(QueueState.OPEN, 60, 10, 50, pause_reason=STATE_LOST_REASON)
    assert waiting_frame(lost, 1.0) is None


def test_the_frame_holds_only_waiting_places_of_its_epoch() -> None:
    frame = waiting_frame(snapshot_of(QueueState.OPEN, 60, 10, 50), 1.0)
    assert frame is not None
    assert [frame.holds(3, place) for place in (0, 10, 11, 50, 51)] == [
        False,  # pre-queue: the general path
        False,  # admitted: the general path issues the pass
        True,
        True,
        False,  # past the tail: the state guard checks it
    ]
    assert not frame.holds(4, 20)  # another epoch: the general path rejects the token
