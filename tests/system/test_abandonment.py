"""Abandoned places do not consume admission capacity; the active-shopper cap holds the pointer.

Time here is Redis time (the admission script reads TIME), so these tests use a short
abandonment period (2 s, the script's floor) and wait for real.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from tests.support.abuse_support import ADMIN_HEADERS, admin_document, create_queue, running_app
from waitroom.connector import ConnectorClient, ConnectorSettings, PassClaims
from waitroom.storage.embedded_redis import EmbeddedRedis, free_port
from waitroom.storage.keys import QueueKeys


async def join_fans(client: httpx.AsyncClient, queue_id: str, count: int) -> list[str]:
    tokens = []
    for _ in range(count):
        client.cookies.clear()
        response = await client.post(f"/api/v1/queues/{queue_id}/join")
        assert response.status_code == 201
        tokens.append(response.json()["token"])
    client.cookies.clear()
    return tokens


async def poll(client: httpx.AsyncClient, queue_id: str, token: str) -> dict[str, object]:
    response = await client.get(
        f"/api/v1/queues/{queue_id}/status", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


@pytest.mark.slow
async def test_only_live_fans_use_the_rate(redis_url: str, redis: Redis, unique_id: str) -> None:
    async with running_app(redis_url) as (_, client):
        await create_queue(client, unique_id, rate_per_minute=0, abandon_after_seconds=2, burst=1)
        tokens = await join_fans(client, unique_id, 20)
        live = tokens[0::2]  # places 1, 3, 5, ... keep polling; 2, 4, 6, ... closed the page
        admitted_live: set[int] = set()

        async def keep_polling(seconds: float) -> None:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                for token in live:
                    body = await poll(client, unique_id, token)
                    if body["state"] == "admitted":
                        admitted_live.add(int(str(body["position"])))
                await asyncio.sleep(0.2)

        await keep_polling(4.5)  # two full periods: the silent places are now abandoned
        assert admitted_live == set()
        started = time.monotonic()
        await create_queue(client, unique_id, rate_per_minute=120)  # 2 live fans per second
        await keep_polling(4.0)
        elapsed = time.monotonic() - started
        document = await admin_document(client, unique_id)
        expected_live = 2 * elapsed
        assert abs(len(admitted_live) - expected_live) <= 2, (admitted_live, elapsed)
        assert admitted_live <= {1, 3, 5, 7, 9, 11, 13, 15, 17, 19}
        serving = document["serving_position"]
        # every abandoned place the pointer passed was skipped, none used the rate
        assert document["abandoned_total"] == serving // 2
        assert document["abandonment_rate"] > 0.4
        skipped = QueueKeys(unique_id).skipped
        assert await redis.getbit(skipped, 2) == 1 and await redis.getbit(skipped, 1) == 0


async def test_left_places_are_skipped_even_without_abandonment_tracking(
    redis_url: str, redis: Redis, unique_id: str
) -> None:
    async with running_app(redis_url) as (_, client):
        await create_queue(client, unique_id, rate_per_minute=0, abandon_after_seconds=0, burst=1)
        await join_fans(client, unique_id, 4)
        await redis.setbit(QueueKeys(unique_id).left, 2, 1)
        await redis.setbit(QueueKeys(unique_id).left, 3, 1)
        await create_queue(client, unique_id, rate_per_minute=6000)
        await asyncio.sleep(0.3)
        document = await admin_document(client, unique_id)
        # places 1 and 4 used the rate, 2 and 3 were skipped; then the burst room (one place)
        assert document["abandoned_total"] == 2
        assert document["serving_position"] == 5


async def test_active_shopper_cap_holds_the_pointer(
    redis_url: str, redis: Redis, unique_id: str
) -> None:
    """Sessions count by their real deadline (through the connector API): a claim adds, an
    extension moves, an end frees the slot at once."""
    async with running_app(redis_url) as (app, client):
        runtime = app.state.runtime
        settings = ConnectorSettings(runtime.settings.secret_keys, unique_id, "/q", "")
        site = ConnectorClient(settings, httpx.ASGITransport(app=app))
        await create_queue(client, unique_id, rate_per_minute=0, active_shopper_cap=2, burst=1)
        await join_fans(client, unique_id, 10)
        expiry = int(time.time()) + 600
        for number in range(2):
            token = runtime.passes.issue(PassClaims(unique_id, "h" * 22, f"pass{number}", expiry))
            grant = await site.claim(token, f"session-number-{number}")
            assert grant.created and grant.deadline == expiry
        assert (await admin_document(client, unique_id))["active_sessions"] == 2
        granted = await site.extend("pass1", expiry + 7200)  # at most the session maximum
        assert (
            granted
            == int(await redis.hget(QueueKeys(unique_id).pass_record("pass1"), "claimed_at")) + 3600
        )
        await create_queue(client, unique_id, rate_per_minute=6000)
        await asyncio.sleep(0.5)
        assert (await admin_document(client, unique_id))["serving_position"] == 0
        await site.end("pass0")
        await site.end("pass0")  # idempotent
        assert (await admin_document(client, unique_id))["active_sessions"] == 1
        await asyncio.sleep(0.5)
        assert (await admin_document(client, unique_id))["serving_position"] > 0
        await site.aclose()


@pytest.mark.slow
async def test_a_store_outage_does_not_make_everyone_look_gone(tmp_path: Path) -> None:
    """Heartbeats cannot be recorded while Redis is down; after it comes back the engine
    watches a full period again before it judges anyone."""
    server = EmbeddedRedis(port=free_port(), data_dir=tmp_path / "redis", appendfsync_always=True)
    server.start()
    try:
        async with running_app(server.url) as (_, client):
            await create_queue(client, "outage", rate_per_minute=0, abandon_after_seconds=2)
            tokens = await join_fans(client, "outage", 4)
            deadline = time.monotonic() + 2.5
            while time.monotonic() < deadline:
                for token in tokens:
                    await poll(client, "outage", token)
                await asyncio.sleep(0.2)
            server.kill()
            await asyncio.sleep(4.5)  # two periods without any heartbeat reaching Redis
            server.restart()
            for _ in range(50):  # pooled connections to the old process fail once, then heal
                response = await client.put(
                    "/api/v1/admin/queues/outage",
                    json={"rate_per_minute": 6000},
                    headers=ADMIN_HEADERS,
                )
                if response.status_code == 200:
                    break
                await asyncio.sleep(0.1)
            assert response.status_code == 200
            await asyncio.sleep(0.3)
            document = await admin_document(client, "outage")
            assert document["abandoned_total"] == 0
            for token in tokens:
                assert (await poll(client, "outage", token))["state"] == "admitted"
    finally:
        server.stop()
