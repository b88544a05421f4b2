"""Scheduling an opening on a queue that is open already: fans who come from then on wait in a
pre-queue and get random places at the opening (a fresh, committed seed), fans who had places
keep them and nobody is let in before the opening. Short times over a real uvicorn process.
Also the organizer's local date and time: zones, the hour clocks skip, times that passed."""

from __future__ import annotations

import time
from datetime import UTC

import httpx
import pytest

from service_kit.errors import InvalidInput
from tests.support.admin_support import dashboard_csrf, login
from tests.support.servers import ServerProcess
from waitroom.organizer.local_time import parse_local, zone_label, zone_named
from waitroom.queue.shuffle_verify import verify_shuffle

OPENS_IN_SECONDS = 2.5


def test_an_opening_set_on_an_open_queue_makes_a_fair_prequeue(
    waitroom_server: ServerProcess, unique_id: str, admin_headers: dict[str, str]
) -> None:
    base = waitroom_server.base_url
    admin = f"{base}/api/v1/admin/queues/{unique_id}"
    join = f"{base}/api/v1/queues/{unique_id}/join"
    created = httpx.put(
        admin, json={"rate_per_minute": 60, "name": "Late schedule"}, headers=admin_headers
    )
    assert created.json()["prequeue"] is False  # created open, as organizers often do
    early = [httpx.post(join).json() for _ in range(4)]
    assert [fan["state"] for fan in early] == ["waiting"] * 4  # places 1-4, FIFO
    first = httpx.get(admin, headers=admin_headers).json()

    opens_at = time.time() + OPENS_IN_SECONDS
    scheduled = httpx.put(admin, json={"opens_at": opens_at}, headers=admin_headers).json()
    assert scheduled["prequeue"] is True
    assert scheduled["shuffle_seed_sha256"] != first["shuffle_seed_sha256"]  # a new draw
    assert "shuffle_seed" not in scheduled  # revealed only at the opening
    serving = scheduled["serving_position"]
    late = [httpx.post(join) for _ in range(6)]
    assert [answer.status_code for answer in late] == [201] * 6
    assert {answer.json()["state"] for answer in late} == {"prequeue"}
    assert {answer.json()["position"] for answer in late} == {0}  # no place before the draw
    before = httpx.get(f"{base}/api/v1/queues/{unique_id}/prequeue").json()
    assert before["opened"] is False and before["count"] == 6

    time.sleep(1.2)  # at 60/min the pointer would have moved: it waits for the opening
    waiting = httpx.get(admin, headers=admin_headers).json()
    assert waiting["serving_position"] == serving and waiting["prequeue_length"] == 6
    status = httpx.get(
        f"{base}/api/v1/queues/{unique_id}/status",
        headers={"Authorization": f"Bearer {late[0].json()['token']}"},
    ).json()
    assert status["state"] == "prequeue" and status["opens_at"] == pytest.approx(opens_at)

    time.sleep(max(0.0, opens_at - time.time()) + 0.6)
    opened = httpx.get(admin, headers=admin_headers).json()
    assert opened["prequeue"] is False and opened["tail_position"] == 10
    after = httpx.get(f"{base}/api/v1/queues/{unique_id}/prequeue").json()
    assert after["first_position"] == 5  # behind the four fans who had places
    assert verify_shuffle(after, before).ok
    for answer in late:
        place = httpx.get(
            f"{base}/api/v1/queues/{unique_id}/status",
            headers={"Authorization": f"Bearer {answer.json()['token']}"},
        ).json()
        assert 5 <= place["position"] <= 10
    audit = httpx.get(f"{admin}/audit", headers=admin_headers).json()["entries"]
    assert audit[0]["changes"] == {"opens_at": pytest.approx(opens_at)}


def test_local_times_in_the_organizers_zone() -> None:
    tallinn = zone_named("Europe/Tallinn")
    assert parse_local("2026-05-01T10:00", tallinn) == 1777618800.0  # 07:00 UTC (EEST)
    assert parse_local("2026-01-15T10:00:30", tallinn) == 1768464030.0  # 08:00:30 UTC (EET)
    assert parse_local("2026-05-01T10:00", zone_named(None)) == 1777629600.0  # no zone: UTC
    assert zone_named("Not/AZone") is UTC and zone_named("../etc/passwd") is UTC
    assert zone_label(tallinn, 1777618800.0) == "Europe/Tallinn (EEST, UTC+03:00)"
    with pytest.raises(InvalidInput, match="does not exist"):
        parse_local("2026-03-29T03:30", tallinn)  # clocks go from 03:00 to 04:00
    for bad in ("tomorrow", "2026-02-30T10:00", "2026-05-01 10:00", ""):
        with pytest.raises(InvalidInput):
            parse_local(bad, tallinn)


def test_the_dashboard_schedules_in_the_organizers_zone(
    waitroom_server: ServerProcess, unique_id: str, admin_headers: dict[str, str]
) -> None:
    base = waitroom_server.base_url
    admin = f"{base}/api/v1/admin/queues/{unique_id}"
    httpx.put(admin, json={"rate_per_minute": 30}, headers=admin_headers)
    with httpx.Client(base_url=base) as client:
        login(client, "erin")
        csrf = dashboard_csrf(client, unique_id)
        form = {"csrf_token": csrf, "action": "schedule", "time_zone": "Asia/Tokyo"}
        saved = client.post(
            f"/admin/queues/{unique_id}", data={**form, "opens_at_local": "2031-07-01T20:00"}
        )
        assert saved.status_code == 303
        assert httpx.get(admin, headers=admin_headers).json()["opens_at"] == 1940670000.0
        page = client.get(saved.headers["location"])  # the notice, once
        assert "Opening scheduled for Tue 1 Jul 2031, 20:00 (Asia/Tokyo (JST, UTC+09:00))" in (
            page.text
        )
        assert "Opening scheduled" not in client.get(f"/admin/queues/{unique_id}").text
        passed = client.post(
            f"/admin/queues/{unique_id}", data={**form, "opens_at_local": "2020-07-01T20:00"}
        )
        assert passed.status_code == 400 and "has passed" in passed.text
        assert httpx.get(admin, headers=admin_headers).json()["opens_at"] == 1940670000.0
