"""deploy/nginx/waitroom.conf in a real nginx in front of ``waitroom serve`` (both apps).

The file is used as shipped, except what a test machine cannot have: the upstream addresses
become the test servers, ``listen 443 ssl`` / ``http2`` / certificates become plain listeners
on loopback ports, the port-80 redirect server is dropped, and the head/body timeouts are
shortened from 10 s to 1 s so the test stays fast.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN, NO_WAITING_ROOM, server_environment
from tests.support.paths import REPOSITORY_ROOT
from tests.support.servers import ServerProcess
from tests.support.shop_fixtures import STAFF_TOKEN
from tests.system.test_request_limits_served import CHUNKED_PIECE, send_until_answered
from waitroom.storage.embedded_redis import free_port, stop_process

CONFIG = REPOSITORY_ROOT / "deploy" / "nginx" / "waitroom.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

pytestmark = pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed")


@dataclass
class Proxy:
    queue_port: int
    shop_port: int

    @property
    def queue_url(self) -> str:
        return f"http://127.0.0.1:{self.queue_port}"


FRAMES_CACHE = "/var/cache/nginx/waitroom_frames"
"""The frame micro-cache's directory in the shipped file."""


def render(
    config: str,
    upstreams: tuple[int, int],
    listen: tuple[int, int],
    frames_dir: str = "/tmp/waitroom-nginx-test-frames",
) -> str:
    """The shipped file with test addresses: upstreams (waitroom, shop), listen (queue, shop),
    and the frame cache in ``frames_dir``."""
    config = config.replace(FRAMES_CACHE, frames_dir)
    (waitroom_port, shop_port), (queue_port, shop_listen) = upstreams, listen
    config = config.split("\nserver {\n    listen 80;")[0]  # the https redirect server
    config = re.sub(r"\n\s*server 10\.0\.1\.\d+:8000[^;]*;", "", config, count=2)
    config = re.sub(r"server 10\.0\.1\.\d+:8000", f"server 127.0.0.1:{waitroom_port}", config)
    config = re.sub(r"\n\s*server 10\.0\.2\.\d+:8000[^;]*;", "", config, count=1)
    config = re.sub(r"server 10\.0\.2\.\d+:8000", f"server 127.0.0.1:{shop_port}", config)
    config = config.replace("listen 443 ssl;", f"listen 127.0.0.1:{queue_port};", 1)
    config = config.replace("listen 443 ssl;", f"listen 127.0.0.1:{shop_listen};", 1)
    config = re.sub(r"\n\s*(http2 on|ssl_certificate(_key)?\s[^;]*);", "", config)
    return config.replace("_timeout 10s;", "_timeout 1s;")


@pytest.fixture(scope="module")
def proxy(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    environment = server_environment(
        redis_url, WAITROOM_STAFF_TOKEN=STAFF_TOKEN, **NO_WAITING_ROOM
    )
    root = tmp_path_factory.mktemp("nginx")
    with (
        ServerProcess("", environment, serve_app="waitroom") as waitroom,
        ServerProcess("", environment, serve_app="shop") as shop,
    ):
        ports = Proxy(free_port(), free_port())
        site = render(
            CONFIG.read_text(), (waitroom.port, shop.port), (ports.queue_port, ports.shop_port)
        )
        (root / "site.conf").write_text(site)
        (root / "nginx.conf").write_text(
            f"worker_processes 1;\npid {root}/nginx.pid;\nerror_log {root}/error.log warn;\n"
            "events { worker_connections 1024; }\n"
            # bodies stay in memory: nginx's worker user may not enter the test's temp dir
            f"http {{\n  access_log off;\n  client_body_buffer_size 512k;\n"
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


def test_requests_within_the_limits_pass_through(proxy: Proxy, unique_id: str) -> None:
    created = httpx.put(
        f"{proxy.queue_url}/api/v1/admin/queues/{unique_id}",
        json={"rate_per_minute": 0},
        headers=ADMIN_HEADERS,
    )
    assert created.status_code == 201
    assert httpx.post(f"{proxy.queue_url}/api/v1/queues/{unique_id}/join").status_code == 201
    # organizers' documents may be larger than anything a fan sends
    surveys = {"surveys": [], "padding": "x" * 100_000}
    document = httpx.put(
        f"{proxy.queue_url}/api/v1/admin/queues/{unique_id}/surveys",
        json=surveys,
        headers=ADMIN_HEADERS,
    )
    assert document.status_code == 200, document.text


def test_oversized_bodies_are_refused_by_nginx(proxy: Proxy) -> None:
    fan = httpx.post(
        f"{proxy.queue_url}/api/v1/queues/q/codes/redeem", content=b"{" + b" " * 40_000 + b"}"
    )
    assert fan.status_code == 413
    assert fan.headers["content-type"] == "application/problem+json"
    assert fan.json()["type"].endswith("/body-too-large")
    head = (
        b"POST /api/v1/checkout HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    sent, answer = send_until_answered(proxy.shop_port, head, 50, CHUNKED_PIECE)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert sent < 50 * 1024 * 1024


def test_oversized_and_slow_heads_are_refused_by_nginx(proxy: Proxy) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: queue\r\nX-Padding: "
    _, answer = send_until_answered(proxy.queue_port, head, 100, b"a" * 1024 * 1024)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    with socket.create_connection(("127.0.0.1", proxy.queue_port), timeout=5) as slow:
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: queue\r\n")
        slow.settimeout(4)
        started = time.monotonic()
        received = b""
        while chunk := slow.recv(65536):
            received += chunk
        assert time.monotonic() - started < 3  # closed after client_header_timeout
        assert b"200 OK" not in received
