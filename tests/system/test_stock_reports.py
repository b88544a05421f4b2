"""Stock per event through the connector contract (docs/connector.md, section 5), against a real
waiting-room process: the queue is sold out only when every event it fronts is, a report with
stock again reopens a queue sold out by stock (never one the organizer decided on), and bad
reports or bad site credentials get problem bodies."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import METRICS_HEADERS, SECRET_KEYS
from tests.support.future_tokens import future_token
from tests.support.servers import ServerProcess
from tests.support.stock_support import figures, report, site_headers, stock_url
from tests.support.tampering import tampered
from waitroom.connector.signing import SITE_AUTH_SALT


@pytest.fixture
async def client(waitroom_server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=waitroom_server.base_url, timeout=10) as opened:
        yield opened


async def make_queue(
    client: httpx.AsyncClient, queue_id: str, admin: dict[str, str], **fields: Any
) -> None:
    body = {"rate_per_minute": 1, "name": "Two shows", **fields}
    response = await client.put(f"/api/v1/admin/queues/{queue_id}", json=body, headers=admin)
    assert response.status_code == 201, response.text


async def join(client: httpx.AsyncClient, queue_id: str) -> httpx.Response:
    """A new fan (no cookies) joins."""
    async with httpx.AsyncClient(base_url=str(client.base_url), timeout=10) as fan:
        return await fan.post(f"/api/v1/queues/{queue_id}/join")


async def waiting_fan(client: httpx.AsyncClient, queue_id: str) -> dict[str, str]:
    joined = await join(client, queue_id)
    assert joined.status_code == 201, joined.text
    return {"authorization": f"Bearer {joined.json()['token']}"}


async def status_of(
    client: httpx.AsyncClient, queue_id: str, fan: dict[str, str]
) -> dict[str, Any]:
    response = await client.get(f"/api/v1/queues/{queue_id}/status", headers=fan)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def admin_view(
    client: httpx.AsyncClient, queue_id: str, admin: dict[str, str]
) -> dict[str, Any]:
    response = await client.get(f"/api/v1/admin/queues/{queue_id}", headers=admin)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_one_event_sold_out_the_queue_still_admits_and_the_hint_is_the_sum(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    await make_queue(client, unique_id, admin_headers)
    fan = await waiting_fan(client, unique_id)
    first = await report(client, unique_id, "matinee", figures(0, 300))
    assert first == {"queue_state": "sold_out", "remaining_total": 0}  # the only event so far
    answer = await report(
        client,
        unique_id,
        "evening",
        figures(
            120,
            5000,
            held=80,
            sold=4800,
            tiers=[{"tier_id": "ga", "name": "General admission", "remaining": 120}],
        ),
    )
    assert answer == {"queue_state": "open", "remaining_total": 120}
    assert (await join(client, unique_id)).status_code == 201  # new fans can join
    status = await status_of(client, unique_id, fan)
    assert status["state"] == "waiting" and status["tickets_remaining"] == 120
    await report(client, unique_id, "matinee", figures(7, 300))
    status = await status_of(client, unique_id, fan)
    assert status["tickets_remaining"] == 127  # the sum over the events

    queue = await admin_view(client, unique_id, admin_headers)
    stock = queue["stock"]
    assert (stock["remaining_total"], stock["capacity_total"]) == (127, 5300)
    assert (stock["sold_total"], stock["held_total"]) == (5093, 80)
    assert [event["event_id"] for event in stock["events"]] == ["evening", "matinee"]
    evening = stock["events"][0]
    assert (evening["remaining"], evening["held"], evening["sold"]) == (120, 80, 4800)
    assert evening["tiers"] == [{"tier_id": "ga", "name": "General admission", "remaining": 120}]
    assert time.time() - evening["updated_at"] < 60
    assert not stock["sold_out"] and stock["removed_event_ids"] == []
    metrics = (await client.get("/metrics", headers=METRICS_HEADERS)).text
    for event, tier, remaining in (
        ("evening", "ga", 120),
        ("evening", "all", 120),
        ("matinee", "all", 7),
        ("all", "all", 127),
    ):
        labels = f'event="{event}",queue="{unique_id}",tier="{tier}"'
        assert f"waitroom_tickets_remaining{{{labels}}} {remaining}.0" in metrics
    # the first report sold the one-event queue out, the second reopened it: both audited
    audit = await client.get(f"/api/v1/admin/queues/{unique_id}/audit", headers=admin_headers)
    actions = [(entry["actor"], entry["action"]) for entry in audit.json()["entries"]]
    assert actions[:2] == [("stock", "reopen"), ("stock", "sold_out")]


async def test_every_event_sold_out_sells_the_queue_out_and_stock_back_reopens_it(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    await make_queue(client, unique_id, admin_headers)
    fan = await waiting_fan(client, unique_id)
    await report(client, unique_id, "matinee", figures(0, 300))
    await report(client, unique_id, "evening", figures(2, 500))
    assert (await status_of(client, unique_id, fan))["state"] == "waiting"

    answer = await report(client, unique_id, "evening", figures(0, 500, held=2, sold=498))
    assert answer == {"queue_state": "sold_out", "remaining_total": 0}
    # fans are told at once (this process dropped its cached view), and keep polling
    status = await status_of(client, unique_id, fan)
    assert status["state"] == "sold_out" and status["stock_may_return"] is True
    assert status["tickets_remaining"] == 0 and status["poll_after_ms"] > 0
    refused = await join(client, unique_id)
    assert refused.status_code == 409 and refused.json()["state"] == "sold_out"
    page = await client.get(f"/q/{unique_id}", headers={**fan, "accept-language": "en"})
    assert "some may come back" in page.text
    queue = await admin_view(client, unique_id, admin_headers)
    assert queue["state"] == "sold_out" and queue["sold_out_by_stock"] is True
    assert queue["stock"]["sold_out"] is True

    # a held cart runs out: 2 tickets are back, the queue reopens where it stood
    answer = await report(client, unique_id, "evening", figures(2, 500, held=0, sold=498))
    assert answer == {"queue_state": "open", "remaining_total": 2}
    status = await status_of(client, unique_id, fan)
    assert status["state"] == "waiting" and "stock_may_return" not in status
    assert (await join(client, unique_id)).status_code == 201
    queue = await admin_view(client, unique_id, admin_headers)
    assert queue["state"] == "open" and "sold_out_by_stock" not in queue


async def test_reopening_admits_no_places_banked_while_sold_out(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    await make_queue(client, unique_id, admin_headers, rate_per_minute=120, burst=50)
    for _ in range(12):
        assert (await join(client, unique_id)).status_code == 201
    await report(client, unique_id, "only", figures(0, 10))
    before = (await admin_view(client, unique_id, admin_headers))["serving_position"]
    await asyncio.sleep(2.5)  # nobody reads the queue meanwhile: 5 places at the open rate
    await report(client, unique_id, "only", figures(1, 10))
    after = (await admin_view(client, unique_id, admin_headers))["serving_position"]
    assert after - before <= 1


async def test_a_paused_queue_sold_out_by_stock_returns_to_paused(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    await make_queue(client, unique_id, admin_headers, state="paused", pause_reason="Sound check")
    answer = await report(client, unique_id, "only", figures(0, 10))
    assert answer["queue_state"] == "sold_out"
    answer = await report(client, unique_id, "only", figures(3, 10))
    assert answer["queue_state"] == "paused"
    assert (await admin_view(client, unique_id, admin_headers))["pause_reason"] == "Sound check"


async def test_the_organizers_decision_stands(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    admin = f"/api/v1/admin/queues/{unique_id}"
    await make_queue(client, unique_id, admin_headers, state="closed")
    assert (await report(client, unique_id, "only", figures(0, 10)))["queue_state"] == "closed"
    assert (await report(client, unique_id, "only", figures(5, 10)))["queue_state"] == "closed"

    # the organizer sells out a queue that still has stock: a refund does not reopen it
    await client.put(admin, json={"state": "sold_out"}, headers=admin_headers)
    assert (await report(client, unique_id, "only", figures(6, 10)))["queue_state"] == "sold_out"
    fan_view = await admin_view(client, unique_id, admin_headers)
    assert fan_view["sold_out_by_stock"] is False

    # sold out by stock, then reopened by the organizer: re-reports of the same figures keep
    # the queue open, until stock comes back and runs out again
    await client.put(admin, json={"state": "open"}, headers=admin_headers)
    assert (await report(client, unique_id, "only", figures(0, 10)))["queue_state"] == "sold_out"
    await client.put(admin, json={"state": "open"}, headers=admin_headers)
    assert (await report(client, unique_id, "only", figures(0, 10)))["queue_state"] == "open"
    assert (await report(client, unique_id, "only", figures(1, 10)))["queue_state"] == "open"
    assert (await report(client, unique_id, "only", figures(0, 10)))["queue_state"] == "sold_out"

    # an organizer who closes a queue sold out by stock keeps it closed
    await client.put(admin, json={"state": "closed"}, headers=admin_headers)
    assert (await report(client, unique_id, "only", figures(4, 10)))["queue_state"] == "closed"


async def test_an_older_report_never_overwrites_a_newer_one_but_its_sales_count(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    await make_queue(client, unique_id, admin_headers)
    minute = str(int(time.time() // 60))
    newer = figures(0, 10, version=2000, sold_by_minute={minute: 3})
    older = figures(1, 10, version=1000, sold_by_minute={minute: 2})
    assert (await report(client, unique_id, "only", newer))["queue_state"] == "sold_out"
    answer = await report(client, unique_id, "only", older)  # overtaken on the way
    assert answer == {"queue_state": "sold_out", "remaining_total": 0, "stale": True}
    same = await report(client, unique_id, "only", figures(0, 10, version=2000))
    assert "stale" not in same  # a periodic re-report of the same read is accepted
    live = await client.get(f"/api/v1/admin/queues/{unique_id}/live", headers=admin_headers)
    assert live.json()["series"]["sales_per_minute"][-1] == 5
    stock = (await admin_view(client, unique_id, admin_headers))["stock"]
    assert stock["events"][0]["version"] == 2000


async def test_organizers_remove_an_event_from_the_queue(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    events = f"/api/v1/admin/queues/{unique_id}/events"
    await make_queue(client, unique_id, admin_headers)
    await report(client, unique_id, "matinee", figures(0, 300))
    await report(client, unique_id, "test-event", figures(5, 5))
    assert (await admin_view(client, unique_id, admin_headers))["state"] == "open"

    removed = await client.delete(f"{events}/test-event", headers=admin_headers)
    assert removed.status_code == 200, removed.text
    body = removed.json()
    assert body["queue_state"] == "sold_out" and body["had_figures"] is True
    assert [event["event_id"] for event in body["stock"]["events"]] == ["matinee"]
    assert body["stock"]["removed_event_ids"] == ["test-event"]
    refused = await client.put(
        stock_url(unique_id, "test-event"), json=figures(5, 5), headers=site_headers(unique_id)
    )
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/event-removed")
    assert refused.headers["content-type"] == "application/problem+json"

    restored = await client.post(f"{events}/test-event/restore", headers=admin_headers)
    assert restored.json() == {"queue_id": unique_id, "event_id": "test-event", "restored": True}
    assert (await report(client, unique_id, "test-event", figures(5, 5)))["queue_state"] == "open"
    audit = await client.get(f"/api/v1/admin/queues/{unique_id}/audit", headers=admin_headers)
    actions = [entry["action"] for entry in audit.json()["entries"]]
    assert actions[:4] == ["reopen", "event_restore", "sold_out", "event_remove"]

    # removing every event: nothing is reported, so nothing is sold out by stock
    await client.delete(f"{events}/matinee", headers=admin_headers)
    gone = await client.delete(f"{events}/test-event", headers=admin_headers)
    assert gone.json()["queue_state"] == "open" and gone.json()["stock"]["events"] == []
    fan = await waiting_fan(client, unique_id)
    assert "tickets_remaining" not in await status_of(client, unique_id, fan)
    unknown = await client.delete(f"{events}/never-reported", headers=admin_headers)
    assert unknown.status_code == 200 and unknown.json()["had_figures"] is False
    assert (await client.delete(f"{events}/x", headers={})).status_code == 401
    missing = await client.delete(
        "/api/v1/admin/queues/no-such-queue-here/events/x", headers=admin_headers
    )
    assert missing.status_code == 404


BAD_REPORTS: list[tuple[Any, str]] = [
    ({}, "remaining"),
    ({"remaining": -1}, "remaining"),
    ({"remaining": 1.5}, "remaining"),
    ({"remaining": True}, "remaining"),
    ({"remaining": "12"}, "remaining"),
    ({"remaining": 2**31}, "remaining"),
    ({"remaining": 11, "capacity": 10}, "remaining"),
    ({"remaining": 1, "remainig": 2}, "remainig"),
    ({"remaining": 1, "held": None, "sold": -4}, "sold"),
    ({"remaining": 1, "tiers": {"ga": 1}}, "tiers"),
    ({"remaining": 1, "tiers": [{"tier_id": "ga"}]}, "tiers[0].remaining"),
    ({"remaining": 1, "tiers": [{"tier_id": "bad id", "remaining": 1}]}, "tiers[0].tier_id"),
    ({"remaining": 1, "tiers": [{"tier_id": "a", "remaining": 1}] * 2}, "tiers[1].tier_id"),
    ({"remaining": 1, "tiers": [{"tier_id": "a", "remaining": 1, "price": 5}]}, "tiers[0].price"),
    (
        {"remaining": 1, "tiers": [{"tier_id": "a", "remaining": 3, "capacity": 2}]},
        "tiers[0].remaining",
    ),
    (
        {"remaining": 1, "tiers": [{"tier_id": "a", "remaining": 1, "name": "x" * 201}]},
        "tiers[0].name",
    ),
    ({"remaining": 1, "sold_by_minute": {"yesterday": 4}}, "sold_by_minute"),
    ({"remaining": 1, "sold_by_minute": {"-5": 4}}, "sold_by_minute"),
    ({"remaining": 1, "sold_by_minute": {"29600000": 10**7}}, "sold_by_minute"),
    ({"remaining": 1, "sold_by_minute": {str(m): 1 for m in range(241)}}, "sold_by_minute"),
    ({"remaining": 1, "version": -1}, "version"),
]


@pytest.mark.parametrize(("body", "field"), BAD_REPORTS)
async def test_bad_stock_reports_get_problem_bodies(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str], body: Any, field: str
) -> None:
    await make_queue(client, unique_id, admin_headers)
    response = await client.put(
        stock_url(unique_id, "only"), json=body, headers=site_headers(unique_id)
    )
    assert response.status_code == 400, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["status"] == 400 and problem["field"] == field and problem["detail"]
    assert (await admin_view(client, unique_id, admin_headers))["stock"] is None  # nothing kept


async def test_bad_bodies_event_ids_and_queues_get_problem_bodies(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    await make_queue(client, unique_id, admin_headers)
    headers = site_headers(unique_id)
    url = stock_url(unique_id, "only")
    for content in (b"not json", b"[1, 2]", b'"text"', b"{" * 40_000):
        response = await client.put(url, content=content, headers=headers)
        assert response.status_code == 400 and response.json()["status"] == 400
    bad_event = await client.put(
        stock_url(unique_id, "-starts-with-a-dash"), json=figures(1, 1), headers=headers
    )
    assert bad_event.status_code == 400 and bad_event.json()["field"] == "event_id"
    other = "no-such-queue-" + unique_id
    missing = await client.put(
        stock_url(other, "only"), json=figures(1, 1), headers=site_headers(other)
    )
    assert missing.status_code == 404 and missing.json()["type"].endswith("/queue-not-found")
    wrong_method = await client.post(url, json=figures(1, 1), headers=headers)
    assert wrong_method.status_code == 405


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer something",
        "Site",
        "Site not-a-token",
        "Site " + "a" * 2000,
        "site-for-another-queue",
        "forged",
        "expired",
    ],
)
async def test_bad_site_authentication_gets_problem_bodies(
    client: httpx.AsyncClient,
    unique_id: str,
    admin_headers: dict[str, str],
    authorization: str | None,
) -> None:
    await make_queue(client, unique_id, admin_headers)
    if authorization == "site-for-another-queue":
        authorization = site_headers("another-queue")["authorization"]
    elif authorization == "forged":
        authorization = tampered(site_headers(unique_id)["authorization"])
    elif authorization == "expired":
        old = future_token(SECRET_KEYS, SITE_AUTH_SALT, {"q": unique_id}, -600)
        authorization = f"Site {old}"
    headers = {} if authorization is None else {"authorization": authorization}
    response = await client.put(stock_url(unique_id, "only"), json=figures(0, 1), headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/site-auth-rejected")
    assert response.headers["www-authenticate"].startswith("Site")
    queue = await admin_view(client, unique_id, admin_headers)
    assert queue["state"] == "open" and queue["stock"] is None
