"""The dashboard's live JSON document: figures written by the shop, the abuse guard and the
fan pages are read defensively and aggregated; the dashboard page and its script are served."""

from __future__ import annotations

import time

import httpx
from redis.asyncio import Redis

from tests.servers import ServerProcess
from tests.stock_support import figures, report
from waitroom.organizer.live_figures import (
    SERIES_MINUTES,
    admissions_series,
    predicted_sell_out,
    set_rate_series,
)
from waitroom.storage.keys import QueueKeys


async def _request(method: str, url: str, **options: object) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.request(method, url, **options)  # type: ignore[arg-type]


def test_admissions_series_differences_of_the_recorded_pointer() -> None:
    now_minute = 1_000_000
    recorded = {now_minute - 3: 10, now_minute - 2: 25, now_minute: 55}  # minute -1 missing
    series = admissions_series(recorded, now_minute)
    assert len(series) == SERIES_MINUTES + 1
    assert series[-4:] == [0, 15, 0, 30]  # carried forward over the gap
    assert sum(series) == 45


def test_set_rate_series_replays_the_audit_log() -> None:
    now_minute = 2_000_000
    entries = [
        {"at": (now_minute - 10) * 60 + 5, "changes": {"rate_per_minute": 100}},
        {"at": (now_minute - 5) * 60 + 5, "changes": {"state": "paused"}},
        {"at": (now_minute - 2) * 60 + 5, "changes": {"state": "open", "rate_per_minute": 40}},
    ]
    series = set_rate_series(entries, 40, "open", now_minute)
    assert series[-11:] == [100] * 5 + [0] * 3 + [40] * 3
    assert series[0] == 40  # before the first recorded change: the current rate


def test_predicted_sell_out_uses_the_recent_sales_rate() -> None:
    now = 600 * 60.0 + 30  # half-way through a minute
    sales = [0] * 25 + [11, 11, 11, 11, 11, 0]
    prediction = predicted_sell_out(110, sales, now)
    assert prediction is not None
    assert prediction["seconds"] == round(110 / (55 / 5.5) * 60, 1)
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
    assert empty["stock"] is None and empty["survey_results"] == {}
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
    await redis.hset(keys.survey_results, mapping={"genre:rock": 3, "genre:jazz": 1})
    for index in range(4):
        fan = await _request("POST", f"{base}/api/v1/queues/{unique_id}/join")
        assert fan.status_code == 201, index
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
    assert live["survey_results"] == {"genre:rock": 3, "genre:jazz": 1}
    assert live["rate_per_minute"] == 30
    assert live["series"]["set_rate_per_minute"][-1] == 30
    assert live["audit"][0]["action"] == "create"
    assert live["queue_length"] + live["admitted_total"] >= 4


def test_dashboard_page_and_script_are_served(waitroom_server: ServerProcess) -> None:
    script = httpx.get(f"{waitroom_server.base_url}/static/waitroom/admin.js")
    assert script.status_code == 200 and "createElementNS" in script.text
    assert "http" not in script.text.replace("http://www.w3.org/2000/svg", "")  # no third party
    login = httpx.get(f"{waitroom_server.base_url}/admin/login")
    assert login.status_code == 200 and 'type="password"' in login.text
