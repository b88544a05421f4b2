"""deploy/nginx/waitroom.conf in a real nginx in front of ``waitroom serve`` (both apps).

The file is used as shipped, except what a test machine cannot have (tests/support/nginx.py):
plain listeners on loopback ports in front of the test servers, and head/body timeouts of 1 s
instead of 10 s so the test stays fast.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN, NO_WAITING_ROOM, server_environment
from tests.support.nginx import Proxy, nginx_installed, running_nginx
from tests.support.servers import ServerProcess
from tests.support.shop_fixtures import STAFF_TOKEN
from tests.system.test_request_limits_served import CHUNKED_PIECE, send_until_answered

ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

pytestmark = pytest.mark.skipif(not nginx_installed(), reason="nginx is not installed")


@pytest.fixture(scope="module")
def proxy(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    environment = server_environment(
        redis_url, WAITROOM_STAFF_TOKEN=STAFF_TOKEN, **NO_WAITING_ROOM
    )
    with (
        ServerProcess("", environment, serve_app="waitroom") as waitroom,
        ServerProcess("", environment, serve_app="shop") as shop,
        # bodies stay in memory: nginx's worker user may not enter the test's temp dir
        running_nginx(
            tmp_path_factory.mktemp("nginx"),
            (waitroom.port, shop.port),
            client_body_buffer_size="512k",
        ) as nginx,
    ):
        yield nginx


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
