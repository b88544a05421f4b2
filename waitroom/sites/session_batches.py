"""``POST /api/v1/connector/queues/{queue_id}/session-batches``: claims and ends together.

A busy site process has many buyers claiming passes and ending sessions at the same moment.
The Python connector sends the calls that arrive while one of its requests is out together in
its next request (:mod:`waitroom.connector.call_batches`), so the waiting room parses one
request, checks one site credential and writes one answer for all of them. Each call is
answered as its own endpoint answers it (``POST sessions``, ``POST sessions/{pass_id}/end``):
its status and body, problems included. A store that cannot be reached answers the whole batch
with 503, as it would have answered each call.
"""

from __future__ import annotations

import asyncio

import orjson
from starlette.requests import Request
from starlette.responses import Response

from service_kit.errors import ServiceError
from service_kit.models import to_builtins
from service_kit.problems import error_problem
from service_kit.request_body import model_response, read_json
from waitroom.errors import QueueNotFound
from waitroom.sites.connector_api import answer_of, checked_site, claim_session, end_session
from waitroom.sites.models import CallAnswer, ClaimCall, EndCall, SessionAnswers, SessionCalls
from waitroom.web.runtime import Runtime


async def _one(runtime: Runtime, queue_id: str, call: ClaimCall | EndCall) -> CallAnswer:
    try:
        if isinstance(call, ClaimCall):
            session, status = await claim_session(runtime, queue_id, call.pass_, call.session_id)
            return CallAnswer(status, to_builtins(session))
        ended = await end_session(runtime, queue_id, call.pass_id, call)
        return CallAnswer(200, to_builtins(ended))
    except QueueNotFound:
        raise  # the whole batch: the queue may be restored (then every call runs again)
    except ServiceError as error:
        problem = error_problem(error)
        return CallAnswer(problem.status, orjson.loads(problem.body))


async def _batch(request: Request) -> Response:
    runtime, queue_id = await checked_site(request)
    calls = (await read_json(request, SessionCalls)).calls
    results = await asyncio.gather(
        *(_one(runtime, queue_id, call) for call in calls), return_exceptions=True
    )
    answers: list[CallAnswer] = []
    for result in results:
        if isinstance(result, BaseException):
            raise result  # QueueNotFound, or the store's failure (503 for the batch)
        answers.append(result)
    return model_response(SessionAnswers(answers))


async def batch_endpoint(request: Request) -> Response:
    """``POST session-batches`` ``{"calls": [{"op": "claim", "pass", "session_id"} |
    {"op": "end", "pass_id", "reason"}, ...]}``: ``{"answers": [{"status", "body"}, ...]}`` in
    the order of the calls."""
    return await answer_of(request, _batch)
