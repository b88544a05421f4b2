"""Fan JSON API: ``POST /api/v1/queues/{queue_id}/join`` and ``GET .../status``."""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson
from starlette.requests import Request
from starlette.responses import Response

from service_kit.errors import ServiceError
from service_kit.request_body import is_form
from waitroom.errors import QueueNotJoinable
from waitroom.fan import session as fan_session
from waitroom.fan.forms import back_to_page, failure, refuse_cross_site
from waitroom.fan.status_body import status_body
from waitroom.fan.status_reply import status_reply
from waitroom.web.runtime import Runtime, runtime_of

NO_STORE = "no-store"


def json_response(body: dict[str, Any], status_code: int, cookies: list[str]) -> Response:
    response = Response(orjson.dumps(body), status_code=status_code, media_type="application/json")
    response.headers["cache-control"] = NO_STORE
    for cookie in cookies:
        response.headers.append("set-cookie", cookie)
    return response


class JoinAnswer(NamedTuple):
    status_code: int
    """201 for a new place, 200 for the place already held."""
    body: dict[str, Any]
    cookies: list[str]


async def join_answer(runtime: Runtime, request: Request, queue_id: str) -> JoinAnswer:
    """The answer to a join (raises ServiceError): its place and first status, with the
    visitor and position cookies. Served by :func:`join_endpoint` and, for joins without a
    body, by the join fast path (:mod:`waitroom.web.join_fast_path`)."""
    queue_id = fan_session.checked_queue_id(queue_id)
    joined = await fan_session.join(runtime, request, queue_id)
    answer = await fan_session.status(runtime, joined.claims, joined=joined.reply)
    body = status_body(answer)
    body["token"] = answer.refreshed_token or joined.token
    body["queue_id"] = queue_id
    cookies = fan_session.cookie_headers(
        runtime, request, queue_id, body["token"], joined.claims.visitor_id
    )
    return JoinAnswer(201 if joined.created else 200, body, cookies)


async def join_endpoint(request: Request) -> Response:
    """JSON clients and the page's script get the join answer; the page's "Join the queue"
    button (a form post, no JavaScript) gets a 303 back to the page of the place. Body-less
    joins are answered by the join fast path before they reach this endpoint."""
    form = is_form(request)
    queue_id = request.path_params["queue_id"]
    try:
        if form:
            refuse_cross_site(request)
        joined = await join_answer(runtime_of(request), request, queue_id)
    except ServiceError as error:
        if form and isinstance(error, QueueNotJoinable):
            return back_to_page(queue_id)  # closed or sold out meanwhile: the page says so
        return failure(request, error, "status")
    if form:
        response = back_to_page(queue_id)
        for cookie in joined.cookies:
            response.headers.append("set-cookie", cookie)
        return response
    return json_response(joined.body, joined.status_code, joined.cookies)


async def status_endpoint(request: Request) -> Response:
    """The status poll through Starlette's router (``HEAD``, and anything the fast path in
    waitroom/web/fast_path.py hands on): the same reply, as a Starlette response."""
    reply = await status_reply(runtime_of(request), request.scope, request.path_params["queue_id"])
    response = Response(reply.body, status_code=reply.status_code)
    response.raw_headers = reply.headers
    return response
