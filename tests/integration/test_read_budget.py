"""A loop step takes in at most ``LIMIT_PER_STEP`` connections' requests (service_kit.read_budget),
over real socket pairs and the served protocol: with many connections sending at once, every
request is answered, each with its own body, bytes that came while a connection waited are kept
in order (a request split over two writes, two pipelined requests), and a request in progress
that awaits an answer gets it within a few steps while the crowd is taken in (not after all of
it)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from service_kit.read_budget import LIMIT_PER_STEP, ReadBudget
from tests.support.served_protocol import ProtocolServer

CONNECTIONS = 8 * LIMIT_PER_STEP
answered = {"crowd": 0, "crowd before the request in progress": 0}


async def echo(request: Request) -> Response:
    answered["crowd"] += 1
    return PlainTextResponse((await request.body()).decode())


async def awaits_twice(request: Request) -> Response:
    """A request in progress: two awaited answers (as a purchase awaits Redis); how many of
    the crowd were answered before it is counted."""
    loop = asyncio.get_running_loop()
    for _ in range(2):
        reply = loop.create_future()
        loop.call_soon(reply.set_result, None)
        await reply
    answered["crowd before the request in progress"] = answered["crowd"]
    return PlainTextResponse("done")


APP = Starlette(
    routes=[Route("/echo", echo, methods=["POST"]), Route("/slow", awaits_twice)]
)


def post(body: str) -> bytes:
    return (
        f"POST /echo HTTP/1.1\r\nhost: shop.test\r\ncontent-length: {len(body)}\r\n\r\n{body}"
    ).encode()


@pytest.fixture
async def connect() -> AsyncIterator[Callable[[], Awaitable[socket.socket]]]:
    server = ProtocolServer(APP)

    async def one() -> socket.socket:
        client_end, _ = await server.connect()
        return client_end

    yield one
    server.close()
    await asyncio.sleep(0)


async def answer_of(client: socket.socket, marker: bytes) -> bytes:
    loop = asyncio.get_running_loop()
    received = b""
    async with asyncio.timeout(10):
        while marker not in received:
            chunk = await loop.sock_recv(client, 65536)
            assert chunk, received
            received += chunk
    return received


async def test_a_crowd_sending_at_once_is_answered_each_with_its_own_body(
    connect: Callable[[], Awaitable[socket.socket]],
) -> None:
    clients = [await connect() for _ in range(CONNECTIONS)]
    for index, client in enumerate(clients):  # all in the sockets before the loop reads
        client.send(post(f"buyer-{index}-"))
    answers = await asyncio.gather(
        *(answer_of(client, f"buyer-{index}-".encode()) for index, client in enumerate(clients))
    )
    for index, answer in enumerate(answers):
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
        assert answer.endswith(f"buyer-{index}-".encode())


async def test_bytes_that_come_while_a_connection_waits_are_kept_in_order(
    connect: Callable[[], Awaitable[socket.socket]],
) -> None:
    clients = [await connect() for _ in range(CONNECTIONS)]
    last = clients[-1]  # its first bytes come behind the whole crowd: it waits its turn
    for client in clients[:-1]:
        client.send(post("crowd"))
    head, tail = post("split-body")[:30], post("split-body")[30:]
    last.send(head)
    await asyncio.sleep(0)  # the loop reads the crowd and the first half
    last.send(tail + post("pipelined"))
    answer = await answer_of(last, b"pipelined")
    assert answer.count(b"HTTP/1.1 200 OK") == 2
    assert answer.index(b"split-body") < answer.index(b"pipelined")
    await asyncio.gather(*(answer_of(client, b"crowd") for client in clients[:-1]))


async def test_a_request_in_progress_is_answered_while_the_crowd_is_taken_in(
    connect: Callable[[], Awaitable[socket.socket]],
) -> None:
    slow = await connect()
    clients = [await connect() for _ in range(CONNECTIONS)]
    answered["crowd"] = 0
    slow.send(b"GET /slow HTTP/1.1\r\nhost: shop.test\r\n\r\n")
    for client in clients:
        client.send(post("crowd"))
    await answer_of(slow, b"done")
    await asyncio.gather(*(answer_of(client, b"crowd") for client in clients))
    assert answered["crowd"] == CONNECTIONS
    # taken in all at once, the whole crowd ran before each of its awaited answers; with the
    # budget, the steps it took meanwhile took in LIMIT_PER_STEP connections each
    assert answered["crowd before the request in progress"] < CONNECTIONS // 2


class Failing:
    def take_deferred(self) -> None:
        raise RuntimeError("a connection that cannot take its bytes in")


class Taking:
    def __init__(self, taken: list[int], index: int) -> None:
        self.taken = taken
        self.index = index

    def take_deferred(self) -> None:
        self.taken.append(self.index)


async def test_one_connection_that_fails_does_not_stall_the_ones_behind_it() -> None:
    budget = ReadBudget(asyncio.get_running_loop(), limit=2)
    taken: list[int] = []
    assert budget.take() and budget.take() and not budget.take()  # this step's two
    budget.defer(Failing())
    for index in range(5):
        budget.defer(Taking(taken, index))
    for _ in range(10):
        await asyncio.sleep(0)
    assert taken == [0, 1, 2, 3, 4]  # in order, two a step, past the failing one
