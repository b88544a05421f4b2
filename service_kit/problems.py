"""RFC 9457 problem responses and the package's error tree.

Domain code raises :class:`WaitroomError` subclasses carrying data; only HTTP handlers turn them
into responses, through :func:`problem_response`.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

PROBLEM_CONTENT_TYPE = "application/problem+json"


class WaitroomError(Exception):
    """Base of every error the waiting room raises on purpose."""

    status = 400
    title = "Bad request"
    type_slug = "bad-request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidInput(WaitroomError):
    status = 400
    title = "Invalid input"
    type_slug = "invalid-input"


class NotAuthenticated(WaitroomError):
    status = 401
    title = "Not authenticated"
    type_slug = "not-authenticated"


class Forbidden(WaitroomError):
    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class NotFound(WaitroomError):
    status = 404
    title = "Not found"
    type_slug = "not-found"


class Conflict(WaitroomError):
    status = 409
    title = "Conflict"
    type_slug = "conflict"


class Unavailable(WaitroomError):
    status = 503
    title = "Service unavailable"
    type_slug = "unavailable"


def problem_body(status: int, title: str, detail: str, type_slug: str, **extra: Any) -> bytes:
    body: dict[str, Any] = {
        "type": f"https://waitroom.dev/problems/{type_slug}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    body.update(extra)
    return orjson.dumps(body)


def problem_response(
    status: int,
    title: str,
    detail: str,
    type_slug: str = "error",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    merged = {"Cache-Control": "no-store"}
    if headers:
        merged.update(headers)
    return Response(
        problem_body(status, title, detail, type_slug, **extra),
        status_code=status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=merged,
    )


def error_response(error: WaitroomError, headers: dict[str, str] | None = None) -> Response:
    retry_after = error.extra.get("retry_after_seconds")
    if isinstance(retry_after, int) and retry_after > 0:
        headers = {**(headers or {}), "Retry-After": str(retry_after)}
    return problem_response(
        error.status, error.title, error.detail, error.type_slug, headers=headers, **error.extra
    )


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """Starlette HTTPException (404 for unknown routes, 405, ...) as a problem body."""
    status = int(getattr(exc, "status_code", 500))
    detail = str(getattr(exc, "detail", "")) or "Request failed"
    headers = getattr(exc, "headers", None)
    return problem_response(status, detail, detail, "http-error", headers=headers)


async def waitroom_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WaitroomError)
    return error_response(exc)
