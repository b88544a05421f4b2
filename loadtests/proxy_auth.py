"""Benchmark of the reverse-proxy connector: what the auth question costs (wrk).

Topology, all on loopback: embedded Redis; the waiting room (uvicorn, the benchmark settings of
loadtests/servers.py); an origin that is the bare Starlette endpoint (loadtests/bare_app.py,
same settings, so the origin is not the bottleneck); nginx with
``deploy/nginx/protect-any-site.conf`` (TLS) in front of it. One admitted fan's session cookie
and another fan's bearer pass are the credentials.

Targets, each run alone for ``--duration`` seconds, ``--rounds`` times in turn:

- ``bare``: the bare endpoint, direct (the reference for the waiting room's req/s and CPU);
- ``auth-cookie`` / ``auth-bearer``: ``GET /api/v1/connector/auth?queue=`` at the waiting room,
  with the cookie (verify it, one ``HMGET``) or the bearer pass (verify it, one ``EVALSHA``);
- ``site-gated``: a page of the site through nginx with the cookie (auth subrequest + origin);
- ``site-origin``: the origin direct, for the cost the gate adds end to end.

For each: req/s, latency, CPU per request of the waiting room and of the origin (all their
worker processes), and the Redis commands per request
(Redis's own ``INFO commandstats``; the commands a Lua script runs are counted too, inside the
one ``EVALSHA`` round trip that runs them).

    python -m loadtests.proxy_auth --duration 5 --rounds 3
"""

from __future__ import annotations

import argparse
import datetime
import json
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import redis

from loadtests.bare_app import BARE_PATH
from loadtests.protected_site import ProtectedSite
from loadtests.servers import BARE_FACTORY, WAITROOM_FACTORY, UvicornProcess, waitroom_environment
from loadtests.wrk_runner import RequestSpec, WrkResult, run_wrk_together, wrk_command
from waitroom.connector import session_cookie_name
from waitroom.storage.embedded_redis import EmbeddedRedis, free_port

QUEUE_ID = "proxybench"
ADMIN_TOKEN = "proxy-benchmark-admin-token"


def admitted_pass(waitroom_url: str) -> str:
    with httpx.Client(base_url=waitroom_url, timeout=10) as fan:
        assert fan.post(f"/api/v1/queues/{QUEUE_ID}/join").status_code == 201
        for _ in range(100):
            status = fan.get(f"/api/v1/queues/{QUEUE_ID}/status").json()
            if status["state"] == "admitted":
                return str(status["pass"])
            time.sleep(0.05)
    raise RuntimeError(f"not admitted: {status}")


def session_cookie(site: ProtectedSite, pass_token: str) -> str:
    verify = ssl.create_default_context(cafile=str(site.certificate))
    with httpx.Client(verify=verify, timeout=10) as browser:
        answer = browser.get(f"{site.base_url}{BARE_PATH}", params={"waitroom_pass": pass_token})
        assert answer.status_code == 303, answer.text
        return str(answer.cookies[session_cookie_name(QUEUE_ID)])


def command_calls(client: redis.Redis) -> dict[str, int]:
    """Calls so far per Redis command (without the INFO that asks)."""
    stats = client.info("commandstats")
    return {
        name.removeprefix("cmdstat_"): int(value["calls"])
        for name, value in stats.items()
        if name != "cmdstat_info"
    }


def headers_file(directory: Path, name: str, header: str) -> Path:
    path = directory / f"{name}.headers"
    path.write_text(header + "\n")
    return path


def measure(arguments: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, list[dict[str, Any]]] = {}
    with EmbeddedRedis() as store, tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        counter = redis.Redis.from_url(store.url)
        port = free_port()
        environment = waitroom_environment(
            store.url, ADMIN_TOKEN, WAITROOM_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}"
        )
        waitroom = UvicornProcess(
            WAITROOM_FACTORY, "/readyz", environment, workers=arguments.workers, port=port
        )
        origin = UvicornProcess(BARE_FACTORY, BARE_PATH, workers=arguments.workers)
        with waitroom, origin:
            site = ProtectedSite(
                directory / "site",
                f"127.0.0.1:{waitroom.port}",
                QUEUE_ID,
                origin_address=f"127.0.0.1:{origin.port}",
            )
            with site:
                configured = httpx.put(
                    f"{waitroom.base_url}/api/v1/admin/queues/{QUEUE_ID}",
                    json={
                        "state": "open",
                        "rate_per_minute": 6000,
                        "redirect_url": f"{site.base_url}/",
                    },
                    headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                    timeout=10,
                )
                assert configured.status_code in {200, 201}, configured.text
                cookie = session_cookie(site, admitted_pass(waitroom.base_url))
                bearer = admitted_pass(waitroom.base_url)
                cookie_header = f"Cookie: {session_cookie_name(QUEUE_ID)}={cookie}"
                cookies = headers_file(directory, "cookie", cookie_header)
                bearers = headers_file(directory, "bearer", f"Authorization: Bearer {bearer}")
                auth = f"/api/v1/connector/auth?queue={QUEUE_ID}"
                targets = {
                    "bare": (origin.base_url, RequestSpec("GET", BARE_PATH)),
                    "auth-cookie": (waitroom.base_url, RequestSpec("GET", auth, cookies)),
                    "auth-bearer": (waitroom.base_url, RequestSpec("GET", auth, bearers)),
                    "site-gated": (site.base_url, RequestSpec("GET", BARE_PATH, cookies)),
                    "site-origin": (origin.base_url, RequestSpec("GET", BARE_PATH, cookies)),
                }
                servers = {"waitroom": waitroom, "origin": origin}
                for _ in range(arguments.rounds):
                    for name, (url, spec) in targets.items():
                        results.setdefault(name, []).append(
                            run_target(name, url, spec, servers, counter, arguments)
                        )
        counter.close()
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": "python -m loadtests.proxy_auth " + " ".join(sys.argv[1:]),
        "settings": {
            key: str(value) if isinstance(value, Path) else value
            for key, value in vars(arguments).items()
        },
        "rounds": results,
        "medians": {name: medians(runs) for name, runs in results.items()},
    }


def run_target(
    name: str,
    url: str,
    spec: RequestSpec,
    servers: dict[str, UvicornProcess],
    counter: redis.Redis,
    arguments: argparse.Namespace,
) -> dict[str, Any]:
    command = wrk_command(url, spec, arguments.duration, arguments.connections)
    cpu_before = {role: server.cpu_seconds() for role, server in servers.items()}
    calls_before = command_calls(counter)
    result: WrkResult = run_wrk_together({name: command}, arguments.duration + 30)[name]
    calls = command_calls(counter)
    requests = max(1, result.requests)
    cpu = {
        f"{role}_cpu_us_per_request": round(
            (server.cpu_seconds() - cpu_before[role]) / requests * 1e6, 1
        )
        for role, server in servers.items()
    }
    per_request = {
        command: round((count - calls_before.get(command, 0)) / requests, 3)
        for command, count in calls.items()
        if count > calls_before.get(command, 0)
    }
    return {**result.as_dict(), **cpu, "redis_commands_per_request": per_request}


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def median(key: str) -> Any:
        values = [run[key] for run in runs if run[key] is not None]
        return round(statistics.median(values), 2) if values else None

    figures = {
        key: median(key)
        for key in (
            "requests_per_second",
            "latency_p50_ms",
            "latency_p99_ms",
            "waitroom_cpu_us_per_request",
            "origin_cpu_us_per_request",
            "errors",
            "non_2xx_3xx",
        )
    }
    commands = sorted({command for run in runs for command in run["redis_commands_per_request"]})
    figures["redis_commands_per_request"] = {
        command: round(
            statistics.median(run["redis_commands_per_request"].get(command, 0.0) for run in runs),
            3,
        )
        for command in commands
    }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers per app")
    parser.add_argument("--output", type=Path, help="write the results as JSON here")
    arguments = parser.parse_args(argv)
    report = measure(arguments)
    print(
        f"{'target':<12} {'req/s':>9} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'waitroom us':>11} {'origin us':>9}  redis commands per request"
    )
    for name, row in report["medians"].items():
        redis_calls = " ".join(
            f"{command}={count}" for command, count in row["redis_commands_per_request"].items()
        )
        print(
            f"{name:<12} {row['requests_per_second']:>9,.0f} {row['latency_p50_ms']:>7} "
            f"{row['latency_p99_ms']:>7} {row['waitroom_cpu_us_per_request']:>11} "
            f"{row['origin_cpu_us_per_request']:>9}  {redis_calls}"
        )
    if arguments.output is not None:
        arguments.output.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
