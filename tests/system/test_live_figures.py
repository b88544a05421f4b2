"""The dashboard's live JSON document: figures written by the shop, the abuse guard and the
fan pages are read defensively and aggregated; the dashboard page and its script are served."""

from __future__ import annotations

import asyncio
import time

import httpx
from redis.asyncio import Redis

from tests.support.abuse_support import ADMIN_HEADERS, admin_document, create_queue, running_app
from tests.support.servers import ServerProcess
from tests.support.stock_support import figures, report
from tests.system.test_abandonment import join_fans
from waitroom.organizer.live_figures import (
    SERIES_MINUTES,
    admissions_series,
    predicted_sell_out,
)
from waitroom.queue.history import PointerTotals, ServingHistory
from waitroom.queue.rate_history import RateChange, set_rate_series
from waitroom.storage.keys import QueueKeys


async def _request(method: str, url: str, **options: object) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.request(method, url, **options)  # type: ignore[arg-type]


def test_admissions_and_skipped_places_are_drawn_apart() -> None:
    now_minute = 1_000_000
    recorded = {
        now_minute - 3: PointerTotals(passed=10, skipped=0, priority=0),
        now_minute - 2: PointerTotals(passed=25, skipped=0, priority=2),
        # minute -1 missing; then 94 places passed, 64 of them fans who had gone
        now_minute: PointerTotals(passed=119, skipped=64, priority=3),
    }
    admitted, skipped = admissions_series(recorded, now_minute)
    assert len(admitted) == len(skipped) == SERIES_MINUTES + 1
    assert admitted[-4:] == [0, 17, 0, 31]  # carried forward over the gap
    assert skipped[-4:] == [0, 0, 0, 64]  # never counted as admissions
    assert sum(admitted) == 48


def test_set_rate_series_is_the_rate_in_force_each_minute() -> None:
    now_minute = 2_000_000
    start = now_minute * 60.0

    def change(
        minutes_ago: float, rate: int, state: str = "open", opens_at: float = 0
    ) -> RateChange:
        return RateChange(start - minutes_ago * 60, rate, state, opens_at, "organizer")

    changes = [
        change(12, 100, "open", opens_at=start - 10 * 60),  # scheduled: nothing before opening
        change(5, 100, "paused"),
        change(2.5, 40),  # resumed half-way through a minute
    ]
    series = set_rate_series(changes, now_minute - 14, now_minute, start + 30)
    assert series[:2] == [None, None]  # before anything was recorded: unknown, not today's rate
    assert series[2:4] == [0.0, 0.0]  # created, waiting for its opening
    assert series[4:9] == [100.0] * 5
    assert series[9:11] == [0.0, 0.0]  # paused
    assert series[11] == 20.0  # 0 for half the minute, 40 for the other half
    assert series[12:] == [40.0, 40.0, 40.0]


def test_predicted_sell_out_uses_the_measured_sales_rate() -> None:
    now = 600 * 60.0 + 30  # half-way through a minute
    sales = [0] * 25 + [11, 11, 11, 11, 11, 0]
    prediction = predicted_sell_out(110, sales, now)
    assert prediction is not None
    assert prediction["seconds"] == round(110 / (55 / 5.5) * 60, 1)
    assert prediction["sales_per_minute"] == 10.0
    assert "110 tickets left" in prediction["method"]
    # a sale that began a minute and a half ago is not diluted by the quiet before it
    fresh = predicted_sell_out(100, [0] * 29 + [30, 15], now)
    assert fresh is not None and fresh["sales_per_minute"] == 30.0
    assert predicted_sell_out(0, sales, now) is None
    assert predicted_sell_out(100, [0] * 31, now) is None


async def test_live_endpoint_aggregates_every_source(
    waitroom_server: ServerProcess, redis: Redis, unique_id: str, admin_headers: dict[str, str]
) -> None:
    base = waitroom_server.base_url
    admin = f"{base}/api/v1/admin/queues/{unique_id}"
    created = await _request(
        "PUT", admin, json={"rate_per_minute": 30, "active_shopper_cap": 50}, headers=admin_headers
    )
    assert created.status_code == 201
    empty = (await _request("GET", f"{admin}/live", headers=admin_headers)).json()
    assert empty["stock"] is None and empty["survey_results"] == []
    assert empty["active_shoppers"] == 0 and empty["abandoned_total"] == 0
    keys = QueueKeys(unique_id)
    now = time.time()
    minute = int(now // 60)
    await redis.zadd(
        keys.active_sessions, {"a": now + 300, "b": now + 60, "expired": now - 5}
    )
    await redis.set(keys.abandoned_total, 7)
    async with httpx.AsyncClient(base_url=base) as site:
        await report(
            site,
            unique_id,
            "evening",
            figures(
                90,
                100,
                held=0,
                tiers=[
                    {"tier_id": "ga", "name": "General admission", "remaining": 80, "capacity": 85},
                    {"tier_id": "vip", "name": "VIP", "remaining": 10, "capacity": 15},
                ],
                sold_by_minute={str(minute - 1): 6, str(minute): 4},
            ),
        )
        await report(site, unique_id, "matinee", figures(0, 50))
    survey = {
        "id": "genre",
        "title": "Your genre?",
        "questions": [
            {
                "id": "genre",
                "text": "Which one?",
                "options": [{"id": "rock", "label": "Rock"}, {"id": "jazz", "label": "Jazz"}],
            }
        ],
    }
    defined = await _request(
        "PUT", f"{admin}/surveys", json={"surveys": [survey]}, headers=admin_headers
    )
    assert defined.status_code == 200
    for index, choice in enumerate(["rock", "jazz", "rock", "rock"]):
        fan = await _request("POST", f"{base}/api/v1/queues/{unique_id}/join")
        assert fan.status_code == 201, index
        answered = await _request(
            "POST",
            f"{base}/api/v1/queues/{unique_id}/surveys/genre/answers",
            json={"answers": {"genre": choice}},
            headers={"Authorization": f"Bearer {fan.json()['token']}"},
        )
        assert answered.status_code == 201, answered.text
    live = (await _request("GET", f"{admin}/live", headers=admin_headers)).json()
    assert live["active_shoppers"] == 2 and live["active_shopper_cap"] == 50
    assert live["abandoned_total"] == 7
    stock = live["stock"]
    assert (stock["remaining_total"], stock["capacity_total"], stock["sold_total"]) == (90, 150, 60)
    assert [event["event_id"] for event in stock["events"]] == ["evening", "matinee"]
    evening, matinee = stock["events"]
    assert [tier["name"] for tier in evening["tiers"]] == ["General admission", "VIP"]
    assert evening["tiers"][1] == {"tier_id": "vip", "remaining": 10, "capacity": 15, "name": "VIP"}
    assert matinee["remaining"] == 0 and not stock["sold_out"]  # the evening has tickets
    assert live["series"]["sales_per_minute"][-2:] == [6, 4]
    assert live["predicted_sell_out"]["seconds"] > 0
    (results,) = live["survey_results"]  # what fans answered, live
    assert results["responses"] == 4
    options = results["questions"][0]["options"]
    assert [(option["id"], option["count"]) for option in options] == [("rock", 3), ("jazz", 1)]
    assert live["rate_per_minute"] == 30
    assert live["series"]["set_rate_per_minute"][-1] == 30
    assert live["audit"][0]["action"] == "content_update"
    assert live["audit"][-1]["action"] == "create"
    assert live["audit"][-1]["who"] == "admin token (API)"
    assert "admission rate set to 30 per minute" in live["audit"][-1]["summary"]
    assert live["queue_length"] + live["admitted_total"] >= 4


def test_dashboard_page_and_script_are_served(waitroom_server: ServerProcess) -> None:
    script = httpx.get(f"{waitroom_server.base_url}/static/waitroom/admin.js")
    assert script.status_code == 200 and "createElementNS" in script.text
    assert "http" not in script.text.replace("http://www.w3.org/2000/svg", "")  # no third party
    login = httpx.get(f"{waitroom_server.base_url}/admin/login")
    assert login.status_code == 200 and 'type="password"' in login.text


async def test_skipped_places_are_not_counted_as_admissions(
    redis_url: str, redis: Redis, unique_id: str
) -> None:
    """The pointer passes fans who are let in and places whose fan left: the chart draws them
    apart, so a burst of skipped places never looks like admissions above the set rate."""
    async with running_app(redis_url) as (_, client):
        await create_queue(client, unique_id, rate_per_minute=0, abandon_after_seconds=0, burst=1)
        await join_fans(client, unique_id, 6)
        previous_minute_ms = (int(time.time()) // 60 - 1) * 60_000
        await ServingHistory(redis).maybe_record(unique_id, previous_minute_ms)
        for place in (2, 3, 5):  # these fans pressed "leave the queue"
            await redis.setbit(QueueKeys(unique_id).left, place, 1)
        await create_queue(client, unique_id, rate_per_minute=6000)
        await asyncio.sleep(0.3)
        await admin_document(client, unique_id)  # a fresh view: the pointer has moved
        await ServingHistory(redis).maybe_record(unique_id, int(time.time() * 1000))
        live = await client.get(f"/api/v1/admin/queues/{unique_id}/live", headers=ADMIN_HEADERS)
        document = live.json()
    assert document["abandoned_total"] == 3 and document["fans_admitted_total"] == 3
    assert document["series"]["skipped_per_minute"][-1] == 3
    assert document["series"]["admissions_per_minute"][-1] == 3  # places 1, 4 and 6
