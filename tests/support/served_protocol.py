"""The served HTTP protocol (service_kit.http_protocol) on real socket pairs, in the test's own
loop: one server end per connection, the other end a non-blocking socket for the test."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field

from starlette.types import ASGIApp
from uvicorn.config import Config
from uvicorn.server import ServerState

from service_kit.http_protocol import PROTOCOL, GuardedHttpToolsProtocol


@dataclass
class ProtocolServer:
    """Serves ``app`` on each socket pair :meth:`connect` makes; :meth:`close` ends them all."""

    app: ASGIApp
    _config: Config = field(init=False)
    _state: ServerState = field(init=False, default_factory=ServerState)
    _opened: list[tuple[asyncio.BaseTransport, socket.socket]] = field(
        init=False, default_factory=list
    )

    def __post_init__(self) -> None:
        self._config = Config(app=self.app, http=PROTOCOL, lifespan="off", log_level="warning")
        self._config.load()

    async def connect(self) -> tuple[socket.socket, GuardedHttpToolsProtocol]:
        """A new connection: the client's socket and the protocol serving it."""
        server_end, client_end = socket.socketpair()
        server_end.setblocking(False)
        client_end.setblocking(False)
        transport, protocol = await asyncio.get_running_loop().connect_accepted_socket(
            lambda: GuardedHttpToolsProtocol(self._config, self._state, {}), server_end
        )
        assert isinstance(protocol, GuardedHttpToolsProtocol)
        self._opened.append((transport, client_end))
        return client_end, protocol

    def close(self) -> None:
        for transport, client_end in self._opened:
            transport.close()
            client_end.close()
        self._opened.clear()
