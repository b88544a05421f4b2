"""The served protocol writes a response's head with the first part of its body, in one write
(service_kit.http_protocol.OneWriteResponse), over a real socket pair and uvicorn's protocol:
whole responses, HEAD answers (no body write), streamed bodies, ``100 Continue`` (never held),
and an app that fails after starting its answer (the head still goes out, then the close)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from service_kit.http_protocol import GuardedHttpToolsProtocol
from tests.support.served_protocol import ProtocolServer


async def whole(request: Request) -> Response:
    return JSONResponse({"sold_out": True})


async def streamed(request: Request) -> Response:
    async def parts() -> AsyncIterator[bytes]:
        for part in (b"one,", b"two,", b"three"):
            yield part

    return StreamingResponse(parts(), media_type="text/plain")


async def echo(request: Request) -> Response:
    return Response(await request.body(), media_type="text/plain")


async def failing(request: Request) -> Response:
    async def parts() -> AsyncIterator[bytes]:
        yield b"first part"
        raise RuntimeError("the app fails in the middle of its answer")

    return StreamingResponse(parts(), media_type="text/plain")


APP = Starlette(
    routes=[
        Route("/whole", whole, methods=["GET", "HEAD"]),
        Route("/streamed", streamed),
        Route("/echo", echo, methods=["POST"]),
        Route("/failing", failing),
    ]
)


class Served:
    """One connection served by the protocol; counts the protocol's writes to the socket."""

    def __init__(self, client: socket.socket, protocol: GuardedHttpToolsProtocol) -> None:
        self.client = client
        self.protocol = protocol
        self.writes: list[bytes] = []
        transport: Any = protocol.transport
        real_write = transport.write

        def counted(data: bytes) -> None:
            self.writes.append(bytes(data))
            real_write(data)

        transport.write = counted

    async def receive_until(self, marker: bytes, timeout_seconds: float = 5.0) -> bytes:
        loop = asyncio.get_running_loop()
        received = b""
        async with asyncio.timeout(timeout_seconds):
            while marker not in received:
                chunk = await loop.sock_recv(self.client, 65536)
                if not chunk:
                    break
                received += chunk
        return received


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    server = ProtocolServer(APP)
    client_end, protocol = await server.connect()
    yield Served(client_end, protocol)
    server.close()


async def send(served: Served, request: bytes) -> None:
    await asyncio.get_running_loop().sock_sendall(served.client, request)


async def test_a_whole_response_goes_out_in_one_write(served: Served) -> None:
    await send(served, b"GET /whole HTTP/1.1\r\nhost: shop.test\r\n\r\n")
    answer = await served.receive_until(b'{"sold_out":true}')
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert len(served.writes) == 1
    # the connection stays usable: the next answer is one write too
    await send(served, b"GET /whole HTTP/1.1\r\nhost: shop.test\r\n\r\n")
    await served.receive_until(b'{"sold_out":true}')
    assert len(served.writes) == 2


async def test_a_head_answer_without_a_body_write_is_sent(served: Served) -> None:
    await send(served, b"HEAD /whole HTTP/1.1\r\nhost: shop.test\r\n\r\n")
    answer = await served.receive_until(b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and answer.endswith(b"\r\n\r\n")
    assert b"sold_out" not in answer


async def test_a_streamed_body_sends_its_head_with_the_first_part(served: Served) -> None:
    await send(served, b"GET /streamed HTTP/1.1\r\nhost: shop.test\r\n\r\n")
    answer = await served.receive_until(b"0\r\n\r\n")
    assert b"one," in answer and b"two," in answer and b"three" in answer
    assert served.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert served.writes[0].endswith(b"4\r\none,\r\n")  # the head and the first part together
    assert len(served.writes) == 4  # then two parts and the end, each as it comes


async def test_100_continue_is_not_held(served: Served) -> None:
    await send(
        served,
        b"POST /echo HTTP/1.1\r\nhost: shop.test\r\ncontent-length: 5\r\n"
        b"expect: 100-continue\r\n\r\n",
    )
    interim = await served.receive_until(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    await send(served, b"hello")
    answer = await served.receive_until(b"hello")
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and answer.endswith(b"hello")


async def test_an_app_failing_mid_answer_still_sends_what_it_sent(served: Served) -> None:
    await send(served, b"GET /failing HTTP/1.1\r\nhost: shop.test\r\n\r\n")
    answer = await served.receive_until(b"never comes")
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"first part" in answer  # then the connection was closed
