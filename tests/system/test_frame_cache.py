"""The shared queue frame: one cacheable document per queue (``waitroom/fan/frame.py``), and
the nginx micro-cache of ``deploy/nginx/waitroom.conf`` in a real nginx in front of
``waitroom serve``: many fans' frame requests, few at the origin."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import NO_WAITING_ROOM, server_environment
from tests.support.abuse_support import create_queue, running_app
from tests.support.servers import ServerProcess
from tests.system.test_nginx_limits import ADMIN_HEADERS, CONFIG, NGINX, Proxy, render
from waitroom.storage.embedded_redis import free_port, stop_process


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
    if not Path(NGINX).exists():
        pytest.skip("nginx is not installed")
    environment = server_environment(redis_url, **NO_WAITING_ROOM)
    root = tmp_path_factory.mktemp("nginx-frame")
    # the cache directory must be writable by nginx's worker user (not the test's tmp dir)
    frames = tempfile.mkdtemp(prefix="waitroom-frames-")
    os.chmod(frames, 0o777)
    with ServerProcess("", environment, serve_app="waitroom") as waitroom:
        ports = Proxy(free_port(), free_port())
        site = render(
            CONFIG.read_text(), (waitroom.port, free_port()), (ports.queue_port, ports.shop_port)
        )
        site = site.replace("/var/cache/nginx/waitroom_frames", frames)
        (root / "site.conf").write_text(site)
        (root / "nginx.conf").write_text(
            f"worker_processes 1;\npid {root}/nginx.pid;\nerror_log {root}/error.log warn;\n"
            "events { worker_connections 1024; }\n"
            f"http {{\n  access_log {root}/access.log;\n"
            f"  client_body_temp_path {root}/body;\n"
            f"  proxy_temp_path {root}/proxy;\n  include {root}/site.conf;\n}}\n"
        )
        command = [NGINX, "-p", str(root), "-c", str(root / "nginx.conf"), "-g", "daemon off;"]
        checked = subprocess.run([*command[:-2], "-t"], capture_output=True, check=False)
        assert checked.returncode == 0, checked.stderr.decode()
        process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{ports.queue_url}/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.05)
            yield ports
        finally:
            stop_process(process)
            shutil.rmtree(frames, ignore_errors=True)


def test_nginx_answers_nearly_every_frame_request_from_its_cache(
    cached_proxy: Proxy, unique_id: str
) -> None:
    base = cached_proxy.queue_url
    created = httpx.put(
        f"{base}/api/v1/admin/queues/{unique_id}", json={"rate_per_minute": 600},
        headers=ADMIN_HEADERS,
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
