"""How new connections spread over the workers of ``waitroom serve --workers 2`` while they are
busy: one ``SO_REUSEPORT`` socket per worker (the default) against one shared socket
(``--shared-socket``), runs interleaved.

With a shared socket a new connection goes to whichever worker's event loop accepts first, so
the split follows how busy each worker happens to be; with a socket per worker the kernel
picks by a hash of the connection's addresses. Here wrk keeps both workers busy (``GET
/healthz`` over ``--busy-connections`` connections) while ``--connections`` new connections
arrive in waves of ``--wave``; each sends one request and stays open. At the end /proc tells
which worker holds each of them (by the client's port: :mod:`loadtests.connection_split`).

    python -m loadtests.accept_split --rounds 2 [--output result.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from loadtests.connection_split import (
    connections_per_process,
    listening_sockets_per_process,
    shares,
)
from loadtests.servers import WAITROOM_FACTORY, ServeProcess, waitroom_environment
from loadtests.wrk_runner import wrk_binary
from waitroom.storage.embedded_redis import EmbeddedRedis

LAYOUT_FLAGS = {"per-worker": (), "shared": ("--shared-socket",)}


async def arrive(server: ServeProcess, connections: int, wave: int) -> dict[int, int]:
    """``connections`` new connections in waves of ``wave`` (one request each, kept open until
    counted): how many of them each worker holds."""
    host, port = server.host, server.port
    request = f"GET /healthz HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    opened: list[asyncio.StreamWriter] = []

    async def one() -> asyncio.StreamWriter:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)
        return writer

    try:
        for _ in range(connections // wave):
            opened += await asyncio.gather(*(one() for _ in range(wave)))
            await asyncio.sleep(0.02)
        clients = {writer.get_extra_info("sockname")[1] for writer in opened}
        return connections_per_process(server.worker_pids(), port, clients)
    finally:
        for writer in opened:
            writer.close()


def wait_for_listeners(server: ServeProcess, workers: int, timeout_seconds: float = 60) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        held = listening_sockets_per_process(server.worker_pids(), server.port)
        if len(held) == workers and all(held.values()):
            return
        time.sleep(0.1)
    raise RuntimeError("the workers did not all listen in time")


def measure(redis_url: str, layout: str, arguments: argparse.Namespace) -> dict[str, Any]:
    # connections opened first must still be open when all are counted
    environment = waitroom_environment(
        redis_url, secrets.token_urlsafe(24), WAITROOM_KEEP_ALIVE_TIMEOUT_SECONDS="120"
    )
    server = ServeProcess(
        WAITROOM_FACTORY, "/readyz", environment, workers=2, extra_flags=LAYOUT_FLAGS[layout]
    )
    with server:
        wait_for_listeners(server, 2)
        busy_seconds = arguments.seconds
        wrk = subprocess.Popen(
            [
                wrk_binary(), "-t1", f"-c{arguments.busy_connections}", f"-d{busy_seconds}s",
                f"{server.base_url}/healthz",
            ],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            time.sleep(1.0)  # the workers are busy
            split = asyncio.run(arrive(server, arguments.connections, arguments.wave))
        finally:
            output, _ = wrk.communicate(timeout=busy_seconds + 30)
    requests_line = next((line for line in output.splitlines() if "Requests/sec" in line), "")
    return {
        "layout": layout,
        "new_connections_per_worker": sorted(split.values(), reverse=True),
        "counted": sum(split.values()),
        "largest_share": round(max(shares(split), default=0.0), 3),
        "busy_load": requests_line.strip(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--wave", type=int, default=20)
    parser.add_argument("--busy-connections", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=8, help="how long wrk keeps them busy")
    parser.add_argument("--output", type=Path, default=None, help="write the results as JSON")
    arguments = parser.parse_args()
    results = []
    with EmbeddedRedis() as redis:
        for _ in range(arguments.rounds):
            for layout in LAYOUT_FLAGS:
                result = measure(redis.url, layout, arguments)
                print(json.dumps(result), file=sys.stderr, flush=True)
                results.append(result)
    text = json.dumps(results, indent=2)
    print(text)
    if arguments.output is not None:
        arguments.output.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
