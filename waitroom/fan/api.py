"""Fan JSON API: ``POST /api/v1/queues/{queue_id}/join`` and ``GET .../status``."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from waitroom.fan import session as fan_session
from waitroom.fan.status_body import status_body
from waitroom.fan.status_reply import status_reply
from waitroom.web.runtime import runtime_of

NO_STORE = "no-store"


def json_response(body: dict[str, Any], status_code: int, cookies: list[str]) -> Response:
    response = Response(orjson.dumps(body), status_code=status_code, media_type="application/json")
    response.headers["cache-control"] = NO_STORE
    for cookie in cookies:
        response.headers.append("set-cookie", cookie)
    return response


async def join_endpoint(request: Request) -> Response:
    runtime = runtime_of(request)
    queue_id = fan_session.checked_queue_id(request.path_params["queue_id"])
    joined = await fan_session.join(runtime, request, queue_id)
    answer = await fan_session.status(runtime, joined.claims)
    body = status_body(answer)
    body["token"] = answer.refreshed_token or joined.token
    body["queue_id"] = queue_id
    cookies = fan_session.cookie_headers(
        runtime, request, queue_id, body["token"], joined.claims.visitor_id
    )
    return json_response(body, 201 if joined.created else 200, cookies)


async def status_endpoint(request: Request) -> Response:
    """The status poll through Starlette's router (``HEAD``, and anything the fast path in
    waitroom/web/fast_path.py hands on): the same reply, as a Starlette response."""
    reply = await status_reply(runtime_of(request), request.scope, request.path_params["queue_id"])
    response = Response(reply.body, status_code=reply.status_code)
    response.raw_headers = reply.headers
    return response
