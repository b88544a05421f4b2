"""Problem answers as Starlette responses, and the exception handlers both apps register.

Handlers raise :class:`~service_kit.errors.ServiceError`; the app's exception handler
(:func:`service_error_handler`) answers it through :func:`service_kit.problems.error_problem`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from service_kit.errors import ServiceError
from service_kit.problems import PROBLEM_CONTENT_TYPE, Problem, error_problem, problem_body


def _response(status: int, body: bytes, headers: dict[str, str] | None) -> Response:
    merged = {"Cache-Control": "no-store"}
    if headers:
        merged.update(headers)
    return Response(body, status_code=status, media_type=PROBLEM_CONTENT_TYPE, headers=merged)


def problem_response(
    status: int,
    title: str,
    detail: str,
    type_slug: str = "error",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """A problem answer that no error stands behind (HTTP-level refusals: 404 routes, 405)."""
    return _response(status, problem_body(status, title, detail, type_slug, **extra), headers)


def response_of(problem: Problem, headers: dict[str, str] | None = None) -> Response:
    return _response(problem.status, problem.body, {**dict(problem.headers), **(headers or {})})


def error_response(error: ServiceError, headers: dict[str, str] | None = None) -> Response:
    """The problem answer to ``error`` (status from its kind, ``Retry-After`` where it belongs)."""
    return response_of(error_problem(error), headers)


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """Starlette HTTPException (404 for unknown routes, 405, ...) as a problem body."""
    status = int(getattr(exc, "status_code", 500))
    detail = str(getattr(exc, "detail", "")) or "Request failed"
    headers = getattr(exc, "headers", None)
    return problem_response(status, detail, detail, "http-error", headers=headers)


async def service_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    return error_response(exc)
