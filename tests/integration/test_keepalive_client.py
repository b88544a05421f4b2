"""The benchmarks' keep-alive client over a real socket: an answer is read whole, and a server
that never answers is a TimeoutError within the time-out and one deadline resolution."""

from __future__ import annotations

import asyncio

import pytest

from loadtests.keepalive_client import (
    REPLY_DEADLINE_RESOLUTION_SECONDS,
    KeepAliveConnection,
    request_bytes,
)


async def test_an_answer_and_a_server_that_never_answers() -> None:
    handlers: set[asyncio.Task[object]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                if b"/silent" in head:
                    continue  # never answered
                writer.write(b"HTTP/1.1 409 Conflict\r\ncontent-length: 8\r\n\r\nsold out")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed the connection
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    connection = KeepAliveConnection("127.0.0.1", port)
    try:
        reply = await connection.send(request_bytes("GET", "/answer", "127.0.0.1"))
        assert (reply.status, reply.body) == (409, b"sold out")
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(TimeoutError):
            await connection.send(request_bytes("GET", "/silent", "127.0.0.1"), 0.2)
        waited = loop.time() - started
        assert 0.2 <= waited < 0.2 + REPLY_DEADLINE_RESOLUTION_SECONDS + 0.3
        again = await connection.send(request_bytes("GET", "/answer", "127.0.0.1"))
        assert again.status == 409  # a new connection after the one given up
    finally:
        connection.close()
        server.close()
        await server.wait_closed()
        await asyncio.wait(handlers, timeout=5)  # every connection closed on both sides
