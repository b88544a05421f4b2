"""uvicorn's httptools protocol with the two limits it lacks: request head size and time.

uvicorn serves HTTP/1.1 with httptools (the C parser the benchmarks use). Its h11 protocol has
a head size limit (``h11_max_incomplete_event_size``) but is several times slower; its httptools
protocol has neither a size limit (a 100 MB header was read whole, +200 MB of memory) nor a
time limit for the head (slowloris connections that send a header byte now and then stay open
for ever; uvicorn's keep-alive timeout only covers idle time *between* requests). This subclass
adds both, and nothing else:

- **size**: more than ``max_request_head_bytes`` of request line and headers is answered with
  431 and the connection is closed. Bytes of an unfinished head are counted as they arrive, so
  at most the limit plus one socket read is ever held; a finished head is measured once;
- **time**: a request head (from the connection's start, or from the first byte of the next
  request on a kept-alive connection) that is not complete within
  ``request_head_timeout_seconds`` is answered with 408 and the connection is closed (one
  that never sent a byte is just closed).

Both that and uvicorn's keep-alive timeout (an idle connection is closed
``timeout_keep_alive`` after its last answer) are watched by one lazily re-armed timer per
connection: a request costs a clock read, no timer work (uvicorn armed and cancelled a loop
timer per response, ~5 µs under uvloop). The watch never waits longer than the shorter of the
two timeouts; when it finds a deadline still ahead it re-arms for exactly that moment, so both
fire on time. And one write per response (:class:`OneWriteResponse`), and at most
``LIMIT_PER_STEP`` connections' requests taken in per loop step (:mod:`service_kit.read_budget`:
the others wait their turn in the next steps, so a request in progress gets the answers it
awaits within milliseconds under a flood).

Bodies are limited by the ASGI layer (service_kit/body_limit.py). Limits come from
:class:`service_kit.server_limits.ServerLimits` (``WAITROOM_*`` environment, read once per process).
Selected with ``http="service_kit.http_protocol:GuardedHttpToolsProtocol"``, as ``waitroom serve``
and ``waitroom demo`` do (:func:`uvicorn_options`).
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.server import ServerState

from service_kit.errors import HeadTimeout, HeadTooLarge, ServiceError
from service_kit.problems import PROBLEM_CONTENT_TYPE, error_problem
from service_kit.read_budget import read_budget
from service_kit.server_limits import ServerLimits

PROTOCOL = "service_kit.http_protocol:GuardedHttpToolsProtocol"
DEFERRED_MAX_BYTES = 65536
"""A deferred connection's socket is paused once it has sent this much more meanwhile."""
HEADER_OVERHEAD_BYTES = 4
"""``: `` and CRLF around each header, as sent."""


@functools.cache
def process_limits() -> ServerLimits:
    return ServerLimits.from_environ()


def uvicorn_options(limits: ServerLimits) -> dict[str, Any]:
    """What ``uvicorn.run`` needs to serve with these limits."""
    return {"http": PROTOCOL, "timeout_keep_alive": limits.keep_alive_timeout_seconds}


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        limits = process_limits()
        self.max_head_bytes = limits.max_request_head_bytes
        self.head_timeout_seconds = limits.request_head_timeout_seconds
        self._head_started: float | None = None
        """Loop time at which the head being read began; None while no head is being read."""
        self._head_bytes_received = 0
        self._read_bytes = 0
        self._idle_since: float | None = None
        """Loop time of the last answer while the connection waits for its next request."""
        self._watch_timer: asyncio.TimerHandle | None = None
        """At most one per connection, re-armed lazily: no timer work per request."""
        self._watch_seconds = min(self.head_timeout_seconds, float(self.timeout_keep_alive))
        self._deferred: list[bytes] | None = None
        """Bytes read while this loop step had taken in its budget of connections."""
        self._deferred_bytes = 0
        self._refusal: ServiceError | None = None
        """The error this connection was (or is being) refused with; later reads are ignored."""

    # connection lifetime
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._budget = read_budget(self.loop)
        self._one_write = OneWriteResponse(transport)
        self._start_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._deferred = None
        if self._watch_timer is not None:
            self._watch_timer.cancel()
            self._watch_timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._idle_since = None
        if self._refusal is not None:
            return
        if self._deferred is not None:  # read while deferred: kept behind the rest
            self._deferred.append(data)
            self._deferred_bytes += len(data)
            if self._deferred_bytes > DEFERRED_MAX_BYTES:
                self.flow.pause_reading()  # a client that keeps sending waits for its turn
            return
        if not self._budget.take():  # this loop step has taken in enough: the next ones
            self._deferred = [data]
            self._deferred_bytes = len(data)
            self._budget.defer(self)
            return
        self._take_in(data)

    def take_deferred(self) -> None:
        """The loop step's turn of a connection whose data was deferred (:mod:`read_budget`)."""
        chunks, self._deferred = self._deferred, None
        if chunks is None or self._refusal is not None or self.transport.is_closing():
            return  # gone, or refused meanwhile (a head that took too long)
        self.flow.resume_reading()
        self._take_in(b"".join(chunks))

    def _take_in(self, data: bytes) -> None:
        self._read_bytes = len(data)
        super().data_received(data)
        if self._head_started is not None and self._refusal is None:
            # still inside a request head after this read: count what it is holding
            self._head_bytes_received += len(data)
            if self._head_bytes_received > self.max_head_bytes:
                self._refuse(HeadTooLarge(self.max_head_bytes))

    # parser callbacks
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._start_head()

    def on_headers_complete(self) -> None:
        self._head_started = None
        # the head came within the bytes counted so far plus this read: only when those could
        # exceed the limit is the head itself measured
        if (
            self._head_bytes_received + self._read_bytes > self.max_head_bytes
            and self._parsed_head_bytes() > self.max_head_bytes
        ):
            self._refusal = HeadTooLarge(self.max_head_bytes)
            raise self._refusal  # the parser stops; uvicorn calls send_400_response
        super().on_headers_complete()
        # the response's head and the first part of its body in one write
        self.cycle.transport = self._one_write.serving(self.cycle)

    def on_response_complete(self) -> None:
        """uvicorn's, but the idle time is left to the connection's watch (no timer)."""
        self._one_write.flush()  # a head without a body write (HEAD, 204, 304, empty body)
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self._unset_keepalive_if_required()
        self.flow.resume_reading()
        if self.pipeline:  # pipelined requests: the next one is answered now
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
            return
        self._idle_since = self.loop.time()
        self._watch_soon()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a parser error, which on_headers_complete raises for a large
        head."""
        if self._refusal is not None:
            refusal, self._refusal = self._refusal, None
            self._refuse(refusal)
            return
        super().send_400_response(msg)

    # the limits
    def _parsed_head_bytes(self) -> int:
        return len(self.url) + sum(
            len(name) + len(value) + HEADER_OVERHEAD_BYTES for name, value in self.headers
        )

    def _start_head(self) -> None:
        self._head_started = self.loop.time()
        self._head_bytes_received = 0
        self._watch_soon()

    def _watch_soon(self) -> None:
        """Arm the watch unless it is armed (it is due within the shorter timeout)."""
        if self._watch_timer is None:
            self._watch_timer = self.loop.call_later(self._watch_seconds, self._watch)

    def _watch(self) -> None:
        self._watch_timer = None
        now = self.loop.time()
        started = self._head_started
        if started is None:
            idle_since = self._idle_since
            if idle_since is None:
                return  # a request is being answered: its answer arms the watch again
            remaining = idle_since + self.timeout_keep_alive - now
            if remaining > 0:
                self._watch_timer = self.loop.call_later(remaining, self._watch)
            elif not self.transport.is_closing():
                self.transport.close()  # idle for the keep-alive timeout, as uvicorn closes
            return
        remaining = started + self.head_timeout_seconds - now
        if remaining > 0:
            self._watch_timer = self.loop.call_later(remaining, self._watch)
            return
        if self._head_bytes_received == 0:
            # nothing of a request arrived (an idle or speculative connection): just close
            self._refusal = HeadTimeout(self.head_timeout_seconds)
            if not self.transport.is_closing():
                self.transport.close()
            return
        self._refuse(HeadTimeout(self.head_timeout_seconds))

    def _refuse(self, error: ServiceError) -> None:
        """Answer ``error`` as a problem body and close: nothing more is read."""
        self._head_started = None
        self._refusal = error  # later reads are ignored
        if self.transport.is_closing():
            return
        problem = error_problem(error)
        head = (
            f"HTTP/1.1 {problem.status} {problem.title}\r\n"
            f"content-type: {PROBLEM_CONTENT_TYPE}\r\n"
            f"content-length: {len(problem.body)}\r\n"
            "connection: close\r\n\r\n"
        )
        body = problem.body
        self.transport.write(head.encode("ascii") + body)
        self.transport.close()


class OneWriteResponse(asyncio.Transport):
    """The connection's transport as uvicorn's response cycles see it (one per connection):
    the response head (a cycle's first write once its response has started) is held and goes
    out with the first part of the body, in one write: one ``send()`` and one TCP segment
    instead of two, for the server and for the client. Anything else (``100 Continue``, the
    body's later parts) is written at once; a held head is written when the response ends
    without a body write (the protocol's ``on_response_complete``) or the cycle closes the
    connection. The cycles call only ``write``, ``close`` and ``is_closing``
    (uvicorn.protocols.http.httptools_impl.RequestResponseCycle); nothing else is offered.
    Pipelined requests are answered one after the other, so one holder serves them all."""

    def __init__(self, transport: asyncio.Transport) -> None:
        super().__init__()
        self._transport = transport
        self._cycle: RequestResponseCycle | None = None
        self._head_due = False
        self._held = b""

    def serving(self, cycle: RequestResponseCycle) -> OneWriteResponse:
        """Hold the head of ``cycle``'s response (the newest request of the connection)."""
        self._cycle = cycle
        self._head_due = True
        return self

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._head_due and self._cycle is not None and self._cycle.response_started:
            self._head_due = False
            self._held = bytes(data)
            return
        if self._held:
            data, self._held = self._held + bytes(data), b""
        self._transport.write(data)

    def flush(self) -> None:
        if self._held:
            held, self._held = self._held, b""
            self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()
