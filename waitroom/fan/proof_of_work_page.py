"""The join challenge: ``GET /api/v1/queues/{queue_id}/challenge`` and the page that solves it.

With ``WAITROOM_POW_DIFFICULTY_BITS`` > 0 a first visit to ``/q/{queue_id}`` shows a short
"checking your browser" page; ``pow.js`` fetches a challenge, solves it, joins with the
solution headers and reloads into the queue page. The visitor cookie is set on that page
already, so tabs opened meanwhile join as the same visitor and share one place.
"""

from __future__ import annotations

import orjson
from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from service_kit.cookies import set_cookie_header
from waitroom.fan.cookies import VISITOR_COOKIE, VISITOR_COOKIE_MAX_AGE_SECONDS
from waitroom.fan.session import checked_queue_id
from waitroom.tokens import new_visitor_id
from waitroom.web.runtime import Runtime, runtime_of


async def challenge_endpoint(request: Request) -> Response:
    runtime = runtime_of(request)
    queue_id = checked_queue_id(request.path_params["queue_id"])
    proof = runtime.protection.proof_of_work
    challenge = proof.issue(queue_id)
    body = {
        "challenge": challenge.token,
        "difficulty_bits": challenge.difficulty_bits,
        "expires_in_seconds": challenge.expires_in_seconds,
        "required": proof.enabled,
    }
    return Response(
        orjson.dumps(body),
        media_type="application/json",
        headers={"cache-control": "no-store"},
    )


def proof_of_work_page(request: Request, runtime: Runtime, queue_id: str) -> Response:
    environment: Environment = request.app.state.templates
    html = environment.get_template("proof_of_work.html").render(
        request=request,
        queue_id=queue_id,
        challenge_url=f"/api/v1/queues/{queue_id}/challenge",
        join_url=f"/api/v1/queues/{queue_id}/join",
    )
    response = HTMLResponse(html, headers={"cache-control": "no-store"})
    visitor = request.cookies.get(VISITOR_COOKIE)
    if not visitor:
        response.headers.append(
            "set-cookie",
            set_cookie_header(
                VISITOR_COOKIE,
                new_visitor_id(),
                VISITOR_COOKIE_MAX_AGE_SECONDS,
                runtime.cookie_secure(request),
            ),
        )
    return response
