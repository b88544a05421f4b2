"""``waitroom serve --workers 2`` listens on one ``SO_REUSEPORT`` socket per worker (Linux): the
kernel spreads new connections evenly over the workers, a killed worker is replaced by one
with a socket of its own while the port keeps answering, and ``--shared-socket`` keeps uvicorn's
one shared socket.

Everything is observed from outside, as an operator would: the listening and the established
sockets of the port and the worker that holds each (``/proc``, :mod:`loadtests.connection_split`).
The waiting room runs on 127.0.0.1 and the shop on 127.0.0.2, as deployed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from loadtests.connection_split import (
    connections_per_process,
    listening_sockets_per_process,
    shares,
)
from loadtests.keepalive_client import KeepAliveConnection, request_bytes
from loadtests.servers import worker_pids
from service_kit.listening_sockets import per_worker_sockets_supported
from tests.conftest import NO_WAITING_ROOM, server_environment
from tests.support.servers import ServerProcess
from tests.support.shop_fixtures import STAFF_TOKEN
from waitroom.storage.embedded_redis import free_port

pytestmark = pytest.mark.skipif(
    not per_worker_sockets_supported(), reason="SO_REUSEPORT spreads connections on Linux only"
)

CONNECTIONS = 200
"""Enough that an even hash split stays within 35-65 % (over 4 standard deviations)."""
KEEP_OPEN = {"WAITROOM_KEEP_ALIVE_TIMEOUT_SECONDS": "120"}
"""Connections answered first stay open until all are counted, however slow the machine."""
WAIT_SECONDS = 60.0


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not in time: {what}")


def supervisor(server: ServerProcess) -> int:
    assert server.process is not None
    return server.process.pid


def listeners(server: ServerProcess) -> dict[int, set[int]]:
    return listening_sockets_per_process(worker_pids(supervisor(server)), server.port)


def every_worker_listens(server: ServerProcess, workers: int = 2) -> bool:
    held = listeners(server)
    return len(held) == workers and all(held.values())


async def open_and_use(host: str, port: int, count: int) -> list[KeepAliveConnection]:
    """``count`` connections, each answered once (so a worker has accepted it), left open."""
    clients = [KeepAliveConnection(host, port) for _ in range(count)]
    await asyncio.gather(*(client.connect() for client in clients))
    request = request_bytes("GET", "/healthz", f"{host}:{port}")
    replies = await asyncio.gather(*(client.send(request, 10.0) for client in clients))
    assert {reply.status for reply in replies} == {200}
    return clients


def connection_split(server: ServerProcess) -> dict[int, int]:
    """Open :data:`CONNECTIONS` new connections and count those each worker holds."""

    async def measure() -> dict[int, int]:
        clients = await open_and_use(server.host, server.port, CONNECTIONS)
        try:
            return connections_per_process(worker_pids(supervisor(server)), server.port)
        finally:
            for client in clients:
                client.close()

    return asyncio.run(measure())


def replaced_yet(server: ServerProcess, killed: int) -> bool:
    workers = worker_pids(supervisor(server))
    return len(workers) == 2 and killed not in workers


@pytest.fixture
def served_waitroom(redis_url: str) -> Iterator[ServerProcess]:
    environment = server_environment(redis_url, **KEEP_OPEN)
    server = ServerProcess("", environment, workers=2, serve_app="waitroom")
    with server:
        wait_for(lambda: every_worker_listens(server), "both workers listen")
        yield server


@pytest.mark.slow
def test_each_worker_listens_on_its_own_socket_and_gets_an_even_share(
    served_waitroom: ServerProcess,
) -> None:
    held = listeners(served_waitroom)
    assert [len(sockets) for sockets in held.values()] == [1, 1]
    first, second = held.values()
    assert first != second  # two sockets, not one shared

    split = connection_split(served_waitroom)
    assert sum(split.values()) == CONNECTIONS, split
    assert max(shares(split)) <= 0.65, split


@pytest.mark.slow
def test_a_killed_worker_is_replaced_and_the_port_keeps_answering(
    served_waitroom: ServerProcess,
) -> None:
    killed, survivor = worker_pids(supervisor(served_waitroom))
    os.kill(killed, signal.SIGKILL)
    # its socket closes as it dies (connections that hashed to it in that instant are reset: the
    # documented price of a socket per worker); from then on the port is the survivor's
    wait_for(
        lambda: not listening_sockets_per_process([killed], served_waitroom.port)[killed],
        "the killed worker's socket is closed",
    )
    # until the replacement runs, every new connection reaches the survivor's socket
    answered = 0
    deadline = time.monotonic() + WAIT_SECONDS
    while not replaced_yet(served_waitroom, killed):
        assert time.monotonic() < deadline, "no replacement in time"
        response = httpx.get(f"{served_waitroom.base_url}/healthz", timeout=5)  # a new connection
        assert response.status_code == 200
        answered += 1
    assert answered > 0
    wait_for(lambda: every_worker_listens(served_waitroom), "the replacement listens")
    replacement = next(
        pid for pid in worker_pids(supervisor(served_waitroom)) if pid != survivor
    )
    assert replacement != killed
    held = listeners(served_waitroom)
    assert held[replacement] != held[survivor]  # its own socket, on the same port

    split = connection_split(served_waitroom)
    assert sum(split.values()) == CONNECTIONS, split
    assert max(shares(split)) <= 0.65, split


@pytest.mark.slow
def test_the_shop_on_its_host_listens_per_worker_too(redis_url: str) -> None:
    environment = server_environment(
        redis_url, WAITROOM_STAFF_TOKEN=STAFF_TOKEN, **NO_WAITING_ROOM, **KEEP_OPEN
    )
    with ServerProcess(
        "", environment, workers=2, host="127.0.0.2", serve_app="shop"
    ) as shop:
        wait_for(lambda: every_worker_listens(shop), "both shop workers listen")
        first, second = listeners(shop).values()
        assert first != second
        split = connection_split(shop)
        assert sum(split.values()) == CONNECTIONS, split
        assert max(shares(split)) <= 0.65, split


@pytest.mark.slow
def test_shared_socket_keeps_one_socket_for_every_worker(redis_url: str) -> None:
    with ServerProcess(
        "", server_environment(redis_url, **KEEP_OPEN), workers=2, serve_app="waitroom",
        serve_flags=("--shared-socket",),
    ) as server:  # fmt: skip
        wait_for(lambda: every_worker_listens(server), "both workers listen")
        first, second = listeners(server).values()
        assert first == second and len(first) == 1
        split = connection_split(server)
        assert sum(split.values()) == CONNECTIONS, split


def serve_on(port: int, workers: int, redis_url: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable, "-m", "waitroom.cli", "serve",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
    ]  # fmt: skip
    return subprocess.run(
        command,
        env={**os.environ, **server_environment(redis_url)},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("workers", [1, 2])
def test_a_port_taken_by_another_program_is_one_clear_line(workers: int, redis_url: str) -> None:
    port = free_port()
    with socket.create_server(("127.0.0.1", port)):  # another program
        result = serve_on(port, workers, redis_url)
    assert result.returncode == 1, result
    assert result.stderr == (
        f"waitroom: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    ), result.stderr
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.slow
def test_a_second_serve_on_the_same_port_is_refused(
    served_waitroom: ServerProcess, redis_url: str
) -> None:
    """Its workers could join the port with SO_REUSEPORT: the start refuses it instead."""
    result = serve_on(served_waitroom.port, 2, redis_url)
    assert result.returncode == 1, result
    assert "Address already in use" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert every_worker_listens(served_waitroom)  # the first one is untouched
