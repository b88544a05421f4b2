"""The chaos suite's checks and per-fault figures, fed records that break (or keep) each one."""

from __future__ import annotations

from pathlib import Path

from loadtests.chaos_invariants import (
    Join,
    check_acknowledged_orders,
    check_admissions_bounded,
    check_errors_after_return,
    check_errors_stop,
    check_no_500,
    check_no_oversell,
    check_places_unique,
    check_queue_never_not_found,
    duplicate_joins,
    fan_admission_excess,
    pointer_excess,
)
from loadtests.chaos_report import markdown_table, window_figures
from loadtests.chaos_run import ScenarioRecord, Window
from loadtests.request_log import RequestRecord
from loadtests.sampler import QueueSample

RATE = 60  # one place per second
BURST = 10


def sample(seconds: float, serving: int) -> QueueSample:
    return QueueSample(
        wall_time=1000.0 + seconds, redis_ms=int(seconds * 1000), serving=serving, tail=500,
        prequeue_length=0, opened=True, state="open", rate_per_minute=RATE, burst=BURST,
        opens_at=0.0,
    )


def test_a_place_given_to_two_fans_is_found_but_a_rejoin_is_not() -> None:
    joins = [Join(1.0, 1, "ann"), Join(2.0, 2, "bob"), Join(3.0, 1, "ann"), Join(4.0, 2, "cy")]
    assert duplicate_joins(joins) == [Join(4.0, 2, "cy")]
    result = check_places_unique(joins, [1, 2, 3])
    assert not result.ok and result.figures["duplicate_places"] == [2]
    assert check_places_unique(joins[:3], [1, 2]).ok


def test_a_place_held_twice_in_the_store_breaks_uniqueness() -> None:
    result = check_places_unique([Join(1.0, 1, "ann")], [1, 2, 2])
    assert not result.ok and result.figures["stored_twice"] == 1


def test_the_pointer_may_not_run_past_rate_times_time_plus_burst() -> None:
    steady = [sample(seconds, BURST + seconds) for seconds in range(30)]
    assert pointer_excess(steady, RATE, BURST) <= 0
    assert check_admissions_bounded(steady, [], 0.0, RATE, BURST).ok
    # a surge after an outage: 40 places in 10 s at 60/min (allowed: 10 + burst 10)
    surge = [sample(0, 100), sample(10, 140)]
    assert pointer_excess(surge, RATE, BURST) == 20
    assert not check_admissions_bounded(surge, [], 0.0, RATE, BURST).ok
    # a pointer that went down (state restored lower) and up again is judged from its low point
    restored = [sample(0, 100), sample(1, 90), sample(11, 110)]
    assert pointer_excess(restored, RATE, BURST) == 0


def test_a_fan_admitted_beyond_the_bound_breaks_it() -> None:
    opened = 1000.0
    assert fan_admission_excess([(opened + 30, 40)], opened, RATE, BURST) == 0
    assert fan_admission_excess([(opened + 30, 45)], opened, RATE, BURST) == 5
    result = check_admissions_bounded([sample(0, 0), sample(1, 1)], [(opened + 30, 45)],
                                      opened, RATE, BURST)
    assert not result.ok and result.figures["fan_excess_places"] == 5


def event(sold: int, remaining: int, held: int = 0, capacity: int = 10) -> dict[str, object]:
    return {"tiers": [{"tier_id": "limited", "capacity": capacity, "sold": sold,
                       "remaining": remaining, "held": held}]}


def orders(tickets: int) -> dict[str, dict[str, object]]:
    return {f"o{index}": {"tickets": [{"tier_id": "limited"}]} for index in range(tickets)}


def test_oversell_unbalanced_stock_and_lost_tickets_are_found() -> None:
    assert check_no_oversell(event(10, 0), {"sold_total": 10}, orders(10)).ok
    assert not check_no_oversell(event(11, 0, capacity=10), {}, orders(11)).ok  # oversold
    assert not check_no_oversell(event(5, 4), {}, orders(5)).ok  # 5 + 4 + 0 != 10
    assert not check_no_oversell(event(5, 5), {}, orders(4)).ok  # a sold ticket has no order
    assert not check_no_oversell(event(5, 5), {"sold_total": 6}, orders(5)).ok
    assert not check_no_oversell({"tiers": []}, {}, {}).ok  # nothing to judge is no pass


def test_an_acknowledged_order_missing_from_the_store_is_found() -> None:
    stored = {"a": {"tickets": [{}, {}]}, "b": {"tickets": [{}]}}
    assert check_acknowledged_orders([{"order_id": "a", "tickets": 2}], stored).ok
    missing = check_acknowledged_orders([{"order_id": "z", "tickets": 1}], stored)
    assert not missing.ok and missing.figures["missing"] == ["z"]
    assert not check_acknowledged_orders([{"order_id": "b", "tickets": 2}], stored).ok


def test_more_errors_after_a_return_than_processes_break_the_check() -> None:
    assert check_errors_after_return({"queue-redis-kill": (4, 4), "worker": (0, 0)}).ok
    result = check_errors_after_return({"queue-redis-kill": (11, 4)})
    assert not result.ok and "queue-redis-kill 11 (allowed 4)" in result.detail
    assert not check_errors_after_return({"shop-worker-kill": (1, 0)}).ok


def test_queue_not_found_for_the_run_queue_is_never_acceptable() -> None:
    fine = [RequestRecord(1.0, 5, "join", 503, "server error: HTTP 503 queue-unavailable")]
    assert check_queue_never_not_found(fine, [201, 503]).ok
    lost = [RequestRecord(1.0, 5, "join", 404, "unexpected answer: HTTP 404 queue-not-found")]
    assert not check_queue_never_not_found(lost, []).ok
    assert not check_queue_never_not_found(fine, [404, 201]).ok


def test_errors_must_stop_within_the_bound_and_no_answer_may_be_a_500() -> None:
    assert check_errors_stop({"queue-redis-kill": 0.9}, 5.0).ok
    assert not check_errors_stop({"queue-redis-kill": 0.9, "sale-redis-kill": 7.5}, 5.0).ok
    records = [RequestRecord(1.0, 5, "hold", 503, "server error"),
               RequestRecord(2.0, 5, "join", 500, "server error")]
    assert not check_no_500(records).ok
    assert check_no_500(records[:1]).ok


def test_window_figures_count_by_the_end_of_each_request(tmp_path: Path) -> None:
    window = Window("queue-redis-kill", started=100.0, ended=102.0, settled=110.0,
                    allowed_errors_after=4)
    requests = [
        RequestRecord(99.0, 100, "status", 200, ""),  # ended before the window
        RequestRecord(99.99, 50, "join", 503, "server error: HTTP 503 queue-unavailable"),
        RequestRecord(101.0, 10, "status", 200, ""),
        RequestRecord(102.5, 10, "hold", 503, "server error: HTTP 503 pass-unavailable"),
        RequestRecord(103.0, 500, "checkout", 0, "ConnectionResetError"),
        RequestRecord(105.0, 10, "status", 200, ""),
    ]
    record = ScenarioRecord("standalone", {}, tmp_path, samples=[sample(0, 0)])
    figures = window_figures(window, requests, [], record, RATE, BURST)
    assert (figures.requests_during, figures.requests_after) == (2, 3)
    assert figures.errors_by_status == {"503": 2, "no answer": 1}
    assert figures.errors_by_kind == {
        "join: HTTP 503 queue-unavailable": 1, "hold: HTTP 503 pass-unavailable": 1,
        "checkout: no answer": 1,
    }
    assert figures.errors_after_end == 2
    assert figures.recovery_seconds == 1.5  # the checkout failed at 103.5
    assert figures.errors_after_end_by_kind["checkout: no answer"] == [1.5]
    assert not figures.still_failing_at_window_end
    table = markdown_table([figures])
    assert "| queue-redis-kill | 2.0 | 2 / 3 | 503: 2, no answer: 1 | 2 (4) | 1.5 |" in table
