"""What uvicorn's HTTP protocol costs per request: CPU time of the bare app's server process.

Runs the bare Starlette app (loadtests/bare_app.py) under each protocol, with the benchmark
settings otherwise (one worker, uvloop, no access log), loads each in turn with wrk, and divides
the CPU time the server used by the requests it answered. CPU per request does not depend on
what else the machine is doing, unlike requests per second on a shared machine.

- ``httptools``: uvicorn's C parser, no request head limits;
- ``guarded``: the protocol ``waitroom serve`` uses (service_kit/http_protocol.py: httptools plus
  the head size and head time limits);
- ``h11``: uvicorn's pure-Python parser, which has a head size limit of its own.

    python -m loadtests.protocol_cost --rounds 5 --duration 3
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
from collections.abc import Sequence

from loadtests.bare_app import BARE_PATH
from loadtests.servers import BARE_FACTORY, UvicornProcess
from loadtests.wrk_runner import wrk_binary
from service_kit.http_protocol import PROTOCOL

PROTOCOLS = {"httptools": "httptools", "guarded": PROTOCOL, "h11": "h11"}
REQUESTS_PATTERN = re.compile(r"(\d+) requests in")


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    return parser


def cpu_microseconds_per_request(server: UvicornProcess, seconds: float, connections: int) -> float:
    before = server.cpu_seconds()
    command = [
        wrk_binary(), "-t1", f"-c{connections}", f"-d{seconds:g}s", server.base_url + BARE_PATH,
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    used_seconds = server.cpu_seconds() - before
    found = REQUESTS_PATTERN.search(output)
    if found is None or int(found.group(1)) == 0:
        raise RuntimeError(f"wrk answered nothing usable: {output}")
    return used_seconds / int(found.group(1)) * 1e6


def main(argv: Sequence[str] | None = None) -> int:
    arguments = argument_parser().parse_args(argv)
    servers = {
        name: UvicornProcess(BARE_FACTORY, BARE_PATH, workers=1, extra_flags=("--http", http))
        for name, http in PROTOCOLS.items()
    }
    samples: dict[str, list[float]] = {name: [] for name in servers}
    try:
        for server in servers.values():
            server.start()
        for _ in range(arguments.rounds):
            for name, server in servers.items():
                samples[name].append(
                    cpu_microseconds_per_request(
                        server, arguments.duration, arguments.connections
                    )
                )
    finally:
        for server in servers.values():
            server.stop()
    for name, values in samples.items():
        shown = ", ".join(f"{value:.1f}" for value in sorted(values))
        print(f"{name:10s} CPU per request: median {statistics.median(values):.1f} us ({shown})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
