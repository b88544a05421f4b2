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
from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis

from service_kit.errors import InvalidInput
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
FIELDS = ("reporter", "window_seconds", "interval_seconds", "operations")
OPERATION_FIELDS = ("requests", "errors", "p95_ms")


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


def parse_health_report(body: dict[str, Any]) -> HealthReport:
    """The report in ``body`` (a JSON object); raises InvalidInput naming the field."""
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise InvalidInput(
            f"unknown field {unknown[0][:64]!r}; the fields are {', '.join(FIELDS)}",
            field=unknown[0][:64],
        )
    reporter = body.get("reporter")
    if not isinstance(reporter, str) or not REPORTER_PATTERN.match(reporter):
        raise InvalidInput(
            '"reporter" names the reporting process: 1-64 letters, digits, "_.:-"',
            field="reporter",
        )
    window = body.get("window_seconds")
    if (
        isinstance(window, bool)
        or not isinstance(window, int)
        or not 1 <= window <= MAX_WINDOW_SECONDS
    ):
        raise InvalidInput(
            f'"window_seconds" must be a whole number 1..{MAX_WINDOW_SECONDS}',
            field="window_seconds",
        )
    interval = body.get("interval_seconds", DEFAULT_INTERVAL_SECONDS)
    if (
        isinstance(interval, bool)
        or not isinstance(interval, int | float)
        or not 0.1 <= interval <= MAX_INTERVAL_SECONDS
    ):
        raise InvalidInput(
            f'"interval_seconds" (how often this reporter reports) must be 0.1..'
            f"{MAX_INTERVAL_SECONDS}",
            field="interval_seconds",
        )
    raw = body.get("operations")
    if not isinstance(raw, dict) or not 1 <= len(raw) <= MAX_OPERATIONS:
        raise InvalidInput(
            f'"operations" must be an object of 1 to {MAX_OPERATIONS} operations',
            field="operations",
        )
    operations = tuple(_operation(name, figures) for name, figures in sorted(raw.items()))
    return HealthReport(reporter, window, float(interval), operations)


def _operation(name: str, figures: Any) -> OperationHealth:
    where = f"operations.{name[:32]}"
    if not OPERATION_PATTERN.match(name):
        raise InvalidInput(
            "operation names are 1-32 of a-z, 0-9 and _ (e.g. checkout)", field="operations"
        )
    if not isinstance(figures, dict):
        raise InvalidInput(f"{where} must be an object", field=where)
    unknown = sorted(set(figures) - set(OPERATION_FIELDS))
    if unknown:
        raise InvalidInput(f"{where} has an unknown field {unknown[0][:64]!r}", field=where)
    requests = _count(figures.get("requests"), f"{where}.requests")
    errors = _count(figures.get("errors", 0), f"{where}.errors")
    if errors > requests:
        raise InvalidInput(f"{where}.errors cannot exceed its requests", field=f"{where}.errors")
    latency = figures.get("p95_ms")
    if latency is None:
        if requests:
            raise InvalidInput(f"{where}.p95_ms is required with requests", field=where)
    elif (
        isinstance(latency, bool)
        or not isinstance(latency, int | float)
        or not 0 <= latency <= MAX_LATENCY_MS
    ):
        raise InvalidInput(
            f"{where}.p95_ms must be milliseconds 0..{MAX_LATENCY_MS:g}", field=f"{where}.p95_ms"
        )
    return OperationHealth(name, requests, errors, None if latency is None else float(latency))


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_REQUESTS:
        raise InvalidInput(f"{where} must be a whole number 0..{MAX_REQUESTS}", field=where)
    return value


def site_health_key(queue_id: str) -> str:
    return QueueKeys(queue_id).part("site_health")


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
