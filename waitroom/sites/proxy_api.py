"""The reverse-proxy connector's endpoints (docs/connector.md, "The reverse-proxy connector").

- ``GET /api/v1/connector/auth?queue=<id>``: nginx ``auth_request`` asks it before each
  request to the site. ``204`` with ``X-Waitroom-Pass-Id``, ``X-Waitroom-Buyer`` and
  ``X-Waitroom-Deadline`` lets the request through; ``401`` (with ``X-Waitroom-Reason``, the
  refusal's slug) sends it to ``/.waitroom/denied``. With ``&proxy=forward`` (Caddy
  ``forward_auth``, Traefik ForwardAuth, which return a non-2xx answer to the fan as it is) a
  refusal is the redirect, page or problem body itself, and a request whose
  ``X-Forwarded-Uri`` carries a pass is handed off in place.
- ``/.waitroom/enter``: nginx rewrites a request carrying ``?waitroom_pass=`` here; the pass is
  claimed, the site-session cookie set on the site's host, and the fan sent (303) to the
  original URL without the pass.
- ``/.waitroom/end?next=<path>``: ends the session (the active-shopper slot is freed at once),
  clears the cookie, 303 to ``next`` (a path of the site; default: the queue page, which then
  says why the place is done). A GET that comes from another site asks first (a form posting to
  the same URL), so no other site can end a fan's session by a link.
- ``/.waitroom/denied``: what nginx shows for a 401 of the auth endpoint: the shared refusal
  (:mod:`waitroom.connector.refusal`), exactly as the Python connector answers.

Pure ASGI apps (the auth endpoint is asked once per request to the site); errors of the input
are raised as :class:`~service_kit.errors.ServiceError` for the app's problem handler.
"""

from __future__ import annotations

import time
from typing import Any

from jinja2 import Environment
from starlette.types import Receive, Scope, Send

from service_kit.errors import InvalidInput
from waitroom.connector.asgi import IncomingRequest, answer, cookie_header
from waitroom.connector.errors import (
    ConnectorError,
    ConnectorUnavailable,
    SessionExpired,
    SessionInvalid,
)
from waitroom.connector.refusal import Headers, refusal
from waitroom.connector.site_session import SiteSession, session_cookie_name
from waitroom.queue.pass_records import END_REASONS
from waitroom.sites.proxy_request import (
    checked_queue,
    cookie_of,
    cookie_secure,
    header_queue,
    original_request,
    query_parameters,
    queue_page_url,
    same_site_path,
)
from waitroom.web.runtime import Runtime

AUTH_PATH = "/api/v1/connector/auth"
PROXY_PREFIX = "/.waitroom"
FORWARD_MODE = "forward"
API_PATH_PREFIXES = ("/api/",)
"""Paths of the site whose refusals are problem bodies (as the Python connector's default)."""
DEFAULT_END_REASON = "purchase_completed"


def _runtime(scope: Scope) -> Runtime:
    runtime: Runtime = scope["app"].state.runtime
    return runtime


def session_headers(session: SiteSession) -> Headers:
    """What the proxy hands to the origin (``auth_request_set``, ``copy_headers``,
    ``authResponseHeaders``)."""
    return [
        (b"x-waitroom-pass-id", session.pass_id.encode("latin-1")),
        (b"x-waitroom-buyer", session.buyer.encode("latin-1")),
        (b"x-waitroom-deadline", str(session.deadline).encode("latin-1")),
    ]


async def refuse(
    runtime: Runtime, send: Send, queue_id: str, request: IncomingRequest, error: ConnectorError
) -> int:
    """Send the shared refusal (:mod:`waitroom.connector.refusal`); its status."""
    refused = refusal(
        request,
        error,
        queue_url=queue_page_url(runtime.settings, queue_id),
        cookie_name=session_cookie_name(queue_id),
        cookie_secure=cookie_secure(runtime.settings, request),
        api_path_prefixes=API_PATH_PREFIXES,
        retry_after_seconds=runtime.settings.connector_retry_after_seconds,
    )
    await answer(send, refused.status, refused.body, refused.headers)
    return refused.status


async def hand_off(
    runtime: Runtime, send: Send, queue_id: str, request: IncomingRequest, token: str
) -> int:
    """Claim the pass and answer the site's own 303 to the URL without it, with the cookie."""
    now = time.time()
    held = runtime.proxy.held(queue_id, cookie_of(request, queue_id), now)
    try:
        session = await runtime.proxy.hand_off(queue_id, token, held, now)
    except ConnectorError as error:
        return await refuse(runtime, send, queue_id, request, error)
    headers: Headers = [(b"location", request.url_without_pass().encode("latin-1"))]
    if session is not None:
        value = runtime.proxy.cookies.encode(session)
        max_age = runtime.proxy.cookie_max_age_seconds
        secure = cookie_secure(runtime.settings, request)
        cookie = cookie_header(session_cookie_name(queue_id), value, max_age, secure)
        headers.append((b"set-cookie", cookie))
    await answer(send, 303, b"", headers)
    return 303


async def answer_auth(scope: Scope, send: Send) -> int:
    """``GET /api/v1/connector/auth?queue=<id>[&proxy=forward]``: the status it answered.
    Raises InvalidInput (and ProxyNotConfigured) before answering anything."""
    runtime = _runtime(scope)
    parameters = query_parameters(scope)
    queue_id = checked_queue(parameters.get("queue"), "queue")
    mode = parameters.get("proxy")
    if mode not in {None, FORWARD_MODE}:
        raise InvalidInput('"proxy" must be "forward" or absent (nginx)', field="proxy")
    request = original_request(scope, keep_own_query=False)
    if mode == FORWARD_MODE:
        token = request.query_pass()
        if token is not None:
            return await hand_off(runtime, send, queue_id, request, token)
    try:
        session = await runtime.proxy.session(
            queue_id, cookie_of(request, queue_id), request.bearer(), time.time()
        )
    except ConnectorError as error:
        if mode == FORWARD_MODE:
            return await refuse(runtime, send, queue_id, request, error)
        await answer(send, 401, b"", [(b"x-waitroom-reason", error.type_slug.encode())])
        return 401
    await answer(send, 204, b"", session_headers(session))
    return 204


class AuthEndpoint:
    """The route of the auth endpoint (``HEAD``, and ``GET`` where no fast path runs:
    :class:`waitroom.sites.proxy_fast_path.AuthFastPath` answers ``GET`` before routing)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await answer_auth(scope, send)


class EnterEndpoint:
    """``/.waitroom/enter``: the handoff of a pass, under the site's own host."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime = _runtime(scope)
        request = original_request(scope, keep_own_query=True)
        queue_id = header_queue(request)
        await hand_off(runtime, send, queue_id, request, request.query_pass() or "")


class DeniedEndpoint:
    """``/.waitroom/denied``: the answer to a request the auth endpoint refused."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime = _runtime(scope)
        request = original_request(scope, keep_own_query=False)
        queue_id = header_queue(request)
        try:
            await runtime.proxy.session(
                queue_id, cookie_of(request, queue_id), request.bearer(), time.time()
            )
        except ConnectorError as error:
            await refuse(runtime, send, queue_id, request, error)
            return
        # good again a moment after the auth answer (a store that came back): offer to try
        # again rather than redirect, so two disagreeing answers can never loop
        retry = ConnectorUnavailable("the shop could not check your session; try again")
        await refuse(runtime, send, queue_id, request, retry)


class EndEndpoint:
    """``GET|POST /.waitroom/end?next=<path>[&reason=...]``: the origin's "done" link."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime = _runtime(scope)
        request = IncomingRequest.of(scope)
        queue_id = header_queue(request)
        parameters = query_parameters(scope)
        next_url = _next_url(runtime, queue_id, parameters.get("next"))
        reason = parameters.get("reason", DEFAULT_END_REASON)
        if reason not in END_REASONS:
            raise InvalidInput(f'"reason" must be one of {", ".join(END_REASONS)}', field="reason")
        cookie = cookie_of(request, queue_id)
        if cookie is None:
            await answer(send, 303, b"", [(b"location", next_url.encode("latin-1"))])
            return
        if request.method == "GET" and request.headers.get("sec-fetch-site") == "cross-site":
            await _confirm_page(scope, send, request)
            return
        try:
            await runtime.proxy.end(queue_id, cookie, reason, time.time())
        except (SessionInvalid, SessionExpired):
            pass  # nothing of this browser's to end: the cookie is cleared all the same
        except ConnectorUnavailable as error:
            await refuse(runtime, send, queue_id, request, error)
            return
        secure = cookie_secure(runtime.settings, request)
        headers: Headers = [
            (b"location", next_url.encode("latin-1")),
            (b"set-cookie", cookie_header(session_cookie_name(queue_id), "", 0, secure)),
        ]
        await answer(send, 303, b"", headers)


def _next_url(runtime: Runtime, queue_id: str, value: str | None) -> str:
    if value is None:
        return queue_page_url(runtime.settings, queue_id)
    if same_site_path(value) is None:
        raise InvalidInput('"next" must be a path of this site, like /thanks', field="next")
    return value


async def _confirm_page(scope: Scope, send: Send, request: IncomingRequest) -> None:
    templates: Environment = scope["app"].state.templates
    page: Any = templates.get_template("proxy_end_confirm.html").render(action_url=request.url())
    headers: Headers = [(b"content-type", b"text/html; charset=utf-8")]
    await answer(send, 200, str(page).encode("utf-8"), headers)
