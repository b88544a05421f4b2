"""Errors as HTTP: RFC 9457 problem documents, in one place for both apps.

:data:`PROBLEM_KINDS` is the table from an error's kind (:class:`service_kit.errors.ErrorKind`)
to its HTTP status and default title; :func:`error_problem` turns any
:class:`~service_kit.errors.ServiceError` into status, headers and body (``Retry-After`` for the
kinds that have one and an error that says when). Framework-free, so the pure-ASGI layers (body
limits, the status fast path, the connector) use it as they are; the Starlette side (responses,
exception handlers) is :mod:`service_kit.problem_responses`. Domain code never imports this.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from service_kit.errors import ErrorKind, ServiceError

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://waitroom.dev/problems/"


@dataclass(frozen=True, slots=True)
class ProblemKind:
    status: int
    title: str


PROBLEM_KINDS: dict[ErrorKind, ProblemKind] = {
    ErrorKind.INVALID_INPUT: ProblemKind(400, "Invalid input"),
    ErrorKind.NOT_AUTHENTICATED: ProblemKind(401, "Not authenticated"),
    ErrorKind.DECLINED: ProblemKind(402, "Payment declined"),
    ErrorKind.FORBIDDEN: ProblemKind(403, "Forbidden"),
    ErrorKind.NOT_FOUND: ProblemKind(404, "Not found"),
    ErrorKind.SLOW_CLIENT: ProblemKind(408, "Request timeout"),
    ErrorKind.CONFLICT: ProblemKind(409, "Conflict"),
    ErrorKind.GONE: ProblemKind(410, "Gone"),
    ErrorKind.TOO_LARGE: ProblemKind(413, "Request body too large"),
    ErrorKind.UNPROCESSABLE: ProblemKind(422, "Unprocessable request"),
    ErrorKind.PRECONDITION_REQUIRED: ProblemKind(428, "Precondition required"),
    ErrorKind.TOO_MANY: ProblemKind(429, "Too many requests"),
    ErrorKind.HEAD_TOO_LARGE: ProblemKind(431, "Request header fields too large"),
    ErrorKind.BAD_UPSTREAM: ProblemKind(502, "Bad gateway"),
    ErrorKind.UNAVAILABLE: ProblemKind(503, "Service unavailable"),
    ErrorKind.UPSTREAM_TIMEOUT: ProblemKind(504, "Gateway timeout"),
}
"""Every kind has exactly one status (checked by tests/unit/test_problems.py)."""

RETRY_AFTER_KINDS = frozenset({ErrorKind.TOO_MANY, ErrorKind.UNAVAILABLE})
"""Kinds whose answer carries ``Retry-After`` when the error has ``retry_after_seconds``."""

Headers = list[tuple[str, str]]
JSON_VALUES = (str, int, float, bool, list, dict, type(None))
"""``extra`` values a problem body carries (others are data for the code that caught it)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """An error as HTTP: status, extra headers (besides content type and caching), body."""

    status: int
    title: str
    headers: Headers
    body: bytes


def error_status(error: ServiceError) -> int:
    return PROBLEM_KINDS[error.kind].status


def error_title(error: ServiceError) -> str:
    return error.title or PROBLEM_KINDS[error.kind].title


def problem_body(status: int, title: str, detail: str, type_slug: str, **extra: Any) -> bytes:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + type_slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    body.update(extra)
    return orjson.dumps(body)


def retry_after_seconds(error: ServiceError) -> int | None:
    """The ``Retry-After`` of an error's answer, or None."""
    if error.kind not in RETRY_AFTER_KINDS:
        return None
    seconds = error.extra.get("retry_after_seconds")
    if isinstance(seconds, int) and not isinstance(seconds, bool) and seconds > 0:
        return seconds
    return None


def error_problem(error: ServiceError) -> Problem:
    """The RFC 9457 answer to ``error``: the one mapping from errors to HTTP."""
    status = error_status(error)
    title = error_title(error)
    headers: Headers = []
    retry_after = retry_after_seconds(error)
    if retry_after is not None:
        headers.append(("Retry-After", str(retry_after)))
    public = {name: value for name, value in error.extra.items() if isinstance(value, JSON_VALUES)}
    body = problem_body(status, title, error.detail, error.type_slug, **public)
    return Problem(status, title, headers, body)
