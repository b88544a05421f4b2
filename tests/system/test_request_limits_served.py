"""Hostile clients against the served configuration: ``waitroom serve`` (uvicorn with
service_kit/http_protocol.py and the body limit layer) as a real process, over real sockets, with
its memory read from /proc.

- a 50 MB chunked body to an unauthenticated endpoint of either app: 413 after the route's limit,
  the process's memory grows by less than a few MB;
- a 100 MB header: 431, same memory bound;
- slowloris: hundreds of connections dribbling a request head are closed after the head timeout
  while normal requests keep being answered.
"""

from __future__ import annotations

import contextlib
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import NO_WAITING_ROOM, server_environment
from tests.support.servers import ServerProcess
from tests.support.shop_fixtures import STAFF_TOKEN

MIB = 1024 * 1024
MEMORY_GROWTH_ALLOWED_KIB = 4 * 1024
HEAD_TIMEOUT_SECONDS = 1.0


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def limits_environment(redis_url: str) -> dict[str, str]:
    return server_environment(
        redis_url,
        WAITROOM_REQUEST_HEAD_TIMEOUT_SECONDS=str(HEAD_TIMEOUT_SECONDS),
        WAITROOM_KEEP_ALIVE_TIMEOUT_SECONDS="1",
        WAITROOM_STAFF_TOKEN=STAFF_TOKEN,
        **NO_WAITING_ROOM,
    )


@pytest.fixture(scope="module")
def served_waitroom(redis_url: str) -> Iterator[ServerProcess]:
    with ServerProcess("", limits_environment(redis_url), serve_app="waitroom") as server:
        yield server


@pytest.fixture(scope="module")
def served_shop(redis_url: str) -> Iterator[ServerProcess]:
    with ServerProcess("", limits_environment(redis_url), serve_app="shop") as server:
        yield server


def send_until_answered(port: int, head: bytes, pieces: int, piece: bytes) -> tuple[int, bytes]:
    """Sends ``head`` then up to ``pieces`` x ``piece``, stopping as soon as the server answers
    or stops reading. Returns (bytes of pieces sent, what the server answered)."""
    sent = 0
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(head)
        try:
            for _ in range(pieces):
                readable, _, _ = select.select([connection], [], [], 0)
                if readable:
                    break
                connection.sendall(piece)
                sent += len(piece)
        except OSError:
            pass  # the server answered and closed while we were still sending
        try:
            while chunk := connection.recv(65536):
                answer += chunk
        except OSError:
            pass  # reset after the answer: the rest of our data was never read
    return sent, answer


def warm_up(server: ServerProcess, path: str) -> None:
    for _ in range(20):
        httpx.post(f"{server.base_url}{path}", json={})


CHUNK = b"a" * MIB
CHUNKED_PIECE = b"%x\r\n" % len(CHUNK) + CHUNK + b"\r\n"


@pytest.mark.parametrize(
    ("app", "path"),
    [
        ("waitroom", "/api/v1/queues/q/codes/redeem"),
        ("shop", "/api/v1/checkout"),
    ],
)
def test_a_50_mb_chunked_body_is_refused_without_the_memory_growing(
    app: str, path: str, request: pytest.FixtureRequest
) -> None:
    server: ServerProcess = request.getfixturevalue(f"served_{app}")
    assert server.process is not None
    warm_up(server, path)
    before = rss_kib(server.process.pid)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    sent, answer = send_until_answered(server.port, head, 50, CHUNKED_PIECE)
    grown = rss_kib(server.process.pid) - before
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"application/problem+json" in answer
    assert sent < 50 * MIB  # answered long before the body ended
    assert grown < MEMORY_GROWTH_ALLOWED_KIB, f"grew by {grown} KiB"
    assert httpx.get(f"{server.base_url}/healthz").status_code == 200


def send_whole_and_read(port: int, request: bytes) -> bytes:
    """Send the whole request, then read the answer (an HTTP client that does not watch for
    an early answer: most of them)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize(
    ("app", "path"),
    [("waitroom", "/api/v1/queues/q/join"), ("shop", "/api/v1/checkout")],
)
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_refused_megabyte_body_still_gets_its_413(
    app: str, path: str, framing: str, request: pytest.FixtureRequest
) -> None:
    """The body is over the route's limit: the server reads it to the end (dropping it) before
    it answers 413 and closes, so the client that sent it all reads the answer instead of a
    connection reset."""
    server: ServerProcess = request.getfixturevalue(f"served_{app}")
    body = b'{"name": "' + b"x" * MIB + b'"}'
    if framing == "content-length":
        framed = f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    else:
        framed = b"Transfer-Encoding: chunked\r\n\r\n" + b"".join(
            b"%x\r\n%s\r\n" % (len(piece), piece)
            for piece in (body[start : start + 65536] for start in range(0, len(body), 65536))
        ) + b"0\r\n\r\n"
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    for _ in range(3):
        answer = send_whole_and_read(server.port, head.encode() + framed)
        assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
        assert b"application/problem+json" in answer


def test_a_100_mb_header_is_refused_without_the_memory_growing(
    served_waitroom: ServerProcess,
) -> None:
    assert served_waitroom.process is not None
    warm_up(served_waitroom, "/api/v1/queues/q/join")
    before = rss_kib(served_waitroom.process.pid)
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: "
    sent, answer = send_until_answered(served_waitroom.port, head, 100, CHUNK)
    grown = rss_kib(served_waitroom.process.pid) - before
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert b"head-too-large" in answer
    assert sent < 100 * MIB
    assert grown < MEMORY_GROWTH_ALLOWED_KIB, f"grew by {grown} KiB"


def test_headers_just_under_the_limit_pass_and_just_over_are_refused(
    served_waitroom: ServerProcess,
) -> None:
    cookies = {f"c{index}": "v" * 1000 for index in range(20)}  # 20 KB of cookies
    ok = httpx.get(f"{served_waitroom.base_url}/healthz", cookies=cookies)
    assert ok.status_code == 200
    too_many = {f"c{index}": "v" * 1000 for index in range(40)}
    refused = httpx.get(f"{served_waitroom.base_url}/healthz", cookies=too_many)
    assert refused.status_code == 431
    assert refused.json()["type"].endswith("/head-too-large")


def test_slow_request_heads_are_cut_off_while_others_are_served(
    served_waitroom: ServerProcess,
) -> None:
    slow = []
    for _ in range(300):
        connection = socket.create_connection(("127.0.0.1", served_waitroom.port), timeout=5)
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        slow.append(connection)
    idle = socket.create_connection(("127.0.0.1", served_waitroom.port), timeout=5)
    try:
        started = time.monotonic()
        while time.monotonic() - started < HEAD_TIMEOUT_SECONDS + 1.5:
            for connection in slow:
                with contextlib.suppress(OSError):  # a header line now and then
                    connection.sendall(b"X-Slow: 1\r\n")
            answer = httpx.get(f"{served_waitroom.base_url}/healthz", timeout=2)
            assert answer.status_code == 200  # others are served meanwhile
            time.sleep(0.3)
        for connection in slow:
            assert _closed_after(connection).startswith(b"HTTP/1.1 408 ")
        assert _closed_after(idle) == b""  # a connection that never sent a byte: just closed
    finally:
        for connection in [*slow, idle]:
            connection.close()


def test_idle_kept_alive_connections_are_closed(served_waitroom: ServerProcess) -> None:
    with socket.create_connection(("127.0.0.1", served_waitroom.port), timeout=5) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        time.sleep(1.5)  # WAITROOM_KEEP_ALIVE_TIMEOUT_SECONDS=1
        received = _closed_after(connection)  # the answer, then the server closed
        assert received.startswith(b"HTTP/1.1 200 ") and received.count(b"HTTP/1.1") == 1


def test_a_busy_kept_alive_connection_stays_open_and_closes_when_idle(
    served_waitroom: ServerProcess,
) -> None:
    """The idle time counts from each answer (the connection's one watch re-arms for it): a
    connection asking every 0.4 s for longer than the keep-alive timeout stays open, and is
    closed about the timeout after its last answer."""
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with socket.create_connection(("127.0.0.1", served_waitroom.port), timeout=5) as connection:
        for _ in range(6):  # 2.4 s, more than twice WAITROOM_KEEP_ALIVE_TIMEOUT_SECONDS=1
            connection.sendall(request)
            answer = connection.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200 "), answer
            time.sleep(0.4)
        connection.sendall(request)
        last_answer = time.monotonic()
        received = _closed_after(connection)
        idle_seconds = time.monotonic() - last_answer
        assert received.startswith(b"HTTP/1.1 200 ") and received.count(b"HTTP/1.1") == 1
        assert 0.9 <= idle_seconds < 2.0, idle_seconds


def _closed_after(connection: socket.socket) -> bytes:
    """What the server sent until it closed the connection (fails if it stays open)."""
    connection.settimeout(3)
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        raise AssertionError("the server kept the connection open") from None
    return received
