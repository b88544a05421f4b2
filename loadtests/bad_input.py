"""Bad-input catalogue: every kind of bad request, to both apps, over real sockets.

    python -m loadtests.bad_input            # the whole catalogue (50 MB bodies, 16 MB header)
    python -m loadtests.bad_input --short    # 1 MB bodies, 256 KB header, every 4th case

Starts the deployed topology (queue Redis, sale Redis, ``waitroom serve --workers 2`` on
127.0.0.1, the shop on 127.0.0.2; loadtests/chaos_system.py), makes real fans, a hold and an
order, then sends the catalogue of loadtests/bad_input_cases.py and counts the answers by
category and status. Exits 1 when any answer is a 5xx. Also reported: answers that never came,
4xx answers of ``/api/`` paths without a problem JSON body, and the growth of the servers' memory.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from loadtests.bad_input_cases import Case, Catalogue, Sizes
from loadtests.bad_input_context import app_routes, prepare
from loadtests.chaos_system import ChaosSettings, chaos_system
from loadtests.raw_http import RawAnswer, exchange
from loadtests.servers import ServeProcess

SHORT_SIZES = Sizes(body_bytes=1024 * 1024, header_bytes=256 * 1024)
PROBLEM_JSON = "application/problem+json"
METRIC_500_PREFIX = "waitroom_http_request_duration_seconds_count{"
CATALOGUE_SETTINGS = ChaosSettings(body_read_timeout_seconds=2.0)
"""Incomplete bodies are answered 408 after 2 s, within the 5 s the catalogue waits for them."""
PARSER_REFUSAL = b"Invalid HTTP request received."
"""uvicorn's own 400 for a request its HTTP parser rejects (before any app code runs)."""


@dataclass(frozen=True)
class Outcome:
    case: Case
    answer: RawAnswer

    @property
    def status_class(self) -> str:
        return "no answer" if self.answer.status == 0 else f"{self.answer.status // 100}xx"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadtests.bad_input", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--short", action="store_true",
                        help="small bodies and headers, every 4th case (the test suite's form)")
    parser.add_argument("--every", type=int, default=0, help="send every Nth case only")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--output", type=Path, default=None, help="report directory")
    return parser


def resident_bytes(server: ServeProcess) -> int:
    """Resident memory of the server's worker processes (VmRSS from /proc)."""
    total = 0
    for pid in server.worker_pids():
        try:
            status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


async def send_all(
    cases: Sequence[Case], addresses: dict[str, tuple[str, int]], concurrency: int
) -> list[Outcome]:
    gate = asyncio.Semaphore(concurrency)

    async def one(case: Case) -> Outcome:
        host, port = addresses[case.target]
        async with gate:
            answer = await exchange(host, port, case.head, case.body(), case.timeout_seconds)
        return Outcome(case, answer)

    return await asyncio.gather(*(one(case) for case in cases))


def is_parser_refusal(answer: RawAnswer) -> bool:
    """uvicorn's own 400 for a request its HTTP parser refused, before any app saw it. It
    closes the connection with the request's rest unread, so the kernel may reset it before
    the client read the body: then the head still tells it (plain text of that length)."""
    if answer.body == PARSER_REFUSAL:
        return True
    return (
        answer.status == 400
        and not answer.body
        and answer.content_type.startswith("text/plain")
        and answer.headers.get("content-length") == str(len(PARSER_REFUSAL))
    )


def summarize(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    categories: dict[str, Counter[str]] = defaultdict(Counter)
    for outcome in outcomes:
        categories[outcome.case.category][outcome.status_class] += 1
        categories[outcome.case.category]["tried"] += 1
    server_errors = [o for o in outcomes if o.answer.status >= 500]
    unanswered = [o for o in outcomes if o.answer.status == 0]
    parser_refusals = [o for o in outcomes if is_parser_refusal(o.answer)]
    unclear = [
        o for o in outcomes
        if 400 <= o.answer.status < 500 and o.case.path.startswith("/api/")
        and PROBLEM_JSON not in o.answer.content_type and not is_parser_refusal(o.answer)
    ]
    accepted = [o for o in outcomes if o.case.oversized and 200 <= o.answer.status < 400]
    return {
        "tried": len(outcomes),
        "server_errors": len(server_errors),
        "by_category": {name: dict(counts) for name, counts in categories.items()},
        "server_error_cases": [_describe(o) for o in server_errors],
        "refused_by_the_http_parser": len(parser_refusals),
        "unanswered": len(unanswered),
        "unanswered_cases": [_describe(o) for o in unanswered][:200],
        "oversized": sum(1 for o in outcomes if o.case.oversized),
        "oversized_accepted": len(accepted),
        "oversized_accepted_cases": [_describe(o) for o in accepted][:200],
        "api_4xx_without_problem_json": len(unclear),
        "api_4xx_without_problem_json_cases": [_describe(o) for o in unclear][:200],
    }


def _describe(outcome: Outcome) -> dict[str, Any]:
    return {
        "target": outcome.case.target, "category": outcome.case.category,
        "case": outcome.case.label[:200], "status": outcome.answer.status,
        "content_type": outcome.answer.content_type, "note": outcome.answer.note,
        "body": outcome.answer.body[:200].decode("utf-8", "replace"),
    }


def markdown_table(summary: dict[str, Any]) -> str:
    classes = ("2xx", "3xx", "4xx", "5xx", "no answer")
    lines = ["| category | tried | " + " | ".join(classes) + " |",
             "|---|---" + "|---" * len(classes) + "|"]
    for name, counts in summary["by_category"].items():
        lines.append(f"| {name} | {counts['tried']} | "
                     + " | ".join(str(counts.get(cls, 0)) for cls in classes) + " |")
    totals = Counter[str]()
    for counts in summary["by_category"].values():
        totals.update(counts)
    lines.append(f"| **all** | {totals['tried']} | "
                 + " | ".join(str(totals.get(cls, 0)) for cls in classes) + " |")
    return "\n".join(lines)


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    sizes = SHORT_SIZES if arguments.short else Sizes()
    every = arguments.every or (4 if arguments.short else 1)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    output: Path = arguments.output or Path("loadtests/results") / f"bad-input-{stamp}"
    output.mkdir(parents=True, exist_ok=True)
    with chaos_system(CATALOGUE_SETTINGS, output, cluster=False) as system:
        context = prepare(system)
        servers = {"waitroom": system.waitroom, "shop": system.shop}
        host_headers = {name: f"{server.host}:{server.port}" for name, server in servers.items()}
        catalogue = Catalogue(context, app_routes(), host_headers, sizes)
        cases = catalogue.all_cases()[::every]
        memory_before = {name: resident_bytes(server) for name, server in servers.items()}
        addresses = {name: (server.host, server.port) for name, server in servers.items()}
        outcomes = asyncio.run(send_all(cases, addresses, arguments.concurrency))
        memory_after = {name: resident_bytes(server) for name, server in servers.items()}
        metric_500s = counted_500s(system.waitroom)
        still_ready = {name: _ready(server) for name, server in servers.items()}
    summary = summarize(outcomes)
    summary.update({
        "date_utc": stamp,
        "command": "python -m loadtests.bad_input " + " ".join(sys.argv[1:]),
        "sizes": {"body_bytes": sizes.body_bytes, "header_bytes": sizes.header_bytes},
        "every": every,
        "workers_resident_mb": {
            name: {"before": round(memory_before[name] / 2**20, 1),
                   "after": round(memory_after[name] / 2**20, 1)}
            for name in memory_before
        },
        "ready_after": still_ready,
        "waitroom_metrics_500s": metric_500s,
        "table": markdown_table(summary),
    })
    (output / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    summary["output"] = str(output)
    return summary


def counted_500s(server: ServeProcess) -> int:
    """Requests the waiting room's own metrics count with status 500 (over all workers): an
    exception the client never saw (it had gone) still shows up there."""
    token = server.environment["WAITROOM_METRICS_TOKEN"]
    text = httpx.get(
        server.base_url + "/metrics", headers={"authorization": f"Bearer {token}"}, timeout=10
    ).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith(METRIC_500_PREFIX) and 'status="500"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def _ready(server: ServeProcess) -> bool:
    try:
        return httpx.get(server.base_url + "/readyz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    summary = run(_parser().parse_args(argv))
    print(summary["table"])
    print(f"{summary['tried']} requests, {summary['server_errors']} answers with a 5xx status, "
          f"{summary['unanswered']} without an answer, "
          f"{summary['refused_by_the_http_parser']} refused by uvicorn's HTTP parser (400), "
          f"{summary['api_4xx_without_problem_json']} /api/ 4xx without a problem JSON body")
    for case in summary["server_error_cases"][:50]:
        print(f"  5xx: {case['target']} {case['case']} -> {case['status']} {case['body'][:80]}")
    print(f"{summary['oversized_accepted']} of {summary['oversized']} oversized requests (head or "
          "body over 64 KB) answered 2xx/3xx instead of being refused")
    print(f"the waiting room's metrics counted {summary['waitroom_metrics_500s']} requests "
          "with status 500 (exceptions the client did not see)")
    print(f"workers' memory (MB): {summary['workers_resident_mb']}; "
          f"ready afterwards: {summary['ready_after']}")
    print(f"report: {summary['output']}/summary.json")
    return 0 if summary["server_errors"] == 0 and all(summary["ready_after"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
