"""Organizer changes reach every process within a second; pause/resume never bursts."""

from __future__ import annotations

import asyncio
import re
import time

import httpx
from redis.asyncio import Redis

from tests.conftest import METRICS_HEADERS
from tests.support.servers import ServerProcess
from waitroom.admission import AdmissionStore


def _rate_seen_by(server: ServerProcess, queue_id: str) -> float | None:
    text = httpx.get(f"{server.base_url}/metrics", headers=METRICS_HEADERS).text
    found = re.search(
        r'^waitroom_admission_rate_per_minute\{queue="' + queue_id + r'"\} (\S+)$', text, re.M
    )
    return float(found.group(1)) if found else None


def test_rate_change_is_seen_by_a_second_process_within_a_second(
    waitroom_server: ServerProcess,
    second_waitroom_server: ServerProcess,
    unique_id: str,
    admin_headers: dict[str, str],
) -> None:
    url = f"{waitroom_server.base_url}/api/v1/admin/queues/{unique_id}"
    assert httpx.put(url, json={"rate_per_minute": 60}, headers=admin_headers).status_code == 201
    # the second process caches the view
    assert _rate_seen_by(second_waitroom_server, unique_id) == 60
    changed_at = time.monotonic()
    assert httpx.put(url, json={"rate_per_minute": 240}, headers=admin_headers).status_code == 200
    while _rate_seen_by(second_waitroom_server, unique_id) != 240:
        assert time.monotonic() - changed_at < 1.0, "second process still shows the old rate"
        time.sleep(0.02)
    assert time.monotonic() - changed_at < 1.0


async def _serving(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> int:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200
    return int(response.json()["admitted_total"])


async def test_pause_stops_admission_and_resume_restarts_without_a_burst(
    waitroom_server: ServerProcess,
    second_waitroom_server: ServerProcess,
    redis: Redis,
    unique_id: str,
    admin_headers: dict[str, str],
) -> None:
    store = AdmissionStore(redis, default_burst=10)
    url = f"{waitroom_server.base_url}/api/v1/admin/queues/{unique_id}"
    async with httpx.AsyncClient() as client:
        created = await client.put(url, json={"rate_per_minute": 600}, headers=admin_headers)
        assert created.status_code == 201
        for index in range(300):
            await store.join(unique_id, f"visitor-{index:04d}-abcdefgh")
        paused = await client.put(
            url, json={"state": "paused", "pause_reason": "restock"}, headers=admin_headers
        )
        assert paused.status_code == 200
        at_pause = await _serving(client, url, admin_headers)
        # a fan just behind the pointer sees "paused" on the other process within a second
        second = second_waitroom_server.base_url
        join = await client.post(f"{second}/api/v1/queues/{unique_id}/join")
        assert join.status_code == 201
        deadline = time.monotonic() + 1.0
        while join.json()["state"] != "paused" and time.monotonic() < deadline:
            join = await client.post(
                f"{second_waitroom_server.base_url}/api/v1/queues/{unique_id}/join",
                headers={"authorization": f"Bearer {join.json()['token']}"},
            )
        assert join.json()["state"] == "paused"
        await asyncio.sleep(1.5)  # 15 admissions would have happened at 600 per minute
        assert await _serving(client, url, admin_headers) == at_pause
        resumed = await client.put(url, json={"state": "open"}, headers=admin_headers)
        assert resumed.status_code == 200
        at_resume = await _serving(client, url, admin_headers)
        assert at_resume - at_pause <= 1, "resume released capacity banked during the pause"
        await asyncio.sleep(1.0)
        after_second = await _serving(client, url, admin_headers)
        assert 8 <= after_second - at_resume <= 13  # ~10 per second again
