"""``POST /api/v1/queues/{queue_id}/rejoin``: "Join the queue again" after a place is done.

When a place's pass expired, or its shopping session ran out or ended (the status says
``closed`` with a ``closed_reason``), the fan may queue again: the old place is given up (as
"leave the queue" does, the pre-checkout profile is kept) and a new place at the back is taken
for the same visitor. The position token proves the old place, so no proof of work or join
limit applies (one visitor still holds one place). A form post (the queue page) gets a 303 back
to the page; a JSON client gets the join answer (201).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from service_kit.errors import ServiceError
from service_kit.request_body import is_form
from waitroom.fan import session as fan_session
from waitroom.fan.api import json_response
from waitroom.fan.extras_api import fan_claims
from waitroom.fan.forms import back_to_page, failure
from waitroom.fan.status_body import status_body
from waitroom.web.runtime import runtime_of


async def rejoin_endpoint(request: Request) -> Response:
    runtime = runtime_of(request)
    try:
        queue_id, claims = await fan_claims(runtime, request)
        await runtime.fan.leaving.leave(queue_id, claims.visitor_id, keep_profile=True)
        runtime.views.invalidate(queue_id)
        joined = await fan_session.join(runtime, request, queue_id)
        answer = await fan_session.status(runtime, joined.claims, joined=joined.reply)
    except ServiceError as error:
        return failure(request, error, "status")
    token = answer.refreshed_token or joined.token
    cookies = fan_session.cookie_headers(runtime, request, queue_id, token, None)
    if is_form(request):
        response: Response = back_to_page(queue_id)
    else:
        body = status_body(answer)
        body.update(token=token, queue_id=queue_id)
        response = json_response(body, 201, [])
    for cookie in cookies:
        response.headers.append("set-cookie", cookie)
    return response
