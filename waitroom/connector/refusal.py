"""The answer a protected site gives when a fan may not come in (contract sections 2-4).

One place for the Python middleware and the waiting room's reverse-proxy endpoints
(``/.waitroom/denied``, the auth endpoint with ``proxy=forward``), so a fan sees the same
thing whichever connector guards the site:

- API clients (``/api/`` paths, a bearer pass, ``Accept: application/json``): an RFC 9457
  problem body with the queue URL (and ``closed_reason`` for a session that ended or ran out);
- a browser without a (valid) session: a 303 to the queue page;
- a browser whose pass or session is used up, expired or in use elsewhere: the explaining page
  with "Join the queue again" (and "Try again" when the waiting room cannot be reached).

The site's cookie is cleared when its own session is over (ended, expired or invalid); a
refused pass (used up, in use elsewhere) leaves the browser's other session alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from service_kit.problems import PROBLEM_CONTENT_TYPE, error_status, error_title, problem_body
from waitroom.connector.asgi import IncomingRequest, cookie_header
from waitroom.connector.errors import (
    ConnectorError,
    ConnectorUnavailable,
    PassInvalid,
    PassMissing,
    SessionEnded,
    SessionExpired,
    SessionInvalid,
)
from waitroom.connector.explanation import explanation_page

SEND_TO_QUEUE = (PassMissing, PassInvalid, SessionInvalid)
"""Refusals a browser answers by going (back) to the queue page."""

Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    headers: Headers
    """Without ``cache-control`` and ``content-length`` (the sender adds them)."""
    body: bytes


def refusal(
    request: IncomingRequest,
    error: ConnectorError,
    *,
    queue_url: str,
    cookie_name: str,
    cookie_secure: bool,
    api_path_prefixes: Sequence[str],
    retry_after_seconds: int,
) -> Refusal:
    """What to answer ``request`` when ``error`` keeps it out (see the module's text)."""
    headers: Headers = []
    unavailable = isinstance(error, ConnectorUnavailable)
    session_over = isinstance(error, SessionEnded | SessionExpired | SessionInvalid)
    if request.cookies.get(cookie_name) is not None and session_over:
        # the cookie's session is over (a refused pass leaves another session alone)
        headers.append((b"set-cookie", cookie_header(cookie_name, "", 0, cookie_secure)))
    if unavailable:
        headers.append((b"retry-after", str(retry_after_seconds).encode()))
    if request.wants_json(api_path_prefixes):
        return _problem(error, queue_url, headers)
    if isinstance(error, SEND_TO_QUEUE):
        headers.append((b"location", queue_url.encode("latin-1")))
        return Refusal(303, headers, b"")
    action = request.url() if unavailable else queue_url
    headers.append((b"content-type", b"text/html; charset=utf-8"))
    return Refusal(error_status(error), headers, explanation_page(error, action))


def _problem(error: ConnectorError, queue_url: str, headers: Headers) -> Refusal:
    # an API client with an unusable session needs a (new) pass, like one without any
    shown = PassMissing(error.detail) if isinstance(error, SessionInvalid) else error
    extra: dict[str, object] = {"queue_url": queue_url}
    reason = error.extra.get("closed_reason")
    if isinstance(error, SessionEnded | SessionExpired) or reason:
        extra["closed_reason"] = reason or "pass_expired"
    status = error_status(shown)
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="waitroom"'))
    headers.append((b"content-type", PROBLEM_CONTENT_TYPE.encode()))
    body = problem_body(status, error_title(shown), error.detail, shown.type_slug, **extra)
    return Refusal(status, headers, body)
