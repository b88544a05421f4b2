"""Autotune's parts: the decision rule, the site's health reports (contract section 7) as the
waiting room takes them, the shop-side health window, and one turn per interval in Redis.
The whole loop with real processes: tests/system/test_autotune_journey.py."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from service_kit.errors import InvalidInput
from tests.support.servers import ServerProcess
from tests.support.stock_support import site_headers
from waitroom.connector.health import HealthWindow
from waitroom.organizer.autotune import propose
from waitroom.queue.autotune_store import AutotuneSettings, AutotuneStore, updated_settings
from waitroom.queue.site_health import OperationHealth, SiteHealth, combine

SETTINGS = AutotuneSettings(
    enabled=True,
    min_rate_per_minute=20,
    max_rate_per_minute=420,
    target_p95_ms=800,
    max_error_ratio=0.02,
)


def health(**operations: tuple[int, int, float | None]) -> SiteHealth:
    return SiteHealth(
        tuple(
            OperationHealth(name, requests, errors, p95)
            for name, (requests, errors, p95) in operations.items()
        ),
        reporters=1,
        newest_at=time.time(),
        window_seconds=30,
    )


def test_down_fast_up_slowly_within_the_range() -> None:
    slow = propose(SETTINGS, 300, health(checkout=(50, 0, 1900.0), hold=(80, 0, 40.0)))
    assert (slow.rate, slow.kind) == (150, "down")
    assert "checkout p95 1900 ms > 800 ms" in slow.reason
    failing = propose(SETTINGS, 300, health(checkout=(100, 5, 100.0)))
    assert (failing.rate, failing.kind) == (150, "down") and "errors 5.0 %" in failing.reason
    assert propose(SETTINGS, 30, health(checkout=(50, 0, 1900.0))).rate == 20  # the minimum
    floor = propose(SETTINGS, 20, health(checkout=(50, 0, 1900.0)))
    assert (floor.rate, floor.kind) == (20, "hold") and "at the minimum" in floor.reason
    room = propose(SETTINGS, 300, health(checkout=(50, 0, 200.0), hold=(80, 0, 30.0)))
    assert (room.rate, room.kind) == (320, "up")  # a twentieth of the range per decision
    assert propose(SETTINGS, 410, health(checkout=(50, 0, 200.0))).rate == 420  # the maximum
    top = propose(SETTINGS, 420, health(checkout=(50, 0, 200.0)))
    assert (top.rate, top.kind) == (420, "hold")


def test_holds_without_evidence_and_brings_a_hand_set_rate_into_the_range() -> None:
    assert propose(SETTINGS, 300, None) == (300, "hold", "no recent health report from the shop")
    idle = propose(SETTINGS, 300, health(checkout=(0, 0, None), hold=(0, 0, None)))
    assert (idle.rate, idle.kind) == (300, "hold")  # no traffic: nothing to judge by
    near = propose(SETTINGS, 300, health(checkout=(50, 0, 700.0)))
    assert (near.rate, near.kind) == (300, "hold") and "near the limits" in near.reason
    assert propose(SETTINGS, 5, None) == (20, "bound", "brought into the range 20-420 per minute")
    assert propose(SETTINGS, 9000, health(checkout=(50, 0, 100.0))).rate == 420


def test_settings_updates_are_checked() -> None:
    base = AutotuneSettings()
    assert updated_settings(base, {"enabled": True}).enabled
    for body in (
        {"enabled": "yes"},
        {"min_rate_per_minute": 0},
        {"max_rate_per_minute": 1.5},
        {"min_rate_per_minute": 500, "max_rate_per_minute": 100},
        {"max_error_ratio": 2},
        {"target_p95_ms": True},
        {"rate": 5},
    ):
        with pytest.raises(InvalidInput):
            updated_settings(base, body)


def test_health_of_several_processes_sums_requests_and_keeps_the_slowest_p95() -> None:
    now = time.time()
    combined = combine(
        [
            {"received_at": now, "window_seconds": 30,
             "operations": {"checkout": {"requests": 10, "errors": 1, "p95_ms": 300.0}}},
            {"received_at": now - 2, "window_seconds": 30,
             "operations": {"checkout": {"requests": 30, "errors": 1, "p95_ms": 900.0},
                            "hold": {"requests": 0, "errors": 0, "p95_ms": None}}},
        ]
    )  # fmt: skip
    checkout, hold = combined.operations
    assert (checkout.requests, checkout.errors, checkout.p95_ms) == (40, 2, 900.0)
    assert checkout.error_ratio == 0.05
    assert (hold.requests, hold.p95_ms) == (0, None)
    assert combined.reporters == 2 and combined.newest_at == now


def test_health_window_counts_the_recent_requests() -> None:
    clock = [1000.0]
    window = HealthWindow(("checkout", "hold"), window_seconds=10, clock=lambda: clock[0])
    for milliseconds in range(1, 101):  # 1..100 ms
        window.record("checkout", milliseconds / 1000, error=milliseconds > 98)
    window.record("unknown", 5.0, error=True)  # not an operation of this site: ignored
    figures = window.figures()
    assert figures["checkout"] == {"requests": 100, "errors": 2, "p95_ms": 95.0}
    assert figures["hold"] == {"requests": 0, "errors": 0, "p95_ms": None}
    clock[0] += 11  # the window moved on
    assert window.figures()["checkout"]["requests"] == 0
    body = window.report("shop-1", interval_seconds=5)
    assert body["reporter"] == "shop-1" and body["interval_seconds"] == 5


async def test_one_turn_per_interval_however_many_processes_ask(
    redis: Redis, unique_id: str
) -> None:
    store = AutotuneStore(redis)
    answers = await asyncio.gather(
        *(store.take_turn(unique_id, f"process-{index}", 0.5) for index in range(20))
    )
    assert answers.count(True) == 1
    assert not await store.take_turn(unique_id, "late", 0.5)
    await asyncio.sleep(0.6)
    assert await store.take_turn(unique_id, "next-interval", 0.5)


def _health_url(queue_id: str) -> str:
    return f"/api/v1/connector/queues/{queue_id}/health"


GOOD_REPORT: dict[str, Any] = {
    "reporter": "shop-a",
    "window_seconds": 30,
    "interval_seconds": 5,
    "operations": {"checkout": {"requests": 12, "errors": 0, "p95_ms": 240.5}},
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reporter": "no spaces"}, "reporter"),
        ({"window_seconds": 0}, "window_seconds"),
        ({"interval_seconds": "5"}, "interval_seconds"),
        ({"operations": {}}, "operations"),
        ({"operations": {"Check Out": {"requests": 1, "p95_ms": 1}}}, "operations"),
        ({"operations": {"checkout": {"requests": 1}}}, "operations.checkout"),
        ({"operations": {"checkout": {"requests": 1, "errors": 2, "p95_ms": 1}}},
         "operations.checkout.errors"),
        ({"operations": {"checkout": {"requests": -1, "p95_ms": 1}}},
         "operations.checkout.requests"),
        ({"unknown": 1}, "unknown"),
    ],
)  # fmt: skip
def test_bad_health_reports_are_400_naming_the_field(
    waitroom_server: ServerProcess,
    unique_id: str,
    admin_headers: dict[str, str],
    change: dict[str, Any],
    field: str,
) -> None:
    base = waitroom_server.base_url
    httpx.put(f"{base}/api/v1/admin/queues/{unique_id}", json={}, headers=admin_headers)
    answer = httpx.put(
        f"{base}{_health_url(unique_id)}",
        json={**GOOD_REPORT, **change},
        headers=site_headers(unique_id),
    )
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["field"] == field


def test_health_reports_are_site_authenticated_and_shown_to_organizers(
    waitroom_server: ServerProcess, unique_id: str, admin_headers: dict[str, str]
) -> None:
    base = waitroom_server.base_url
    url = f"{base}{_health_url(unique_id)}"
    assert httpx.put(url, json=GOOD_REPORT, headers=site_headers(unique_id)).status_code == 404
    httpx.put(f"{base}/api/v1/admin/queues/{unique_id}", json={}, headers=admin_headers)
    refused = httpx.put(url, json=GOOD_REPORT, headers=site_headers("another-queue"))
    assert refused.status_code == 401
    accepted = httpx.put(url, json=GOOD_REPORT, headers=site_headers(unique_id))
    assert accepted.json() == {"accepted": True, "autotune": False}
    second = {**GOOD_REPORT, "reporter": "shop-b"}
    second["operations"] = {"checkout": {"requests": 8, "errors": 2, "p95_ms": 900}}
    httpx.put(url, json=second, headers=site_headers(unique_id))
    autotune = httpx.get(f"{base}/api/v1/admin/queues/{unique_id}/autotune", headers=admin_headers)
    shown = autotune.json()["health"]
    assert shown["reporters"] == 2
    assert shown["operations"]["checkout"] == {
        "requests": 20,
        "errors": 2,
        "error_ratio": 0.1,
        "p95_ms": 900.0,
    }
