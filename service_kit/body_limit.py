"""Request body limits: one pure-ASGI layer in front of every app (waiting room and shop).

Every request body reaches a handler through this layer, whatever reads it (``request.body()``,
``request.form()``, ``request.json()``). The layer

- answers **413** with a problem body at once when ``Content-Length`` is above the route's
  limit (the body is never read; a client sending ``Expect: 100-continue`` never sends it);
- otherwise reads the body as it arrives, chunked or not, counting bytes, and answers **413**
  as soon as the count passes the limit, having held at most the limit in memory;
- answers **408** when the whole body has not arrived within ``read_timeout_seconds`` (a slow
  sender holds no handler; checked by one timer per process, :mod:`service_kit.coarse_deadlines`,
  so the 408 comes up to an eighth of the timeout late, at most a second);
- hands a body within the limit to the app in one piece (``http.request``, ``more_body``
  false), so parsers downstream never see more than the limit.

413 and 408 answers carry ``Connection: close``. A refused body of at most
``DRAIN_MAX_BYTES`` is read to its end (and dropped, chunk by chunk) before the 413 goes out:
a server that closes a connection with unread data makes the kernel reset it, and the client
loses the answer it was sent. Larger bodies are refused at once (their senders may lose the
answer; nginx in front answers them itself), and so is any body whose client waits for ``100
Continue`` (it never sends it).
Requests without a body (no ``Content-Length``, no ``Transfer-Encoding``) pass untouched.
Limits are per route: the first :class:`BodyLimitRule` whose method and path prefix match
applies, else the default; a rule with ``max_body_bytes=None`` leaves the path to an inner
layer (the shop mounted inside the demo app has its own).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service_kit.coarse_deadlines import CoarseDeadlines
from service_kit.errors import BodyTimeout, BodyTooLarge, ServiceError
from service_kit.problems import PROBLEM_CONTENT_TYPE, error_problem

DEFAULT_READ_TIMEOUT_SECONDS = 15.0
MAX_DEADLINE_RESOLUTION_SECONDS = 1.0
DRAIN_MAX_BYTES = 2 * 1024 * 1024
"""Refused bodies up to this size are read to their end, so their senders get the 413."""


def deadline_resolution_seconds(timeout_seconds: float) -> float:
    """How often the read deadlines are looked at: an eighth of the timeout, at most 1 s."""
    return min(MAX_DEADLINE_RESOLUTION_SECONDS, max(timeout_seconds / 8, 0.001))


@dataclass(frozen=True, slots=True)
class BodyLimitRule:
    path_prefix: str
    """Matched against the path inside the app (a mounted app sees its own paths)."""
    max_body_bytes: int | None
    """None: this layer does not limit the path (an inner app's layer does)."""
    methods: frozenset[str] = frozenset()
    """Empty: every method."""

    def matches(self, method: str, path: str) -> bool:
        return path.startswith(self.path_prefix) and (not self.methods or method in self.methods)


class _TooLarge(Exception):
    """More than the limit came; ``received`` counts the bytes read so far (for the drain)."""

    def __init__(self, received: int) -> None:
        super().__init__(received)
        self.received = received


class RequestBodyLimit:
    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        rules: Sequence[BodyLimitRule] = (),
        read_timeout_seconds: float = DEFAULT_READ_TIMEOUT_SECONDS,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.rules = tuple(rules)
        self.read_timeout_seconds = read_timeout_seconds
        self.deadlines = CoarseDeadlines(deadline_resolution_seconds(read_timeout_seconds))

    def limit_for(self, scope: Scope) -> int | None:
        method = scope["method"]
        path = route_path(scope)
        for rule in self.rules:
            if rule.matches(method, path):
                return rule.max_body_bytes
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, has_body = _declared_length(scope)
        limit = self.limit_for(scope) if has_body else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        if declared is not None and declared > limit:
            if declared <= DRAIN_MAX_BYTES and not _expects_continue(scope):
                await self._drain(receive)
            await _refuse(send, BodyTooLarge(limit))
            return
        try:
            with self.deadlines.limit(self.read_timeout_seconds):
                body, disconnected = await _read_body(receive, limit)
        except _TooLarge as too_large:
            if too_large.received <= DRAIN_MAX_BYTES:
                await self._drain(receive, too_large.received)
            await _refuse(send, BodyTooLarge(limit))
            return
        except TimeoutError:
            await _refuse(send, BodyTimeout(self.read_timeout_seconds, limit))
            return
        if disconnected:
            return  # the client went away mid-body: nobody to answer
        await self.app(scope, replay_body(body, receive), send)


    async def _drain(self, receive: Receive, received: int = 0) -> None:
        """Read and drop the rest of a refused body, up to DRAIN_MAX_BYTES in all and within
        the read timeout; what is left after that stays unread."""
        try:
            with self.deadlines.limit(self.read_timeout_seconds):
                while received <= DRAIN_MAX_BYTES:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return
                    received += len(message.get("body", b""))
                    if not message.get("more_body", False):
                        return
        except TimeoutError:
            return


def _expects_continue(scope: Scope) -> bool:
    return any(
        name == b"expect" and value.lower() == b"100-continue" for name, value in scope["headers"]
    )


def route_path(scope: Scope) -> str:
    """The path inside this app: a mounted app's scope keeps the full path in ``path`` and
    its mount point in ``root_path``."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if root_path and path.startswith(root_path):
        return path[len(root_path) :] or "/"
    return path


def _declared_length(scope: Scope) -> tuple[int | None, bool]:
    """(Content-Length or None, whether a body follows)."""
    declared: int | None = None
    has_body = False
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                declared = None  # the server refuses malformed lengths before this point
            has_body = has_body or declared != 0
        elif name == b"transfer-encoding":
            has_body = True
    return declared, has_body


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """(body, disconnected); raises _TooLarge as soon as more than ``limit`` bytes came."""
    chunks: list[bytes] = []
    received = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"", True
        chunk = message.get("body", b"")
        received += len(chunk)
        if received > limit:
            raise _TooLarge(received)
        if chunk:
            chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False


async def read_body(receive: Receive) -> bytes | None:
    """The whole body (None when the client went away first). Behind this layer it comes in
    one message of at most the limit."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def replay_body(body: bytes, receive: Receive) -> Receive:
    """The body once, in one message; then the server's own events (disconnect)."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _refuse(send: Send, error: ServiceError) -> None:
    problem = error_problem(error)
    payload = problem.body
    await send(
        {
            "type": "http.response.start",
            "status": problem.status,
            "headers": [
                (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                (b"content-length", str(len(payload)).encode()),
                (b"cache-control", b"no-store"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload, "more_body": False})
