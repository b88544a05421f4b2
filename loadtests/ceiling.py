"""Ceiling benchmark: wrk against the waiting room and a bare Starlette app, side by side.

Both apps run under the same uvicorn settings (2 workers, uvloop, httptools, no access log) on
an embedded Redis. Status requests rotate through thousands of distinct position tokens obtained
by really joining; checkouts rotate through thousands of admitted fans (visitor cookie + pass),
so no answer comes from one cached identity. Each target is paired with a bare run measured at
the same moment, so ratios compare numbers taken under the same machine load.

    python -m loadtests.ceiling --duration 3 --rounds 5 --targets status,join,checkout
    python -m loadtests.ceiling --duration 3 --rounds 5 --targets join,join-limited

``join`` comes from loopback (exempt from the join limits); ``join-limited`` joins from 131,072
distinct non-exempt addresses (``X-Forwarded-For`` behind one trusted proxy), so every join
counts in its address's and its network's windows, as real fans' joins do. Each target's Redis
work is measured too: Redis CPU (``INFO cpu``) and commands (``INFO commandstats``) per request
during its runs, and, in a short extra run under MONITOR, the commands clients sent (round
trips) per request.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import secrets
import statistics
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from loadtests.bare_app import BARE_PATH
from loadtests.ceiling_fans import (
    admitted_fans,
    configure_queue,
    forwarded_addresses,
    waiting_fans,
    write_identities,
)
from loadtests.redis_commandstats import (
    SCRIPT_COMMANDS,
    commandstats,
    cpu_seconds,
    script_calls,
    script_microseconds,
    useful_work,
)
from loadtests.redis_round_trips import RoundTripCounter
from loadtests.servers import (
    BARE_FACTORY,
    UVICORN_FLAGS,
    WAITROOM_FACTORY,
    UvicornProcess,
    waitroom_environment,
)
from loadtests.shop_system import SURGE_EVENT_ID, TIER_ID, define_event, surge_event
from loadtests.wrk_runner import RequestSpec, WrkResult, run_wrk_together, wrk_command
from waitroom.storage.embedded_redis import EmbeddedRedis

QUEUE_ID = "bench"
SHOP_QUEUE_ID = "benchshop"
STATUS_GOAL_RATIO = 0.75
JOIN_TARGETS = ("join", "join-limited")
ROUND_TRIP_SAMPLE_SECONDS = 2.0
SHOP_SYSTEM_FACTORY = "loadtests.shop_system:create_surge_system_from_environ"
CHECKOUT_BODY = {
    "event_id": SURGE_EVENT_ID,
    "items": [{"tier_id": TIER_ID, "quantity": 1}],
    "card_number": "4242424242424242",
    "name": "Bench Fan",
    "email": "fan@example.com",
}


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (all targets each round)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers of each app")
    parser.add_argument("--tokens", type=int, default=3000, help="distinct fans joined")
    parser.add_argument(
        "--targets",
        default="status,join",
        help="comma-separated: status, join, join-limited, checkout (each paired with bare)",
    )
    parser.add_argument(
        "--mode",
        choices=["concurrent", "alternate"],
        default="concurrent",
        help="concurrent: all targets loaded at the same moment, so they share the CPU and "
        "any noise equally (the ratio is the cost ratio); alternate: one after the other",
    )
    parser.add_argument(
        "--waitroom-source",
        type=Path,
        default=None,
        help="serve the waiting room from another checkout (e.g. an older commit exported with "
        "git archive) to compare versions; the benchmark itself runs from this one",
    )
    parser.add_argument(
        "--status-as",
        choices=["api", "browser"],
        default="api",
        help="api: status polls carry the bearer token; browser: the site's cookies and a "
        "browser's headers, as the queue page polls (bare gets the same headers either way)",
    )
    parser.add_argument("--output", type=Path, default=Path("loadtests/results"))
    return parser


def summarize(results: dict[str, list[WrkResult]]) -> dict[str, dict[str, float]]:
    summary: dict[str, dict[str, float]] = {}
    for name, runs in results.items():
        summary[name] = {
            "requests_per_second_median": statistics.median(r.requests_per_second for r in runs),
            "latency_p50_ms_median": statistics.median(r.latency_p50_ms for r in runs),
            "latency_p99_ms_median": statistics.median(r.latency_p99_ms for r in runs),
            "errors": sum(r.errors for r in runs),
            "non_2xx_3xx": sum(r.non_2xx_3xx for r in runs),
        }
    return summary


def pair_ratios(runs: list[WrkResult], bare_runs: list[WrkResult]) -> list[float]:
    """target req/s / bare req/s of each pair measured together."""
    return [
        run.requests_per_second / bare.requests_per_second
        for run, bare in zip(runs, bare_runs, strict=True)
        if bare.requests_per_second > 0
    ]


def print_run(round_index: int, name: str, result: WrkResult, cpu_us: float) -> None:
    print(
        f"round {round_index + 1} {name:>7}: {result.requests_per_second:9.0f} req/s"
        f"  p50 {result.latency_p50_ms:6.2f} ms  p99 {result.latency_p99_ms:6.2f} ms"
        f"  server CPU {cpu_us:6.1f} us/req"
        f"  errors {result.errors}  non-2xx {result.non_2xx_3xx}",
        flush=True,
    )


def redis_figures(url: str) -> tuple[float, Counter[str], int]:
    return cpu_seconds([url]), commandstats([url]), script_microseconds([url])


def redis_per_request(
    before: tuple[float, Counter[str], int], after: tuple[float, Counter[str], int], requests: int
) -> dict[str, float]:
    """Redis CPU (µs: the process, and the scripts' own run time), script calls and commands
    (scripts' inner ones included) per request."""
    delta = useful_work(after[1] - before[1])
    count = max(1, requests)
    return {
        "redis_cpu_us": (after[0] - before[0]) * 1e6 / count,
        "script_us": (after[2] - before[2]) / count,
        "script_calls": script_calls(delta) / count,
        "commands": sum(delta.values()) / count,
    }


def print_redis(figures: dict[str, float]) -> None:
    print(
        f"          Redis: {figures['redis_cpu_us']:6.1f} us CPU "
        f"({figures['script_us']:.1f} us in scripts), "
        f"{figures['script_calls']:.2f} script calls, "
        f"{figures['commands']:.1f} commands per request",
        flush=True,
    )


def sample_round_trips(url: str, command: list[str], duration: float) -> dict[str, float]:
    """One more run of ``command`` alone under MONITOR: what clients sent per request."""
    with RoundTripCounter(url) as counter:
        result = run_wrk_together({"sample": command}, duration + 60)["sample"]
    sent = useful_work(counter.client_commands)
    count = max(1, result.requests)
    return {
        "round_trips": round(sum(sent.values()) / count, 3),
        "scripts": round(sum(sent[name] for name in SCRIPT_COMMANDS) / count, 3),
        "inner_commands": round(sum(counter.script_commands.values()) / count, 2),
    }


def prepare_targets(
    arguments: argparse.Namespace, waitroom_url: str, admin_token: str, staff_token: str,
    scratch: Path, wanted: list[str],
) -> dict[str, RequestSpec]:
    """Real fans for each target, written as wrk identity files."""
    api = f"/api/v1/queues/{QUEUE_ID}"
    # a slow rate keeps the joined fans waiting: the common case of a status poll
    configure_queue(waitroom_url, admin_token, QUEUE_ID, rate_per_minute=6)
    targets = {"join": RequestSpec("POST", f"{api}/join")}
    if "join-limited" in wanted:
        addresses = write_identities(scratch / "addresses.txt", forwarded_addresses())
        targets["join-limited"] = RequestSpec("POST", f"{api}/join", addresses)
    if "status" in wanted:
        as_browser = arguments.status_as == "browser"
        fans = asyncio.run(waiting_fans(waitroom_url, QUEUE_ID, arguments.tokens, as_browser))
        targets["status"] = RequestSpec(
            "GET", f"{api}/status", write_identities(scratch / "waiting.txt", fans)
        )
    if "checkout" in wanted:
        configure_queue(
            waitroom_url, admin_token, SHOP_QUEUE_ID, rate_per_minute=10_000_000,
            burst=1_000_000, event_id=SURGE_EVENT_ID,
        )
        # each fan may buy up to 100 here: the runs reuse the fans round after round
        event = surge_event(SHOP_QUEUE_ID, 1_000_000, 100)
        define_event(waitroom_url, staff_token, event)
        fans = asyncio.run(admitted_fans(waitroom_url, SHOP_QUEUE_ID, arguments.tokens))
        body = scratch / "checkout.json"
        body.write_text(json.dumps(CHECKOUT_BODY), encoding="utf-8")
        targets["checkout"] = RequestSpec(
            "POST", "/shop/api/v1/checkout", write_identities(scratch / "admitted.txt", fans),
            body, idempotency=True,
        )
    return targets


def run(arguments: argparse.Namespace) -> dict[str, object]:
    admin_token = secrets.token_urlsafe(24)
    staff_token = secrets.token_urlsafe(24)
    wanted = [name.strip() for name in arguments.targets.split(",") if name.strip()]
    results: dict[str, list[WrkResult]] = {"bare": [], **{name: [] for name in wanted}}
    paired_bare: dict[str, list[WrkResult]] = {name: [] for name in wanted}
    cpu_per_request: dict[str, list[float]] = {"bare": [], **{name: [] for name in wanted}}
    paired_bare_cpu: dict[str, list[float]] = {name: [] for name in wanted}
    # with checkout the shop is mounted at /shop (as in ``waitroom demo``); its sale data runs
    # with AOF appendfsync always, as in production
    with_shop = "checkout" in wanted
    # one trusted proxy: join-limited's X-Forwarded-For is the client (others send none)
    environment = waitroom_environment(
        "", admin_token, WAITROOM_SHOP_QUEUE_ID=SHOP_QUEUE_ID, WAITROOM_STAFF_TOKEN=staff_token,
        WAITROOM_TRUSTED_PROXY_COUNT="1",
    )
    redis_work: dict[str, list[dict[str, float]]] = {name: [] for name in wanted}
    round_trips: dict[str, dict[str, float]] = {}
    with (
        EmbeddedRedis(appendfsync_always=with_shop) as redis_server,
        tempfile.TemporaryDirectory(prefix="waitroom-ceiling-") as scratch,
    ):
        environment["REDIS_URL"] = redis_server.url
        with (
            UvicornProcess(
                SHOP_SYSTEM_FACTORY if with_shop else WAITROOM_FACTORY,
                "/readyz",
                environment,
                workers=arguments.workers,
                working_directory=arguments.waitroom_source,
            ) as waitroom,
            UvicornProcess(BARE_FACTORY, BARE_PATH, workers=arguments.workers) as bare,
        ):
            targets = prepare_targets(
                arguments, waitroom.base_url, admin_token, staff_token, Path(scratch), wanted
            )

            def command(url: str, spec: RequestSpec) -> list[str]:
                return wrk_command(
                    url, spec, arguments.duration, arguments.connections, arguments.threads
                )

            commands = {name: command(waitroom.base_url, targets[name]) for name in wanted}
            # bare gets the same method, identities and body as the target it is paired with
            bare_commands = {
                name: command(bare.base_url, replace(targets[name], path=BARE_PATH))
                for name in wanted
            }
            servers = {"bare": bare, **{name: waitroom for name in wanted}}
            # every target is paired with its own bare run: a concurrent pair shares the
            # machine at the same moment (the ratio is then the cost ratio); an alternate pair
            # runs back to back
            for round_index in range(arguments.rounds):
                for name in wanted:
                    pair = {"bare": bare_commands[name], name: commands[name]}
                    order = (name, "bare")[:: 1 - 2 * (round_index % 2)]
                    batches = (
                        [pair]
                        if arguments.mode == "concurrent"
                        else [{single: pair[single]} for single in order]
                    )
                    measured: dict[str, WrkResult] = {}
                    cpu: dict[str, float] = {}
                    for batch in batches:
                        before = {label: servers[label].cpu_seconds() for label in batch}
                        redis_before = redis_figures(redis_server.url) if name in batch else None
                        measured |= run_wrk_together(batch, arguments.duration + 60)
                        for label in batch:
                            used = servers[label].cpu_seconds() - before[label]
                            cpu[label] = used * 1e6 / max(1, measured[label].requests)
                        if redis_before is not None:
                            redis_work[name].append(
                                redis_per_request(
                                    redis_before, redis_figures(redis_server.url),
                                    measured[name].requests,
                                )
                            )
                    results[name].append(measured[name])
                    paired_bare[name].append(measured["bare"])
                    results["bare"].append(measured["bare"])
                    cpu_per_request[name].append(cpu[name])
                    cpu_per_request["bare"].append(cpu["bare"])
                    paired_bare_cpu[name].append(cpu["bare"])
                    for label in (name, "bare"):
                        print_run(round_index, label, measured[label], cpu[label])
                    print_redis(redis_work[name][-1])
            for name in wanted:
                if name in JOIN_TARGETS:
                    round_trips[name] = sample_round_trips(
                        redis_server.url, commands[name], arguments.duration
                    )
                    print(f"{name:>7}: round trips per request (MONITOR) {round_trips[name]}")
    summary = summarize(results)
    for name, values in cpu_per_request.items():
        summary[name]["server_cpu_us_per_request_median"] = statistics.median(values)
    for name, samples in redis_work.items():
        for figure in ("redis_cpu_us", "script_us", "script_calls", "commands"):
            summary[name][f"{figure}_per_request_median"] = statistics.median(
                sample[figure] for sample in samples
            )
        if name in round_trips:
            summary[name]["round_trips_per_request"] = round_trips[name]["round_trips"]
            summary[name]["script_calls_per_request_monitored"] = round_trips[name]["scripts"]
    ratios = {name: pair_ratios(results[name], paired_bare[name]) for name in wanted}
    cpu_ratios = {
        name: [
            bare / own
            for own, bare in zip(cpu_per_request[name], paired_bare_cpu[name], strict=True)
            if own > 0
        ]
        for name in wanted
    }
    return {
        "date_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "shared": True},
        "command": " ".join(["python -m loadtests.ceiling", *sys.argv[1:]]),
        "settings": {
            "workers": arguments.workers,
            "uvicorn_flags": list(UVICORN_FLAGS),
            "connections": arguments.connections,
            "wrk_threads": arguments.threads,
            "duration_seconds": arguments.duration,
            "rounds": arguments.rounds,
            "distinct_tokens": arguments.tokens,
            "waitroom_source": str(arguments.waitroom_source or "this checkout"),
            "mode": arguments.mode,
            "status_as": arguments.status_as,
        },
        "summary": summary,
        "ratios_per_round": ratios,
        "ratio_median": {name: statistics.median(values) for name, values in ratios.items()},
        "cpu_ratios_per_round": cpu_ratios,
        "cpu_ratio_median": {
            name: statistics.median(values) for name, values in cpu_ratios.items() if values
        },
        "runs": {name: [run.as_dict() for run in runs] for name, runs in results.items()},
    }


def main(argv: Sequence[str] | None = None) -> int:
    arguments = argument_parser().parse_args(argv)
    report = run(arguments)
    arguments.output.mkdir(parents=True, exist_ok=True)
    stamp = str(report["date_utc"]).replace(":", "").replace("+0000", "Z")
    path = arguments.output / f"ceiling-{stamp}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    summary = report["summary"]
    assert isinstance(summary, dict)
    print("\nmedian over rounds (machine shared with other work; compare ratios):")
    for name, figures in summary.items():
        print(
            f"  {name:>7}: {figures['requests_per_second_median']:9.0f} req/s"
            f"  p50 {figures['latency_p50_ms_median']:6.2f} ms"
            f"  p99 {figures['latency_p99_ms_median']:6.2f} ms"
            f"  errors {figures['errors']:.0f}  non-2xx {figures['non_2xx_3xx']:.0f}"
        )
    ratio_median = report["ratio_median"]
    cpu_ratio_median = report["cpu_ratio_median"]
    assert isinstance(ratio_median, dict) and isinstance(cpu_ratio_median, dict)
    for name, ratio in ratio_median.items():
        goal = f" (goal >= {STATUS_GOAL_RATIO})" if name == "status" else ""
        print(
            f"  ratio {name}/bare: {ratio:.3f} req/s, "
            f"{cpu_ratio_median.get(name, 0.0):.3f} by server CPU per request{goal}"
        )
    print(f"results: {path}")
    failed = any(figures["non_2xx_3xx"] or figures["errors"] for figures in summary.values())
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
