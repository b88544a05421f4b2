"""A client that goes away before its answer is no server error: the request ends quietly and
the waiting room's request metric records it as 499 (client closed request), never as 500.

Over real sockets against ``waitroom serve`` (two workers, multiprocess metrics), and on the
timing middleware itself for a handler that meets Starlette's ``ClientDisconnect``.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client import CollectorRegistry, Histogram
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message

from tests.conftest import ADMIN_TOKEN, METRICS_HEADERS, server_environment
from tests.servers import ServerProcess
from waitroom.web.metrics import CLIENT_CLOSED_REQUEST, RequestTimingMiddleware

REQUESTS_METRIC = "waitroom_http_request_duration_seconds_count{"


@pytest.fixture(scope="module")
def served_waitroom(redis_url: str) -> Iterator[ServerProcess]:
    with ServerProcess(
        "", server_environment(redis_url), serve_app="waitroom", workers=2
    ) as server:
        yield server


def counts_by_status(server: ServerProcess) -> dict[str, float]:
    totals: dict[str, float] = {}
    answer = httpx.get(f"{server.base_url}/metrics", headers=METRICS_HEADERS)
    assert answer.status_code == 200
    for line in answer.text.splitlines():
        if line.startswith(REQUESTS_METRIC):
            status = line.split('status="', 1)[1].split('"', 1)[0]
            totals[status] = totals.get(status, 0.0) + float(line.rsplit(" ", 1)[1])
    return totals


def send_half_a_body_and_leave(port: int, path: str, headers: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(
            b"PUT " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers
            + b"Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n" + b'{"rate' * 50
        )
        time.sleep(0.05)  # the server has read the head and part of the body


def test_clients_that_leave_mid_body_are_counted_as_499_not_500(
    served_waitroom: ServerProcess, unique_id: str
) -> None:
    before = counts_by_status(served_waitroom)
    admin = f"Authorization: Bearer {ADMIN_TOKEN}\r\n".encode()
    for _ in range(6):
        send_half_a_body_and_leave(served_waitroom.port, f"/api/v1/admin/queues/{unique_id}", admin)
        send_half_a_body_and_leave(
            served_waitroom.port, f"/api/v1/queues/{unique_id}/codes/redeem", b""
        )
    deadline = time.monotonic() + 5
    after = counts_by_status(served_waitroom)
    while after.get("499", 0) - before.get("499", 0) < 12 and time.monotonic() < deadline:
        time.sleep(0.05)
        after = counts_by_status(served_waitroom)
    assert after.get("499", 0) - before.get("499", 0) == 12
    assert after.get("500", 0) == before.get("500", 0)
    # the workers are fine and answer the next request
    assert httpx.get(f"{served_waitroom.base_url}/readyz").status_code == 200


async def reads_the_body(request: Request) -> Response:
    return JSONResponse({"length": len(await request.body())})


async def test_a_handler_that_meets_client_disconnect_ends_quietly_as_499() -> None:
    registry = CollectorRegistry()
    histogram = Histogram("requests_seconds", "test", ["method", "route", "status"],
                          registry=registry)
    app = Starlette(
        routes=[Route("/read", reads_the_body, methods=["POST"])],
        middleware=[Middleware(RequestTimingMiddleware, histogram=histogram)],
    )
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/read", "raw_path": b"/read", "root_path": "",
        "query_string": b"", "headers": [(b"content-length", b"10")],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }
    await app(scope, receive, send)  # no exception: nothing for the server to log

    assert sent == []  # nobody to answer
    counted = registry.get_sample_value(
        "requests_seconds_count",
        {"method": "POST", "route": "/read", "status": str(CLIENT_CLOSED_REQUEST)},
    )
    assert counted == 1.0
    assert registry.get_sample_value(
        "requests_seconds_count", {"method": "POST", "route": "/read", "status": "500"}
    ) is None


async def test_an_exception_without_an_answer_is_still_a_500() -> None:
    registry = CollectorRegistry()
    histogram = Histogram("requests_seconds", "test", ["method", "route", "status"],
                          registry=registry)

    async def broken(request: Request) -> Response:
        raise RuntimeError("a bug")

    app = Starlette(
        routes=[Route("/broken", broken)],
        middleware=[Middleware(RequestTimingMiddleware, histogram=histogram)],
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/broken")).status_code == 500
    assert registry.get_sample_value(
        "requests_seconds_count", {"method": "GET", "route": "/broken", "status": "500"}
    ) == 1.0
