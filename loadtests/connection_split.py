"""Which worker process holds which TCP sockets of a port, read from /proc (Linux).

The honest count of how a server's connections are spread over its workers: an accepted
connection is a socket descriptor in exactly one worker (``/proc/<pid>/fd`` links to
``socket:[inode]``), and ``/proc/net/tcp`` and ``tcp6`` give each socket's local port and
state. Nothing in the app is asked, so the count is the same for any server. Connections still
waiting in a listening socket's queue (not yet accepted) belong to no worker and are not counted,
nor are those the server already closed (an idle one past its keep-alive timeout).

    python -m loadtests.connection_split 8000 <supervisor pid>
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable
from pathlib import Path

ESTABLISHED = "01"
LISTEN = "0A"
TCP_TABLES = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))


def peer_ports(port: int, state: str) -> dict[int, int]:
    """The TCP sockets whose local port is ``port`` and whose state is ``state``: inode to the
    peer's port (a client's own port for an accepted connection)."""
    found: dict[int, int] = {}
    for table in TCP_TABLES:
        try:
            lines = table.read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            # sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid to inode
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == state:
                found[int(fields[9])] = int(fields[2].rsplit(":", 1)[1], 16)
    return found


def socket_inodes(port: int, state: str) -> set[int]:
    """Inodes of the TCP sockets whose local port is ``port`` and whose state is ``state``."""
    return set(peer_ports(port, state))


def held_socket_inodes(pid: int) -> set[int]:
    """Inodes of the sockets process ``pid`` holds descriptors of (empty if it is gone)."""
    held: set[int] = set()
    directory = Path(f"/proc/{pid}/fd")
    try:
        entries = list(directory.iterdir())
    except OSError:
        return held
    for entry in entries:
        try:
            target = os.readlink(entry)
        except OSError:
            continue
        if target.startswith("socket:["):
            held.add(int(target[len("socket:[") : -1]))
    return held


def connections_per_process(
    pids: Iterable[int], port: int, clients: set[int] | None = None
) -> dict[int, int]:
    """Established connections to ``port`` each process holds (only those from the client
    ports ``clients`` when given)."""
    established = {
        inode
        for inode, peer in peer_ports(port, ESTABLISHED).items()
        if clients is None or peer in clients
    }
    return {pid: len(held_socket_inodes(pid) & established) for pid in pids}


def listening_sockets_per_process(pids: Iterable[int], port: int) -> dict[int, set[int]]:
    """The listening sockets of ``port`` each process holds (shared ones appear in several)."""
    listening = socket_inodes(port, LISTEN)
    return {pid: held_socket_inodes(pid) & listening for pid in pids}


def shares(counts: dict[int, int]) -> list[float]:
    """Each process's fraction of the connections, largest first."""
    total = sum(counts.values())
    return sorted((count / total for count in counts.values()), reverse=True) if total else []


def main() -> int:
    from loadtests.servers import worker_pids

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("supervisor_pid", type=int, help="the pid of `waitroom serve` (or uvicorn)")
    arguments = parser.parse_args()
    workers = worker_pids(arguments.supervisor_pid)
    counts = connections_per_process(workers, arguments.port)
    listening = listening_sockets_per_process(workers, arguments.port)
    for pid in workers:
        sockets = sorted(listening[pid])
        print(f"worker {pid}: {counts[pid]} connections, listening sockets {sockets}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
