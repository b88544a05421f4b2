"""Status-poll throughput with 1, 2 and 4 waiting-room processes, and Redis work per fan.

    python -m loadtests.scaling_benchmark --processes 1 2 4 --seconds 5 --fans 2000 [--cluster]

For each process count: one uvicorn with that many workers (one port, kernel-balanced), a fresh
queue, ``--fans`` joins over HTTP (their tokens), ``wrk`` posting joins for ``--seconds / 2``
(join throughput), then ``wrk`` polling the status endpoint for ``--seconds`` with every fan's
bearer token in rotation. Redis work comes from ``INFO commandstats`` before
and after each phase (summed over all nodes with ``--cluster``). wrk runs on the same machine
and takes CPU from the servers; numbers from a shared machine are a floor, not a ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path

import httpx

from loadtests.redis_commandstats import (
    commandstats,
    key_memory_bytes,
    script_calls,
    script_microseconds,
    useful_work,
)
from waitroom.storage.embedded_redis import EmbeddedRedis, free_port
from waitroom.storage.keys import QueueKeys
from waitroom.storage.local_cluster import LocalRedisCluster

ADMIN_TOKEN = "benchmark-admin-token-0123456789"
SECRET_KEYS = "benchmark-secret-key-0123456789abcdef"
WRK_JOIN_LUA = """
wrk.method = "POST"
"""
WRK_LUA = """
tokens = {%s}
counter = 0
request = function()
  counter = counter + 1
  local token = tokens[(counter %% #tokens) + 1]
  return wrk.format("GET", "%s", {["Authorization"] = "Bearer " .. token})
end
"""


@contextmanager
def redis_backend(cluster: bool) -> Iterator[tuple[str, list[str]]]:
    """(REDIS_URL, node URLs for INFO) of a fresh embedded Redis or three-master cluster."""
    if cluster:
        with LocalRedisCluster() as local_cluster:
            yield local_cluster.seed_url, local_cluster.node_urls
    else:
        with EmbeddedRedis() as server:
            yield server.url, [server.url]


@contextmanager
def waitroom_processes(redis_url: str, workers: int) -> Iterator[str]:
    port = free_port()
    environment = {
        **os.environ, "REDIS_URL": redis_url, "WAITROOM_ADMIN_TOKEN": ADMIN_TOKEN,
        "WAITROOM_SECRET_KEYS": SECRET_KEYS,
    }
    command = [
        sys.executable, "-m", "uvicorn", "waitroom.web.app:create_app_from_environ", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
    ]
    process = subprocess.Popen(command, env=environment)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base_url}/readyz", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the waiting room did not become ready")
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=15)


async def join_fans(base_url: str, queue_id: str, fans: int) -> list[str]:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    limits = httpx.Limits(max_connections=32)
    no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))  # each join: new fan
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=30, cookies=no_cookies
    ) as client:
        body = {"rate_per_minute": 600, "burst": 10}
        response = await client.put(f"/api/v1/admin/queues/{queue_id}", json=body, headers=headers)
        response.raise_for_status()

        async def one() -> str:
            for _ in range(3):  # a keep-alive connection the server just closed: send again
                try:
                    joined = await client.post(f"/api/v1/queues/{queue_id}/join")
                except httpx.RemoteProtocolError:
                    continue
                joined.raise_for_status()
                return str(joined.json()["token"])
            raise RuntimeError("the join kept failing")

        return await asyncio.gather(*(one() for _ in range(fans)))


def run_wrk(
    url: str, path: str, tokens: list[str], seconds: int, connections: int
) -> dict[str, float]:
    """Poll ``path`` with the tokens in rotation; without tokens, POST to ``url`` (joins)."""
    if tokens:
        script = WRK_LUA % (",".join(json.dumps(token) for token in tokens), path)
    else:
        script = WRK_JOIN_LUA
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        command = [
            "wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", handle.name, url,
        ]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        Path(handle.name).unlink()
    return parse_wrk(output)


def parse_wrk(output: str) -> dict[str, float]:
    def number(pattern: str) -> float:
        match = re.search(pattern, output)
        return float(match.group(1)) if match else 0.0

    def latency_ms(label: str) -> float:
        match = re.search(rf"\s{label}\s+([\d.]+)(us|ms|s)\b", output)
        if not match:
            return 0.0
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]
        return float(match.group(1)) * scale

    return {
        "requests": number(r"(\d+) requests in"),
        "requests_per_second": number(r"Requests/sec:\s+([\d.]+)"),
        "non_2xx": number(r"Non-2xx or 3xx responses: (\d+)"),
        "p50_ms": latency_ms("50%"),
        "p99_ms": latency_ms("99%"),
    }


def measure(
    redis_url: str, node_urls: list[str], workers: int, arguments: argparse.Namespace
) -> dict[str, object]:
    queue_id = f"bench-{workers}-{int(time.time())}"
    with waitroom_processes(redis_url, workers) as base_url:
        before_join = commandstats(node_urls)
        before_join_usec = script_microseconds(node_urls)
        tokens = asyncio.run(join_fans(base_url, queue_id, arguments.fans))
        join_work = useful_work(commandstats(node_urls) - before_join)
        join_usec = script_microseconds(node_urls) - before_join_usec
        visitors_bytes = key_memory_bytes(node_urls, QueueKeys(queue_id).visitors)
        joined = float(arguments.fans)
        # join throughput: wrk posts joins without cookies, so each request is a new fan
        join_url = f"{base_url}/api/v1/queues/{queue_id}/join"
        joins = run_wrk(join_url, "", [], max(1, arguments.seconds // 2), arguments.connections)
        time.sleep(1.0)  # let the server drain requests still queued when wrk stopped

        before_poll = commandstats(node_urls)
        before_poll_usec = script_microseconds(node_urls)
        path = f"/api/v1/queues/{queue_id}/status"
        wrk = run_wrk(base_url, path, tokens, arguments.seconds, arguments.connections)
        poll_work = useful_work(commandstats(node_urls) - before_poll)
        poll_usec = script_microseconds(node_urls) - before_poll_usec
        admin = httpx.get(
            f"{base_url}/api/v1/admin/queues/{queue_id}",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        admin.raise_for_status()
        places_admitted = int(admin.json()["serving_position"])
    requests = max(wrk["requests"], 1.0)
    poll_commands = sum(poll_work.values())
    seconds_between_polls = arguments.fans / max(wrk["requests_per_second"], 1e-9)
    minutes = arguments.seconds / 60
    return {
        "processes": workers,
        "status_requests_per_second": round(wrk["requests_per_second"], 1),
        "status_p50_ms": round(wrk["p50_ms"], 2),
        "status_p99_ms": round(wrk["p99_ms"], 2),
        "non_2xx": wrk["non_2xx"],
        "joins_per_second": round(joins["requests_per_second"], 1),
        "join_non_2xx": joins["non_2xx"],
        "redis_commands_per_join": round(sum(join_work.values()) / joined, 2),
        "redis_script_calls_per_join": round(script_calls(join_work) / joined, 2),
        "redis_script_microseconds_per_join": round(join_usec / joined, 1),
        "redis_bytes_per_fan": round(visitors_bytes / joined, 1),
        "places_admitted": places_admitted,
        "redis_script_calls_per_second_while_polling": round(
            script_calls(poll_work) / arguments.seconds, 1
        ),
        "redis_commands_per_view_refresh": round(
            poll_commands / max(script_calls(poll_work), 1), 1
        ),
        "redis_commands_per_status_request": round(poll_commands / requests, 4),
        "redis_script_calls_per_status_request": round(script_calls(poll_work) / requests, 5),
        "redis_script_microseconds_per_status_request": round(poll_usec / requests, 3),
        "each_fan_polled_every_seconds": round(seconds_between_polls, 2),
        "redis_commands_per_fan_per_minute_polling": round(
            poll_commands / arguments.fans / minutes, 3
        ),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--fans", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--cluster", action="store_true", help="three-master local cluster")
    arguments = parser.parse_args(argv)
    with redis_backend(arguments.cluster) as (redis_url, node_urls):
        for workers in arguments.processes:
            result = measure(redis_url, node_urls, workers, arguments)
            result["redis"] = "cluster-3-masters" if arguments.cluster else "single-node"
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
