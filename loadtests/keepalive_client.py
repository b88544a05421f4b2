"""A lean HTTP/1.1 keep-alive client for benchmarks: one connection sends a request and awaits
its response, then the next (no pipelining), parsed with ``httptools`` (uvicorn's parser).

A general client (httpx) costs 0.5-1.3 ms of CPU per request at concurrency 32, which on a
2-core machine takes CPU from the servers being measured; this one costs a few tens of µs.
Requests are bytes the caller builds (:func:`request_bytes`).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

import httptools

from service_kit.coarse_deadlines import CoarseDeadlines

REPLY_DEADLINE_RESOLUTION_SECONDS = 0.5
"""A reply later than its time-out by up to this much still counts (the time-outs are long)."""


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: bytes
    seconds: float
    """From the request's write to the response's last byte read off the socket (stamped by
    the parser as it completes the response, not when the waiting coroutine next runs: with
    thousands of connections, the client's own loop can take tens of ms to get there)."""


def request_bytes(
    method: str,
    path: str,
    host: str,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers]
    if body or method in {"POST", "PUT", "PATCH"}:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class _ResponseProtocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[tuple[int, bytes, float]] | None = None
        self.chunks: list[bytes] = []
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(ConnectionError(f"bad HTTP response: {error}"))

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        body, self.chunks = b"".join(self.chunks), []
        if self.waiter is not None and not self.waiter.done():
            completed_at = time.perf_counter()
            self.waiter.set_result((self.parser.get_status_code(), body, completed_at))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(exc or ConnectionError("the server closed the connection"))

    def _fail(self, error: BaseException) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(error)


_DEADLINES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CoarseDeadlines] = (
    weakref.WeakKeyDictionary()
)


def reply_deadlines() -> CoarseDeadlines:
    """The reply time-outs of the running loop: one timer for every connection's wait, not a
    loop timer per request (``asyncio.wait_for`` cost ~5-8 µs of the client's ~30 µs)."""
    loop = asyncio.get_running_loop()
    deadlines = _DEADLINES.get(loop)
    if deadlines is None:
        deadlines = _DEADLINES[loop] = CoarseDeadlines(REPLY_DEADLINE_RESOLUTION_SECONDS)
    return deadlines


class KeepAliveConnection:
    """One connection, reopened when the server closed it between requests (a keep-alive
    time-out). A connection lost while a request is out raises ``ConnectionError``: the
    request is not sent again (the caller decides; an ``Idempotency-Key`` makes it safe)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._protocol: _ResponseProtocol | None = None

    async def connect(self) -> None:
        if self._protocol is None or self._protocol.closed:
            loop = asyncio.get_running_loop()
            _, self._protocol = await loop.create_connection(
                _ResponseProtocol, self.host, self.port
            )

    async def send(self, raw: bytes, timeout_seconds: float = 30.0) -> Reply:
        await self.connect()
        protocol = self._protocol
        assert protocol is not None
        protocol.waiter = asyncio.get_running_loop().create_future()
        started = time.perf_counter()
        assert protocol.transport is not None
        protocol.transport.write(raw)
        try:
            with reply_deadlines().limit(timeout_seconds):
                status, body, completed_at = await protocol.waiter
        except BaseException:
            self.close()
            raise
        return Reply(status, body, completed_at - started)

    def close(self) -> None:
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()
        self._protocol = None
