"""The listening sockets of ``waitroom serve``: one per worker (``SO_REUSEPORT``), or one shared.

uvicorn's supervisor (``uvicorn.supervisors.Multiprocess``) binds one socket in the parent and
every worker accepts from it: whichever worker's event loop gets to a new connection first
takes it, so under load one worker collects more (57-73 % of the new connections with two busy
workers, ``python -m loadtests.accept_split``) and its queue sets the tail latency. With
``SO_REUSEPORT`` (Linux) each worker listens on a socket of its own bound to the same address,
and the kernel spreads new connections over them by a hash of the connection's addresses:
evenly, whatever the load.

How it fits uvicorn without copying its supervisor: the supervisor hands the list of sockets it
was given to every worker it starts (the first ones, the replacement of a dead worker, those of
SIGHUP and SIGTTIN) as arguments of a ``multiprocessing`` *spawn* process, so they are pickled.
The parent keeps a :class:`ReservedPort`: a socket bound with ``SO_REUSEPORT`` that never
listens (it receives no connections; it holds the port while workers come and go and proves at
start that the port is free). Pickled, it does not travel as a descriptor (as a plain socket
does): it turns into "bind a new ``SO_REUSEPORT`` socket to this address" in the worker, and
uvicorn's ``Server.startup`` then listens on it as on any socket it is handed. Should a future
uvicorn fork its workers instead, they would inherit the reservation and listen on it together:
the shared socket again, not a failure.

Trade-offs of the per-worker layout (``waitroom serve --shared-socket`` opts out): connections a
dying worker had queued but not yet accepted are reset (the shared socket keeps them for the
other workers), and another process of the same user that sets ``SO_REUSEPORT`` could bind the
port too (the start refuses a port where anything already listens). Where ``SO_REUSEPORT`` does
not spread connections (not Linux) the shared socket is used.
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Callable
from enum import StrEnum

from uvicorn.config import STARTUP_FAILURE

from service_kit.errors import AddressInUse

logger = logging.getLogger("uvicorn.error")


class SocketLayout(StrEnum):
    PER_WORKER = "per-worker"
    """One ``SO_REUSEPORT`` socket per worker; the kernel spreads connections evenly."""
    SHARED = "shared"
    """One socket bound by the supervisor; every worker accepts from it."""


def per_worker_sockets_supported() -> bool:
    """Linux spreads connections over ``SO_REUSEPORT`` sockets (since 3.9); the BSDs and macOS
    have the option with other meanings (the last socket bound takes everything)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def address_family(host: str) -> socket.AddressFamily:
    """As uvicorn's ``Config.bind_socket``: IPv6 for an address with a colon, else IPv4."""
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _bind(
    host: str, port: int, *, reuse_port: bool, socket_class: type[socket.socket] = socket.socket
) -> socket.socket:
    """A TCP socket bound to ``host:port`` (not listening); ``SO_REUSEADDR`` as uvicorn sets it,
    so a restart is not refused for the previous run's connections in TIME_WAIT."""
    bound = socket_class(address_family(host), socket.SOCK_STREAM)
    try:
        bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        bound.bind((host, port))
    except OSError as error:
        bound.close()
        raise AddressInUse(host, port, error.strerror or str(error)) from error
    return bound


def check_port_free(host: str, port: int) -> None:
    """Raise :class:`AddressInUse` when anything listens on ``host:port``: a bind without
    ``SO_REUSEPORT`` fails even beside a listener that set it (another ``waitroom serve``)."""
    _bind(host, port, reuse_port=False).close()


class ReservedPort(socket.socket):
    """The supervisor's hold on the port: bound with ``SO_REUSEPORT``, never listening.

    Pickled for a worker it becomes a new socket bound to the same address in that worker
    (:func:`bind_worker_socket`), so every worker listens on a socket of its own."""

    def __reduce__(self) -> tuple[Callable[[str, int], socket.socket], tuple[str, int]]:
        host, port = self.getsockname()[:2]
        return bind_worker_socket, (host, port)


def reserve_port(host: str, port: int) -> ReservedPort:
    """Check that nothing listens on ``host:port`` and hold it for the workers (port 0: a free
    port, which the workers then share)."""
    check_port_free(host, port)
    reserved = _bind(host, port, reuse_port=True, socket_class=ReservedPort)
    assert isinstance(reserved, ReservedPort)
    return reserved


def bind_worker_socket(host: str, port: int) -> socket.socket:
    """In a worker: its own ``SO_REUSEPORT`` socket on the reserved address. A failure ends the
    worker as a failed start (uvicorn's supervisor then stops instead of restarting in a loop)."""
    try:
        return _bind(host, port, reuse_port=True)
    except AddressInUse as error:
        logger.error("waitroom: %s", error.detail)
        sys.exit(STARTUP_FAILURE)


def bind_shared(host: str, port: int) -> socket.socket:
    """One socket for every worker, as uvicorn's ``Config.bind_socket`` binds it."""
    shared = _bind(host, port, reuse_port=False)
    shared.set_inheritable(True)
    return shared


def effective_layout(requested: SocketLayout, workers: int) -> SocketLayout:
    """The layout a server runs with: per worker only with several workers, where supported."""
    if requested is SocketLayout.PER_WORKER and workers > 1 and per_worker_sockets_supported():
        return SocketLayout.PER_WORKER
    return SocketLayout.SHARED


def listening_socket(host: str, port: int, layout: SocketLayout) -> socket.socket:
    """What the supervisor hands its workers (see :func:`effective_layout`): a
    :class:`ReservedPort` for the per-worker layout, else one plain bound socket."""
    if layout is SocketLayout.PER_WORKER:
        return reserve_port(host, port)
    return bind_shared(host, port)
