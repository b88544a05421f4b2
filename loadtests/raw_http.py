"""A raw HTTP/1.1 exchange over a real socket: send exactly these bytes, read the status.

HTTP client libraries refuse to send what the bad-input catalogue needs (broken chunked
framing, bytes outside latin-1 in the path, a header without a colon, a 16 MB header), so the
catalogue writes requests itself. One request per connection (``Connection: close``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from dataclasses import dataclass

MAX_BODY_BYTES = 64 * 1024
WRITE_ERRORS = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


@dataclass(frozen=True)
class RawAnswer:
    status: int
    """0: no answer (the server closed the connection or the time ran out)."""
    headers: dict[str, str]
    body: bytes
    seconds: float
    note: str = ""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def request_head(
    method: bytes, target: bytes, host: str, headers: Iterable[tuple[bytes, bytes]] = ()
) -> bytes:
    """The request line and headers (``Host`` and ``Connection: close`` first)."""
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: " + host.encode(), b"Connection: close"]
    lines += [name + b": " + value for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    headers = {}
    for line in lines[1:]:
        name, separator, value = line.partition(":")
        if separator:
            headers[name.strip().lower()] = value.strip()
    return status, headers


async def _read_body(reader: asyncio.StreamReader, limit: int) -> bytes:
    """Up to ``limit`` bytes, or what came before the server closed the connection."""
    content = b""
    while len(content) < limit:
        chunk = await reader.read(limit - len(content))
        if not chunk:
            break
        content += chunk
    return content


async def exchange(
    host: str,
    port: int,
    head: bytes,
    body: Iterable[bytes] = (),
    timeout_seconds: float = 10.0,
) -> RawAnswer:
    """Send ``head`` then the ``body`` chunks; the server may answer (and close) before the
    body is through, as a size limit does: the answer is read all the same."""
    started = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, limit=MAX_BODY_BYTES * 4), timeout_seconds
        )
    except (OSError, TimeoutError) as error:
        return RawAnswer(0, {}, b"", time.monotonic() - started, f"connect: {error!r}")
    note = ""
    try:
        try:
            writer.write(head)
            for chunk in body:
                writer.write(chunk)
                await asyncio.wait_for(writer.drain(), timeout_seconds)
            await asyncio.wait_for(writer.drain(), timeout_seconds)
        except WRITE_ERRORS:
            note = "the server closed the connection while the request was sent"
        except TimeoutError:
            note = "the server stopped reading the request"
        try:
            raw_head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout_seconds)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, OSError):
            return RawAnswer(0, {}, b"", time.monotonic() - started, note or "no answer")
        status, headers = _parse_head(raw_head)
        length = headers.get("content-length", "")
        wanted = min(int(length), MAX_BODY_BYTES) if length.isdigit() else MAX_BODY_BYTES
        content = b""
        with contextlib.suppress(TimeoutError, OSError):
            content = await asyncio.wait_for(_read_body(reader, wanted), timeout_seconds)
        return RawAnswer(status, headers, content, time.monotonic() - started, note)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
