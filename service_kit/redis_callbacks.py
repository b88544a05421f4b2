"""One Redis connection whose replies reach their callers in the loop's I/O step.

redis-py's asyncio client hands a reply to the task that awaits it: the reply is read when the
loop polls the socket, and the task runs a step later, after everything else that is ready. On
a process serving a thousand requests at once a step takes tens of ms, and a call that goes
through the pool, a lock and a task takes several. For the few calls whose answer every request
waits on (the shop's stock view), :class:`CallbackConnection` writes the command as it is
called and parses replies in ``data_received`` (with hiredis, as redis-py does), calling each
caller's function at once; commands are pipelined on the one connection, replies come in
order. A lost connection fails the calls out; the next call opens a new one.

Only plain TCP connections (``redis://``, with a password, user name and database) are made
here; :func:`RedisAddress.of` says None for anything else (TLS, a unix socket, a cluster), and
the caller keeps to redis-py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import hiredis
from redis.asyncio import Redis, RedisCluster
from redis.asyncio.connection import SSLConnection

LOGGER = logging.getLogger("service_kit")
Reply = Callable[[Any], None]
"""Gets the reply: a value, a ``hiredis.ReplyError`` for an error reply, or an ``OSError``
(``ConnectionError``) when the connection was lost or could not be made."""


@dataclass(frozen=True, slots=True)
class RedisAddress:
    host: str
    port: int
    db: int = 0
    username: str | None = None
    password: str | None = None
    connect_timeout_seconds: float = 2.0
    reply_timeout_seconds: float = 5.0
    """A reply later than this ends the connection (a Redis that hangs, or whose socket a
    forked child still holds open after the server was killed, never closes it)."""

    @classmethod
    def of(cls, redis: Redis) -> RedisAddress | None:
        """Where ``redis`` connects, when that is plain TCP; None otherwise."""
        if isinstance(redis, RedisCluster):
            return None
        pool = redis.connection_pool
        options = pool.connection_kwargs
        if issubclass(pool.connection_class, SSLConnection) or "path" in options:
            return None
        if "host" not in options or "port" not in options:
            return None
        return cls(
            host=str(options["host"]),
            port=int(options["port"]),
            db=int(options.get("db") or 0),
            username=options.get("username"),
            password=options.get("password"),
            connect_timeout_seconds=float(options.get("socket_connect_timeout") or 2.0),
            reply_timeout_seconds=float(options.get("socket_timeout") or 5.0),
        )


def pack_command(args: Sequence[Any]) -> bytes:
    """A command in RESP (an array of bulk strings)."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, bytes):
            value = arg
        elif isinstance(arg, str):
            value = arg.encode()
        elif isinstance(arg, int | float):
            value = repr(arg).encode()
        else:
            raise TypeError(f"cannot send {type(arg).__name__} to Redis")
        parts += [b"$%d\r\n" % len(value), value, b"\r\n"]
    return b"".join(parts)


class _Protocol(asyncio.Protocol):
    def __init__(self, reply_timeout_seconds: float) -> None:
        self.transport: asyncio.Transport | None = None
        self.replies: deque[Reply] = deque()
        self.sent_at: deque[float] = deque()
        """When each reply still awaited was asked for (loop time)."""
        self.reader = hiredis.Reader()
        self.lost = False
        self.reply_timeout_seconds = reply_timeout_seconds
        self._watch: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        try:
            self.reader.feed(data)
            while (reply := self.reader.gets()) is not False:
                self.sent_at.popleft()
                _deliver(self.replies.popleft(), reply)
        except (hiredis.ProtocolError, IndexError) as error:  # not Redis, or out of step
            self._fail(ConnectionError(f"bad reply from Redis: {error!r}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(ConnectionError(f"the Redis connection was lost: {exc!r}"))

    def send(self, command: bytes, reply: Reply) -> None:
        assert self.transport is not None
        if self.lost:  # no reply can come: the caller is told now
            _deliver(reply, ConnectionError("the Redis connection was lost"))
            return
        loop = asyncio.get_running_loop()
        self.replies.append(reply)
        self.sent_at.append(loop.time())
        self.transport.write(command)
        if self._watch is None:
            self._watch = loop.call_later(self.reply_timeout_seconds, self._check_replies)

    def _check_replies(self) -> None:
        """One timer per connection: the oldest reply awaited may not be late."""
        self._watch = None
        if self.lost or not self.sent_at:
            return
        loop = asyncio.get_running_loop()
        due = self.sent_at[0] + self.reply_timeout_seconds
        if loop.time() >= due:
            self._fail(ConnectionError("Redis did not answer in time"))
        else:
            self._watch = loop.call_at(due, self._check_replies)

    def _fail(self, error: OSError) -> None:
        self.lost = True
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        if self.transport is not None:
            self.transport.close()
        self.sent_at.clear()
        while self.replies:
            _deliver(self.replies.popleft(), error)


def _deliver(reply: Reply, value: Any) -> None:
    try:
        reply(value)
    except Exception:  # a caller's bug must not stop the replies behind it
        LOGGER.exception("a Redis reply's callback failed")


class CallbackConnection:
    def __init__(self, address: RedisAddress) -> None:
        self.address = address
        self._protocol: _Protocol | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._queued: list[tuple[bytes, Reply]] = []
        self._closed = False

    def call(self, args: Sequence[Any], reply: Reply) -> None:
        """Send ``args`` now (or as soon as the connection is made); ``reply`` gets the
        answer in the loop's I/O step."""
        if self._closed:
            reply(ConnectionError("the connection is closed"))
            return
        command = pack_command(args)
        protocol = self._protocol
        if protocol is not None and not protocol.lost:
            protocol.send(command, reply)
            return
        self._queued.append((command, reply))
        if self._connecting is None:
            self._connecting = asyncio.get_running_loop().create_task(self._connect())

    def eval_script(
        self, sha: str, source: str, keys: Sequence[Any], args: Sequence[Any], reply: Reply
    ) -> None:
        """EVALSHA; after NOSCRIPT (a Redis that never saw the script, or restarted) the
        script's ``source`` with EVAL, once."""
        tail = [len(keys), *keys, *args]

        def first(value: Any) -> None:
            if isinstance(value, hiredis.ReplyError) and str(value).startswith("NOSCRIPT"):
                self.call(["EVAL", source, *tail], reply)
            else:
                reply(value)

        self.call(["EVALSHA", sha, *tail], first)

    async def _connect(self) -> None:
        """Open a connection for the calls queued meanwhile. The callers hear of a failure
        only once this attempt is over: a caller that calls again from its function (the stock
        view sends the next read) starts the next attempt, not a call queued for none."""
        opened: _Protocol | OSError | TimeoutError
        try:
            opened = await self._open()
        except (OSError, TimeoutError) as error:
            opened = error
        finally:
            self._connecting = None  # cleared before the callers hear of a failure
        if not isinstance(opened, _Protocol):
            self._fail_queued(ConnectionError(f"cannot connect to Redis: {opened!r}"))
            return
        protocol = opened
        self._protocol = protocol
        for setup in self._setup_commands():
            protocol.send(pack_command(setup), _setup_reply(protocol))
        queued, self._queued = self._queued, []
        for command, reply in queued:
            protocol.send(command, reply)

    async def _open(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(self.address.connect_timeout_seconds):
            _, protocol = await loop.create_connection(
                lambda: _Protocol(self.address.reply_timeout_seconds),
                self.address.host,
                self.address.port,
            )
        if protocol.lost:  # closed by the server before this task ran again
            raise ConnectionError("the Redis connection was lost as it was made")
        return protocol

    def _setup_commands(self) -> list[list[Any]]:
        address = self.address
        commands: list[list[Any]] = []
        if address.password is not None:
            commands.append(
                ["AUTH", address.password]
                if address.username is None
                else ["AUTH", address.username, address.password]
            )
        if address.db:
            commands.append(["SELECT", address.db])
        return commands

    async def aclose(self) -> None:
        self._closed = True
        connecting = self._connecting
        if connecting is not None:
            connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await connecting
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()
        self._fail_queued(ConnectionError("the connection is closed"))

    def _fail_queued(self, error: OSError) -> None:
        """Tell the calls queued so far (calls made meanwhile are queued anew)."""
        queued, self._queued = self._queued, []
        for _, reply in queued:
            _deliver(reply, error)


def _setup_reply(protocol: _Protocol) -> Reply:
    def check(value: Any) -> None:
        if isinstance(value, Exception):  # a wrong password or database: nothing works
            LOGGER.error("Redis refused the connection's set-up: %s", value)
            protocol._fail(ConnectionError(f"Redis refused the connection: {value}"))

    return check
