"""Join rate limits per address and per network, and a join flood against a real server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import METRICS_HEADERS, server_environment
from tests.support.abuse_support import ADMIN_HEADERS, admin_document, create_queue, running_app
from tests.support.servers import ServerProcess

LIMITED = {
    "WAITROOM_JOIN_LIMIT_PER_IP": "5/minute",
    "WAITROOM_JOIN_LIMIT_PER_SUBNET": "8/minute",
    "WAITROOM_JOIN_LIMIT_EXEMPT_NETWORKS": "none",
    "WAITROOM_TRUSTED_PROXY_COUNT": "1",
}


def forwarded(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def test_per_address_limit_answers_429_with_retry_after(
    redis_url: str, unique_id: str
) -> None:
    async with running_app(redis_url, **LIMITED) as (_, client):
        await create_queue(client, unique_id, rate_per_minute=0)
        statuses = []
        for _ in range(7):
            client.cookies.clear()
            response = await client.post(
                f"/api/v1/queues/{unique_id}/join", headers=forwarded("203.0.113.10")
            )
            statuses.append(response.status_code)
        assert statuses == [201] * 5 + [429] * 2
        assert 1 <= int(response.headers["retry-after"]) <= 60
        assert response.json()["limit"] == "address"
        # someone else is not affected
        client.cookies.clear()
        other = await client.post(
            f"/api/v1/queues/{unique_id}/join", headers=forwarded("198.51.100.20")
        )
        assert other.status_code == 201
        assert (await admin_document(client, unique_id))["tail_position"] == 6
        metrics = (await client.get("/metrics", headers=METRICS_HEADERS)).text
        line = f'waitroom_join_rejections_total{{queue="{unique_id}",reason="too-many-joins"}} 2.0'
        assert line in metrics


async def test_per_network_limit_catches_many_addresses_of_one_subnet(
    redis_url: str, unique_id: str
) -> None:
    async with running_app(redis_url, **LIMITED) as (_, client):
        await create_queue(client, unique_id, rate_per_minute=0)
        statuses = []
        for host in range(1, 12):
            client.cookies.clear()
            response = await client.post(
                f"/api/v1/queues/{unique_id}/join", headers=forwarded(f"203.0.113.{host}")
            )
            statuses.append(response.status_code)
        assert statuses.count(201) == 8
        assert response.status_code == 429 and response.json()["limit"] == "network"


async def test_a_place_already_held_is_not_limited(redis_url: str, unique_id: str) -> None:
    async with running_app(redis_url, **LIMITED) as (_, client):
        await create_queue(client, unique_id, rate_per_minute=0)
        first = await client.post(
            f"/api/v1/queues/{unique_id}/join", headers=forwarded("203.0.113.44")
        )
        assert first.status_code == 201
        # many tabs of one browser: the position cookie proves the place; no new place, no 429
        for _ in range(10):
            again = await client.post(
                f"/api/v1/queues/{unique_id}/join", headers=forwarded("203.0.113.44")
            )
            assert again.status_code == 200
            assert again.json()["position"] == first.json()["position"]


async def test_loopback_is_exempt_by_default(redis_url: str, unique_id: str) -> None:
    async with running_app(
        redis_url, client_address="127.0.0.1", WAITROOM_JOIN_LIMIT_PER_IP="2/minute"
    ) as (_, client):
        await create_queue(client, unique_id, rate_per_minute=0)
        for _ in range(4):
            client.cookies.clear()
            response = await client.post(f"/api/v1/queues/{unique_id}/join")
            assert response.status_code == 201


@pytest.fixture
def limited_server(redis_url: str) -> Iterator[ServerProcess]:
    environment = server_environment(
        redis_url, **{**LIMITED, "WAITROOM_JOIN_LIMIT_PER_IP": "20/minute"}
    )
    environment["WAITROOM_JOIN_LIMIT_PER_SUBNET"] = "100/minute"
    server = ServerProcess("waitroom.web.app:create_app_from_environ", environment).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.stress
@pytest.mark.slow
async def test_join_flood_from_one_address_leaves_the_page_responsive(
    limited_server: ServerProcess, unique_id: str
) -> None:
    base = limited_server.base_url
    async with httpx.AsyncClient(base_url=base, timeout=10) as admin:
        response = await admin.put(
            f"/api/v1/admin/queues/{unique_id}", json={"rate_per_minute": 0}, headers=ADMIN_HEADERS
        )
        assert response.status_code == 201
    limits = httpx.Limits(max_connections=50)
    flood_statuses: list[int] = []
    retry_after: set[str] = set()

    async def flood() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=10, limits=limits) as attacker:
            async def one() -> None:
                reply = await attacker.post(
                    f"/api/v1/queues/{unique_id}/join", headers=forwarded("203.0.113.66")
                )
                attacker.cookies.clear()
                flood_statuses.append(reply.status_code)
                if reply.status_code == 429:
                    retry_after.add(reply.headers["retry-after"])

            await asyncio.gather(*(one() for _ in range(400)))

    page_latencies: list[float] = []

    async def fan() -> None:
        await asyncio.sleep(0.2)  # the flood is under way
        async with httpx.AsyncClient(base_url=base, timeout=10) as visitor:
            for _ in range(5):
                visitor.cookies.clear()
                started = time.perf_counter()
                page = await visitor.get(f"/q/{unique_id}", headers=forwarded("198.51.100.8"))
                page_latencies.append(time.perf_counter() - started)
                assert page.status_code == 200
                assert "Waiting room" in page.text

    await asyncio.gather(flood(), fan())
    assert flood_statuses.count(201) == 20
    assert flood_statuses.count(429) == 380
    assert retry_after and all(int(value) >= 1 for value in retry_after)
    # the other fan got a page every time, quickly, while 400 joins hammered the server
    assert max(page_latencies) < 2.0, page_latencies
