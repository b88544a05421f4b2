"""The protected site's health as the site measures it, reported through the connector.

``PUT /api/v1/connector/queues/{queue_id}/health`` (docs/connector.md, section 7) carries one
site process's figures over its recent window: per operation (``checkout``, ``hold``, ...) the
requests, the errors (answers >= 500, failures) and the p95 latency in milliseconds. Each
reporting process (``reporter``) has a field of the queue's hash ``site_health``, and says how
often it reports (``interval_seconds``); its report stands for ``STALE_AFTER_INTERVALS`` of its
intervals (a process that stopped is soon forgotten). The figures of the whole site are the sum
of the requests and errors over the standing reports, and the highest p95 among them (quantiles
of separate processes cannot be merged exactly; the slowest process is what fans feel, so it is
the safe side).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
import orjson
from redis.asyncio import Redis

from service_kit.errors import InvalidInput
from service_kit.models import StrictModel, convert
from waitroom.storage.keys import QueueKeys

REPORTER_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
OPERATION_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_OPERATIONS = 8
MAX_REQUESTS = 10**9
MAX_LATENCY_MS = 3_600_000.0
MAX_WINDOW_SECONDS = 3600
DEFAULT_INTERVAL_SECONDS = 10
MAX_INTERVAL_SECONDS = 600
STALE_AFTER_INTERVALS = 3
MIN_STALE_SECONDS = 2.0
HEALTH_TTL_SECONDS = 3600
Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_REQUESTS)]


@dataclass(frozen=True, slots=True)
class OperationHealth:
    name: str
    requests: int
    errors: int
    p95_ms: float | None
    """None when the window had no request of this kind."""

    @property
    def error_ratio(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    def document(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "error_ratio": round(self.error_ratio, 4),
            "p95_ms": None if self.p95_ms is None else round(self.p95_ms, 1),
        }


@dataclass(frozen=True, slots=True)
class HealthReport:
    reporter: str
    window_seconds: int
    interval_seconds: float
    operations: tuple[OperationHealth, ...]


@dataclass(frozen=True, slots=True)
class SiteHealth:
    """The site's figures now: over the fresh reports of all its processes."""

    operations: tuple[OperationHealth, ...]
    reporters: int
    newest_at: float
    window_seconds: int

    @property
    def requests(self) -> int:
        return sum(operation.requests for operation in self.operations)

    def document(self) -> dict[str, Any]:
        return {
            "reporters": self.reporters,
            "updated_at": round(self.newest_at, 3),
            "window_seconds": self.window_seconds,
            "operations": {operation.name: operation.document() for operation in self.operations},
        }


class OperationFigures(StrictModel):
    """One operation's figures over the reporter's window (``p95_ms`` null without requests)."""

    requests: Count
    errors: Count = 0
    p95_ms: Annotated[float, msgspec.Meta(ge=0, le=MAX_LATENCY_MS)] | None = None


class HealthReportBody(StrictModel):
    """``PUT .../health``: one site process's figures per operation (section 7)."""

    reporter: Annotated[
        str, msgspec.Meta(pattern=REPORTER_PATTERN.pattern, description="the reporting process")
    ]
    window_seconds: Annotated[int, msgspec.Meta(ge=1, le=MAX_WINDOW_SECONDS)]
    operations: Annotated[
        dict[Annotated[str, msgspec.Meta(pattern=OPERATION_PATTERN.pattern)], Any],
        msgspec.Meta(min_length=1, max_length=MAX_OPERATIONS, description="name: figures"),
    ]
    interval_seconds: Annotated[
        float,
        msgspec.Meta(ge=0.1, le=MAX_INTERVAL_SECONDS, description="how often it reports"),
    ] = DEFAULT_INTERVAL_SECONDS


def parse_health_report(body: HealthReportBody | Mapping[str, Any]) -> HealthReport:
    """The report (a model, or plain values); raises InvalidInput naming the field
    (``operations.checkout.requests``)."""
    if not isinstance(body, HealthReportBody):
        body = convert(dict(body), HealthReportBody)
    operations = tuple(
        _operation(name, figures) for name, figures in sorted(body.operations.items())
    )
    return HealthReport(body.reporter, body.window_seconds, body.interval_seconds, operations)


def _operation(name: str, raw: Any) -> OperationHealth:
    where = f"operations.{name}"
    figures = convert(raw, OperationFigures, at=where)
    if figures.errors > figures.requests:
        raise InvalidInput(f"{where}.errors cannot exceed its requests", field=f"{where}.errors")
    if figures.p95_ms is None and figures.requests:
        raise InvalidInput(f"{where}.p95_ms is required with requests", field=where)
    return OperationHealth(name, figures.requests, figures.errors, figures.p95_ms)


def site_health_key(queue_id: str) -> str:
    return QueueKeys(queue_id).site_health


async def store_report(
    redis: Redis, queue_id: str, report: HealthReport, now: float | None = None
) -> None:
    received = time.time() if now is None else now
    document = {
        "received_at": round(received, 3),
        "stale_after": round(
            received + max(MIN_STALE_SECONDS, STALE_AFTER_INTERVALS * report.interval_seconds), 3
        ),
        "window_seconds": report.window_seconds,
        "operations": {
            operation.name: {
                "requests": operation.requests,
                "errors": operation.errors,
                "p95_ms": operation.p95_ms,
            }
            for operation in report.operations
        },
    }
    key = site_health_key(queue_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(key, report.reporter, orjson.dumps(document))
        pipe.expire(key, HEALTH_TTL_SECONDS)
        await pipe.execute()


async def current_health(
    redis: Redis, queue_id: str, now: float | None = None
) -> SiteHealth | None:
    """The site's figures over the standing reports; None when no process reported lately.
    Reports gone stale are removed on the way."""
    moment = time.time() if now is None else now
    key = site_health_key(queue_id)
    raw = await redis.hgetall(key)
    fresh: list[dict[str, Any]] = []
    stale: list[Any] = []
    for reporter, value in raw.items():
        try:
            document = orjson.loads(value)
            stale_after = float(document["stale_after"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            stale.append(reporter)
            continue
        if moment > stale_after:
            stale.append(reporter)
        else:
            fresh.append(document)
    if stale:
        await redis.hdel(key, *stale)
    if not fresh:
        return None
    return combine(fresh)


def combine(documents: list[dict[str, Any]]) -> SiteHealth:
    """Sum requests and errors, take the highest p95 (of processes that had requests)."""
    totals: dict[str, list[Any]] = {}
    for document in documents:
        for name, figures in (document.get("operations") or {}).items():
            entry = totals.setdefault(name, [0, 0, None])
            requests = int(figures.get("requests") or 0)
            entry[0] += requests
            entry[1] += int(figures.get("errors") or 0)
            latency = figures.get("p95_ms")
            if requests and isinstance(latency, int | float):
                entry[2] = latency if entry[2] is None else max(entry[2], latency)
    operations = tuple(
        OperationHealth(name, requests, errors, latency)
        for name, (requests, errors, latency) in sorted(totals.items())
    )
    return SiteHealth(
        operations=operations,
        reporters=len(documents),
        newest_at=max(float(document["received_at"]) for document in documents),
        window_seconds=max(int(document.get("window_seconds") or 0) for document in documents),
    )
