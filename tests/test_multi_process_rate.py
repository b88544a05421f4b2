"""Two waiting-room processes on one Redis admit exactly the set rate overall."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
from redis.asyncio import Redis

from tests.conftest import server_environment
from tests.servers import ServerProcess
from waitroom.keys import QueueKeys

RATE_PER_MINUTE = 1200
FANS = 400
WINDOW_SECONDS = 6.0


@pytest.fixture
def second_waitroom(redis_url: str) -> Iterator[ServerProcess]:
    server = ServerProcess("waitroom.app:create_app_from_environ", server_environment(redis_url))
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_two_processes_admit_exactly_the_rate(
    waitroom_server: ServerProcess,
    second_waitroom: ServerProcess,
    admin_headers: dict[str, str],
    redis: Redis,
    unique_id: str,
) -> None:
    servers = [waitroom_server, second_waitroom]
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=50)) as client:
        url = f"{servers[0].base_url}/api/v1/admin/queues/{unique_id}"
        (
            await client.put(url, json={"rate_per_minute": 0}, headers=admin_headers)
        ).raise_for_status()
        tokens: list[str] = []
        for index in range(FANS):
            base = servers[index % 2].base_url
            response = await client.post(f"{base}/api/v1/queues/{unique_id}/join")
            tokens.append(response.json()["token"])
            client.cookies.clear()
        opened = await client.put(
            f"{servers[1].base_url}/api/v1/admin/queues/{unique_id}",
            json={"rate_per_minute": RATE_PER_MINUTE},
            headers=admin_headers,
        )
        opened.raise_for_status()
        started_ms = int(await redis.hget(QueueKeys(unique_id).counters, "last_ms") or 0)
        admitted_seen: set[int] = set()
        deadline = time.monotonic() + WINDOW_SECONDS

        async def poll(index: int) -> None:
            base = servers[index % 2].base_url
            while time.monotonic() < deadline:
                response = await client.get(
                    f"{base}/api/v1/queues/{unique_id}/status",
                    headers={"Authorization": f"Bearer {tokens[index]}"},
                )
                assert response.status_code == 200
                body = response.json()
                if body["state"] == "admitted":
                    admitted_seen.add(int(body["position"]))
                    return
                await asyncio.sleep(0.3)

        await asyncio.gather(*(poll(index) for index in range(FANS)))
    counters = QueueKeys(unique_id).counters
    serving = int(await redis.hget(counters, "serving") or 0)
    settled_ms = int(await redis.hget(counters, "last_ms") or 0)
    # exact: the pointer equals rate x elapsed Redis time, whichever process advanced it
    assert serving == (settled_ms - started_ms) * RATE_PER_MINUTE // 60000
    elapsed_minutes = (settled_ms - started_ms) / 60000
    assert abs(serving - RATE_PER_MINUTE * elapsed_minutes) <= max(1, 0.01 * serving)
    # every fan told "admitted" really is within the pointer; all but those admitted in the last
    # poll interval have seen it
    assert admitted_seen and max(admitted_seen) <= serving
    assert len(admitted_seen) >= serving - RATE_PER_MINUTE // 60
