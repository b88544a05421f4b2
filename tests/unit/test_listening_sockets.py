"""The listening sockets of ``waitroom serve`` (service_kit.listening_sockets), on real sockets:
the supervisor's reservation becomes a socket of its own in each worker it is handed to, a port
where anything listens is refused, and the layout falls back to one shared socket when needed."""

from __future__ import annotations

import pickle
import socket
from collections.abc import Iterator
from multiprocessing.reduction import ForkingPickler

import pytest

from service_kit.errors import AddressInUse
from service_kit.listening_sockets import (
    ReservedPort,
    SocketLayout,
    check_port_free,
    effective_layout,
    listening_socket,
    per_worker_sockets_supported,
    reserve_port,
)

pytestmark = pytest.mark.skipif(
    not per_worker_sockets_supported(), reason="SO_REUSEPORT spreads connections on Linux only"
)


@pytest.fixture
def reserved() -> Iterator[ReservedPort]:
    reservation = reserve_port("127.0.0.1", 0)
    yield reservation
    reservation.close()


def handed_to_a_worker(reservation: socket.socket) -> socket.socket:
    """What a spawned worker receives: the socket pickled as multiprocessing pickles it."""
    received = pickle.loads(ForkingPickler.dumps(reservation))
    assert isinstance(received, socket.socket)
    return received


def test_each_worker_gets_a_socket_of_its_own_on_the_reserved_address(
    reserved: ReservedPort,
) -> None:
    first, second = handed_to_a_worker(reserved), handed_to_a_worker(reserved)
    try:
        assert first.getsockname() == second.getsockname() == reserved.getsockname()
        assert len({reserved.fileno(), first.fileno(), second.fileno()}) == 3
        assert not isinstance(first, ReservedPort)  # a worker's socket is a plain one
        for received in (first, second):
            assert received.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
            received.listen()
        # both listen on the port: connections reach one of them, never the reservation
        for _ in range(20):
            with socket.create_connection(reserved.getsockname(), timeout=2):
                pass
    finally:
        first.close()
        second.close()


def test_a_port_where_anything_listens_is_refused(reserved: ReservedPort) -> None:
    host, port = reserved.getsockname()
    worker = handed_to_a_worker(reserved)
    worker.listen()
    try:
        # a second `waitroom serve` (same user, SO_REUSEPORT too) would otherwise join the port
        with pytest.raises(AddressInUse, match=f"127.0.0.1:{port}: Address already in use"):
            reserve_port(host, port)
        with pytest.raises(AddressInUse):
            listening_socket(host, port, SocketLayout.SHARED)
    finally:
        worker.close()


def test_a_port_held_by_a_plain_listener_is_refused() -> None:
    with socket.create_server(("127.0.0.1", 0)) as other_program:
        port = other_program.getsockname()[1]
        with pytest.raises(AddressInUse) as refused:
            check_port_free("127.0.0.1", port)
        assert refused.value.port == port
        with pytest.raises(AddressInUse):
            listening_socket("127.0.0.1", port, SocketLayout.PER_WORKER)


def test_a_free_port_after_a_stop_is_reserved_again(reserved: ReservedPort) -> None:
    host, port = reserved.getsockname()
    reserved.close()
    again = reserve_port(host, port)
    again.close()


def test_the_shared_layout_hands_a_plain_inheritable_socket() -> None:
    shared = listening_socket("127.0.0.1", 0, SocketLayout.SHARED)
    try:
        assert type(shared) is socket.socket  # multiprocessing passes it as a descriptor
        assert shared.get_inheritable()
        assert shared.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 0
    finally:
        shared.close()


@pytest.mark.parametrize(
    ("requested", "workers", "expected"),
    [
        (SocketLayout.PER_WORKER, 2, SocketLayout.PER_WORKER),
        (SocketLayout.PER_WORKER, 1, SocketLayout.SHARED),
        (SocketLayout.SHARED, 4, SocketLayout.SHARED),
    ],
)
def test_layout(requested: SocketLayout, workers: int, expected: SocketLayout) -> None:
    assert effective_layout(requested, workers) is expected
