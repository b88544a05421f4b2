"""The shared queue frame: one cacheable document per queue (``waitroom/fan/frame.py``), and
the nginx micro-cache of ``deploy/nginx/waitroom.conf`` in a real nginx in front of
``waitroom serve``: many fans' frame requests, few at the origin."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN, NO_WAITING_ROOM, server_environment
from tests.support.abuse_support import create_queue, running_app
from tests.support.nginx import Proxy, nginx_installed, running_nginx
from tests.support.servers import ServerProcess
from waitroom.storage.embedded_redis import free_port


async def test_the_frame_is_public_cacheable_and_answers_304(
    redis_url: str, unique_id: str
) -> None:
    async with running_app(redis_url) as (_, client):
        await create_queue(client, unique_id, rate_per_minute=0, abandon_after_seconds=120)
        for _ in range(3):
            client.cookies.clear()
            assert (await client.post(f"/api/v1/queues/{unique_id}/join")).status_code == 201
        client.cookies.clear()
        response = await client.get(f"/api/v1/queues/{unique_id}/frame")
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, max-age=1"
        assert "set-cookie" not in response.headers
        frame = response.json()
        assert frame["state"] == "paused" and frame["tail"] == 3 and frame["serving"] == 0
        assert frame["queue_length"] == 3 and frame["heartbeat_after_ms"] == 30_000
        assert frame["away_grace_seconds"] == 900 and frame["eta_spread"] == [0.4, 0.2]
        etag = response.headers["etag"]
        again = await client.get(
            f"/api/v1/queues/{unique_id}/frame", headers={"if-none-match": etag}
        )
        assert again.status_code == 304 and again.content == b""
        missing = await client.get("/api/v1/queues/nope-no-queue/frame")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")
        bad = await client.get("/api/v1/queues/" + "x" * 300 + "/frame")
        assert bad.status_code == 404


@pytest.fixture(scope="module")
def cached_proxy(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    if not nginx_installed():
        pytest.skip("nginx is not installed")
    environment = server_environment(redis_url, **NO_WAITING_ROOM)
    with (
        ServerProcess("", environment, serve_app="waitroom") as waitroom,
        # no shop behind this nginx: its upstream is a closed port
        running_nginx(
            tmp_path_factory.mktemp("nginx-frame"), (waitroom.port, free_port()), access_log=True
        ) as nginx,
    ):
        yield nginx


def test_nginx_answers_nearly_every_frame_request_from_its_cache(
    cached_proxy: Proxy, unique_id: str
) -> None:
    base = cached_proxy.queue_url
    created = httpx.put(
        f"{base}/api/v1/admin/queues/{unique_id}", json={"rate_per_minute": 600},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert created.status_code == 201
    statuses: list[str] = []
    servings: list[int] = []
    with httpx.Client(base_url=base) as fans:
        token = fans.post(f"/api/v1/queues/{unique_id}/join").json()["token"]
        started = time.monotonic()
        while time.monotonic() - started < 3.0:  # 300 fans' frame requests over 3 s
            response = fans.get(
                f"/api/v1/queues/{unique_id}/frame", headers={"cookie": f"t={token}"}
            )
            assert response.status_code == 200
            assert "set-cookie" not in response.headers
            statuses.append(response.headers["x-cache-status"])
            servings.append(response.json()["serving"])
            time.sleep(0.01)
    misses = [s for s in statuses if s in {"MISS", "EXPIRED"}]
    # about one origin request per second (plus background renewals, counted as UPDATING/HIT)
    assert len(statuses) > 100 and len(misses) <= 8, statuses
    assert statuses.count("HIT") + statuses.count("UPDATING") >= len(statuses) - 8
    assert servings == sorted(servings) and servings[-1] > servings[0]  # the frame moves on
    # a client that has the frame gets a 304 from nginx
    etag = httpx.get(f"{base}/api/v1/queues/{unique_id}/frame").headers["etag"]
    assert re.fullmatch(r'(W/)?"[0-9a-f]+"', etag)
