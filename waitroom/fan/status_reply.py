"""The answer to ``GET /api/v1/queues/{queue_id}/status``: status code, body and headers.

The one implementation of the status poll, from the request's headers (its token) and the
cached view. Two thin shells send it: the pure-ASGI :class:`waitroom.web.fast_path.
StatusFastPath` (every ``GET`` poll, in front of Starlette) and the Starlette route
:func:`waitroom.fan.api.status_endpoint` (what the fast path hands on, e.g. ``HEAD``).
"""

from __future__ import annotations

from typing import NamedTuple

import orjson
from starlette.requests import Request
from starlette.types import Scope

from service_kit.errors import ServiceError
from service_kit.problem_responses import error_response
from waitroom.errors import QueueUnavailable, TokenError
from waitroom.fan.presented_token import token_in_headers
from waitroom.fan.session import (
    checked_queue_id,
    cookie_headers,
    status,
    verify_status_token,
)
from waitroom.fan.status_body import status_body
from waitroom.queue.availability import REDIS_ERRORS
from waitroom.web.runtime import Runtime

JSON_CONTENT_TYPE = (b"content-type", b"application/json")
NO_STORE = (b"cache-control", b"no-store")


class StatusReply(NamedTuple):
    status_code: int
    body: bytes
    headers: list[tuple[bytes, bytes]]
    """Raw ASGI headers, ``content-length`` included."""


async def status_reply(runtime: Runtime, scope: Scope, queue_id: str) -> StatusReply:
    """Verify the presented token, read the fan's status, build the reply. Bad input becomes
    a problem reply (401 for a missing, invalid or expired token, 400 for a malformed one, 404
    for an unknown queue); a store that fails becomes 503 with ``Retry-After`` (fail closed)."""
    try:
        fresh = runtime.views.fresh(queue_id)
        if fresh is None:
            # a fresh view exists only for a queue read from the store, whose id was checked
            checked_queue_id(queue_id)
        token, _ = token_in_headers(scope["headers"], queue_id)
        claims = verify_status_token(runtime.codec, token, queue_id)  # of queue_id, or raises
        answer = await status(runtime, claims, fresh)
    except TokenError as error:
        runtime.metrics.token_rejections.labels(error.reason).inc()
        return problem_reply(error)
    except ServiceError as error:
        return problem_reply(error)
    except REDIS_ERRORS:
        return problem_reply(QueueUnavailable(queue_id, runtime.protection.retry_after_seconds))
    body = orjson.dumps(status_body(answer))
    headers = [(b"content-length", b"%d" % len(body)), JSON_CONTENT_TYPE, NO_STORE]
    if answer.refreshed_token is not None:
        # the place changed (pre-queue shuffled, queued again): the cookie follows
        for cookie in cookie_headers(
            runtime, Request(scope), queue_id, answer.refreshed_token, None
        ):
            headers.append((b"set-cookie", cookie.encode("latin-1")))
    return StatusReply(200, body, headers)


def problem_reply(error: ServiceError) -> StatusReply:
    """The RFC 9457 problem answer of ``error``, as every other endpoint gives it."""
    response = error_response(error)
    return StatusReply(response.status_code, bytes(response.body), response.raw_headers)
