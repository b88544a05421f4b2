"""Two waiting-room processes on one Redis admit exactly the set rate overall."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from redis.asyncio import Redis

from tests.support.servers import ServerProcess
from waitroom.storage.keys import QueueKeys

RATE_PER_MINUTE = 1200
FANS = 400
WINDOW_SECONDS = 6.0


@pytest.mark.slow
async def test_two_processes_admit_exactly_the_rate(
    waitroom_server: ServerProcess,
    second_waitroom_server: ServerProcess,
    admin_headers: dict[str, str],
    redis: Redis,
    unique_id: str,
) -> None:
    servers = [waitroom_server, second_waitroom_server]
    # 400 pollers share 50 connections: on a busy machine a poll may wait longer for one
    # than httpx's 5 s default; the window's deadline, not the pool, ends the polling
    async with httpx.AsyncClient(
        limits=httpx.Limits(max_connections=50), timeout=httpx.Timeout(10.0, pool=None)
    ) as client:
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
        # where the pointer stood at its last step (the open, or a view read right after it):
        # place, fraction of a place (credit, in place-milliseconds per minute) and time
        started = await redis.hmget(
            QueueKeys(unique_id).counters, ["serving", "credit", "last_ms"]
        )
        started_serving, started_credit, started_ms = (int(value or 0) for value in started)
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

        # a task group: a poll that fails cancels the others, whose connections then close
        # with the client (left running, their sockets were collected in a later test)
        async with asyncio.TaskGroup() as polls:
            for index in range(FANS):
                polls.create_task(poll(index))
        # freeze admission, then every fan's answer must agree with the pointer, on both servers
        seconds, microseconds = await redis.time()
        before_pause_ms = seconds * 1000 + microseconds // 1000
        await client.put(url, json={"state": "paused"}, headers=admin_headers)
        frozen_raw, paused_ms_raw = await redis.hmget(
            QueueKeys(unique_id).counters, ["serving", "last_ms"]
        )
        frozen, paused_ms = int(frozen_raw or 0), int(paused_ms_raw or 0)
        await asyncio.sleep(0.6)  # both processes' view caches refresh
        for index, token in enumerate(tokens):
            base = servers[index % 2].base_url
            answer = (
                await client.get(
                    f"{base}/api/v1/queues/{unique_id}/status",
                    headers={"Authorization": f"Bearer {token}"},
                )
            ).json()
            expected_state = "admitted" if answer["position"] <= frozen else "paused"
            assert answer["state"] == expected_state, (answer, frozen)
    serving = int(await redis.hget(QueueKeys(unique_id).counters, "serving") or 0)
    # exact: the pointer moved by rate x elapsed Redis time, whichever process advanced it. The
    # pause settled it at a Redis time between the clock read before it was sent and the last
    # step recorded after it (a view read of the paused queue may record a later time)
    def pointer_at(time_ms: int) -> int:
        units = started_credit + (time_ms - started_ms) * RATE_PER_MINUTE
        return started_serving + units // 60000

    assert pointer_at(before_pause_ms) <= serving <= pointer_at(paused_ms)
    # every fan told "admitted" while polling really was within the pointer
    assert admitted_seen and max(admitted_seen) <= serving == frozen
