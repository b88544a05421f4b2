"""Property-based tests of stock per event (hypothesis, real Redis, real Lua): any body gets a
report or a clear InvalidInput; any sequence of reports, removals and organizer decisions
leaves the queue in the state the rules of docs/connector.md section 5 give."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service_kit.errors import InvalidInput
from service_kit.redis_client import redis_from_url
from waitroom.admission import AdmissionStore
from waitroom.errors import EventRemoved
from waitroom.queue.stock import QueueStock
from waitroom.queue.stock_reports import parse_stock_report

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
FIELD_NAMES = st.sampled_from(
    ["remaining", "capacity", "sold", "held", "tiers", "sold_by_minute", "version", "other"]
)


@settings(max_examples=300, deadline=None)
@given(body=st.dictionaries(FIELD_NAMES, JSON, max_size=6))
def test_any_body_is_a_report_or_invalid_input(body: dict[str, Any]) -> None:
    try:
        report = parse_stock_report("event", body)
    except InvalidInput as error:
        assert error.detail and isinstance(error.extra.get("field"), str)
        return
    assert report.report.remaining == body["remaining"]
    assert report.report.capacity is None or report.report.remaining <= report.report.capacity


@dataclass
class Rules:
    """The state rules, as docs/connector.md section 5 states them."""

    state: str = "open"
    sold_out_by_stock: str | None = None
    figures: dict[str, int] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)
    condition: str | None = None

    def settle(self) -> None:
        condition = "sold_out" if self.figures and not any(self.figures.values()) else "available"
        previous, self.condition = self.condition, condition if self.figures else None
        if condition == previous:
            return
        if condition == "sold_out" and self.state in {"open", "paused"}:
            self.sold_out_by_stock, self.state = self.state, "sold_out"
        elif condition == "available" and self.state == "sold_out" and self.sold_out_by_stock:
            self.state, self.sold_out_by_stock = self.sold_out_by_stock, None

    def organizer(self, state: str) -> None:
        self.state, self.sold_out_by_stock = state, None


EVENTS = st.sampled_from(["matinee", "evening", "late"])
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("report"), EVENTS, st.integers(min_value=0, max_value=2)),
        st.tuples(st.just("organizer"), st.sampled_from(["open", "paused", "closed", "sold_out"])),
        st.tuples(st.just("remove"), EVENTS),
        st.tuples(st.just("restore"), EVENTS),
    ),
    max_size=25,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS)
def test_the_state_follows_the_rules(redis_url: str, steps: list[tuple[Any, ...]]) -> None:
    async def scenario() -> None:
        redis = redis_from_url(redis_url)
        try:
            admission = AdmissionStore(redis, default_burst=10)
            stock = QueueStock(admission.scripts)
            queue_id = "s" + secrets.token_hex(6)
            await admission.configure(queue_id, {"rate_per_minute": 60})
            rules = Rules()
            for step in steps:
                before = rules.state
                if step[0] == "report":
                    _, event_id, remaining = step
                    body = {"remaining": remaining, "capacity": 2}
                    try:
                        outcome = await stock.report(queue_id, parse_stock_report(event_id, body))
                    except EventRemoved:
                        assert event_id in rules.removed
                        continue
                    assert event_id not in rules.removed
                    rules.figures[event_id] = remaining
                    rules.settle()
                    assert outcome.remaining_total == sum(rules.figures.values())
                    assert outcome.state_changed == (rules.state != before)
                elif step[0] == "organizer":
                    await admission.configure(queue_id, {"state": step[1]})
                    rules.organizer(step[1])
                elif step[0] == "remove":
                    await stock.remove(queue_id, step[1])
                    rules.figures.pop(step[1], None)
                    rules.removed.add(step[1])
                    rules.settle()
                else:
                    await stock.restore(queue_id, step[1])
                    rules.removed.discard(step[1])
                snapshot = await admission.snapshot(queue_id)
                assert snapshot.config.state.value == rules.state, (step, rules)
                if step[0] != "organizer":
                    # stock never touches a closed queue, and sells out only with nothing left
                    assert before != "closed" or rules.state == "closed"
                    if rules.state == "sold_out" and before != "sold_out":
                        assert rules.figures and not any(rules.figures.values())
        finally:
            await redis.aclose()

    asyncio.run(scenario())
