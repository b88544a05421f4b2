"""``GET /q/{queue_id}``: the fan's queue page. Joins on first visit; works without JavaScript
through a ``Refresh`` header; the script polls the status endpoint at the server's interval."""

from __future__ import annotations

import math

import orjson
from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from waitroom import fan_session
from waitroom.admission import FanState, QueueNotFound, QueueNotJoinable
from waitroom.availability import QueueUnavailable
from waitroom.fan_api import status_body
from waitroom.problems import WaitroomError
from waitroom.proof_of_work_page import proof_of_work_page
from waitroom.runtime import runtime_of
from waitroom.tokens import TokenError


def _render(request: Request, template: str, status_code: int, **context: object) -> HTMLResponse:
    environment: Environment = request.app.state.templates
    html = environment.get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status_code, headers={"cache-control": "no-store"})


async def queue_page(request: Request) -> Response:
    runtime = runtime_of(request)
    raw_queue_id = request.path_params["queue_id"]
    try:
        queue_id = fan_session.checked_queue_id(raw_queue_id)
        claims = None
        token, _ = fan_session.presented_token(request, queue_id)
        created = False
        if token is not None:
            try:
                claims = runtime.codec.verify_position(token, queue_id=queue_id)
                view = await runtime.views.get(queue_id)
                if claims.epoch != view.snapshot.epoch:
                    claims = None
            except TokenError:
                claims = None
            except QueueUnavailable:
                pass  # the token proves the place: the status below says "paused"
        if claims is None and runtime.protection.proof_of_work.enabled:
            state = (await runtime.views.get(queue_id)).snapshot.config.state.value
            if state in {"closed", "sold_out"}:
                return _render(
                    request, "queue_closed.html", 200, queue_id=queue_id, state=state
                )
            return proof_of_work_page(request, runtime, queue_id)
        if claims is None:
            joined = await fan_session.join(runtime, request, queue_id)
            claims, token, created = joined.claims, joined.token, joined.created
        answer = await fan_session.status(runtime, claims)
    except QueueNotFound:
        return _render(request, "not_found.html", 404, queue_id=raw_queue_id[:64])
    except QueueNotJoinable as error:
        return _render(
            request, "queue_closed.html", 200, queue_id=raw_queue_id, state=error.extra["state"]
        )
    except WaitroomError as error:
        response = _render(request, "error.html", error.status, detail=error.detail)
        retry_after = error.extra.get("retry_after_seconds")
        if isinstance(retry_after, int):
            response.headers["retry-after"] = str(retry_after)
        return response
    snapshot = runtime.views.last_known(queue_id)
    body = status_body(answer)
    refresh_seconds = max(2, math.ceil(answer.status.poll_after_ms / 1000))
    response = _render(
        request,
        "queue.html",
        200,
        queue_id=queue_id,
        queue_name=(snapshot.config.name if snapshot is not None else "") or queue_id,
        status=body,
        status_json=orjson.dumps(body).decode(),
        status_url=f"/api/v1/queues/{queue_id}/status",
        joined_now=created,
        refresh_seconds=refresh_seconds,
    )
    if answer.status.state is FanState.ADMITTED and answer.redirect_url:
        response.headers["refresh"] = f"1; url={answer.redirect_url}"
    elif answer.status.state not in {FanState.CLOSED, FanState.SOLD_OUT}:
        response.headers["refresh"] = str(refresh_seconds)
    for cookie in fan_session.cookie_headers(
        runtime,
        request,
        queue_id,
        answer.refreshed_token or token,
        claims.visitor_id,
        answer.pass_token,
    ):
        response.headers.append("set-cookie", cookie)
    return response
