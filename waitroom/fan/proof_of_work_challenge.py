"""The join challenge: ``GET /api/v1/queues/{queue_id}/challenge``.

With ``WAITROOM_POW_DIFFICULTY_BITS`` > 0 the queue page of a visitor without a place
(:mod:`waitroom.fan.visitor_page`) loads ``pow.js`` with ``join.js``: the script fetches a
challenge, solves it, joins with the solution headers and loads the page of the place. The
visitor cookie is set by that page already, so tabs opened meanwhile join as the same visitor
and share one place.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from service_kit.request_body import model_response
from waitroom.fan.models import Challenge
from waitroom.fan.session import checked_queue_id
from waitroom.web.runtime import runtime_of


async def challenge_endpoint(request: Request) -> Response:
    runtime = runtime_of(request)
    queue_id = checked_queue_id(request.path_params["queue_id"])
    proof = runtime.protection.proof_of_work
    challenge = proof.issue(queue_id)
    return model_response(
        Challenge(
            challenge=challenge.token,
            difficulty_bits=challenge.difficulty_bits,
            expires_in_seconds=challenge.expires_in_seconds,
            required=proof.enabled,
        )
    )
