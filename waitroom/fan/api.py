"""Fan JSON API: ``POST /api/v1/queues/{queue_id}/join`` and ``GET .../status``."""

from __future__ import annotations

import time
from typing import Any, NamedTuple

import orjson
from starlette.requests import Request
from starlette.responses import Response

from service_kit.problems import WaitroomError, error_response
from waitroom.fan import session as fan_session
from waitroom.fan.session import StatusAnswer
from waitroom.web.runtime import Runtime, runtime_of

NO_STORE = "no-store"


def json_response(body: dict[str, Any], status_code: int, cookies: list[str]) -> Response:
    response = Response(orjson.dumps(body), status_code=status_code, media_type="application/json")
    response.headers["cache-control"] = NO_STORE
    for cookie in cookies:
        response.headers.append("set-cookie", cookie)
    return response


def status_body(answer: StatusAnswer) -> dict[str, Any]:
    status = answer.status
    body: dict[str, Any] = {
        "state": status.state.value,
        "position": status.position,
        "ahead": status.ahead,
        "eta_seconds": status.eta_seconds,
        "eta_range_seconds": list(status.eta_range_seconds) if status.eta_range_seconds else None,
        "poll_after_ms": status.poll_after_ms,
        "serving": status.serving,
        "queue_length": status.queue_length,
        "progress": round(status.progress, 4),
        "server_time": round(time.time(), 3),
    }
    if status.tickets_remaining is not None:
        body["tickets_remaining"] = status.tickets_remaining
    if status.stock_may_return:
        body["stock_may_return"] = True
    if status.opens_at:
        body["opens_at"] = status.opens_at
    if status.pause_reason and status.state.value == "paused":
        body["pause_reason"] = status.pause_reason
    if answer.pass_token is not None:
        body["pass"] = answer.pass_token
        body["pass_expires_at"] = answer.pass_expires_at
        body["redirect_url"] = answer.redirect_url
    if answer.session_deadline is not None:
        body["session_deadline"] = answer.session_deadline
    if answer.closed_reason is not None:
        body["closed_reason"] = answer.closed_reason
    if answer.refreshed_token is not None:
        body["token"] = answer.refreshed_token
    if answer.degraded:
        body["degraded"] = True
    return body


class JoinAnswer(NamedTuple):
    status_code: int
    """201 for a new place, 200 for the place already held."""
    body: dict[str, Any]
    cookies: list[str]


async def join_answer(runtime: Runtime, request: Request, queue_id: str) -> JoinAnswer:
    """The answer to a join (raises WaitroomError): its place and first status, with the
    visitor and position cookies. Served by :func:`join_endpoint` and, for joins without a
    body, by the join fast path (:mod:`waitroom.web.join_fast_path`)."""
    queue_id = fan_session.checked_queue_id(queue_id)
    joined = await fan_session.join(runtime, request, queue_id)
    answer = await fan_session.status(runtime, joined.claims, joined.reply)
    body = status_body(answer)
    body["token"] = answer.refreshed_token or joined.token
    body["queue_id"] = queue_id
    cookies = fan_session.cookie_headers(
        runtime, request, queue_id, body["token"], joined.claims.visitor_id
    )
    return JoinAnswer(201 if joined.created else 200, body, cookies)


async def join_endpoint(request: Request) -> Response:
    try:
        joined = await join_answer(
            runtime_of(request), request, request.path_params["queue_id"]
        )
    except WaitroomError as error:
        return error_response(error)
    return json_response(joined.body, joined.status_code, joined.cookies)


async def status_endpoint(request: Request) -> Response:
    runtime = runtime_of(request)
    try:
        queue_id = fan_session.checked_queue_id(request.path_params["queue_id"])
        claims, _ = fan_session.verify_for_status(runtime.codec, request, queue_id)
        answer = await fan_session.status(runtime, claims)
    except fan_session.TokenRejected as error:
        runtime.metrics.token_rejections.labels(str(error.extra.get("reason", "invalid"))).inc()
        return error_response(error)
    except WaitroomError as error:
        return error_response(error)
    cookies: list[str] = []
    if answer.refreshed_token is not None:
        cookies = fan_session.cookie_headers(
            runtime, request, queue_id, answer.refreshed_token, None
        )
    return json_response(status_body(answer), 200, cookies)
