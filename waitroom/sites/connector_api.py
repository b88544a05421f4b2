"""The waiting room's side of the connector API (contract section 6).

``/api/v1/connector/queues/{queue_id}/sessions[/{pass_id}[/extend|/end|/profile]]``, the stock
per event (section 5) and the site's health (section 7), JSON in and out, site-authenticated
(``Authorization: Site <token>``, :class:`SiteAuth`); every error is an RFC 9457 problem body
whose type names the connector error (``pass-in-use``, ...), so the Python client maps it back
to the same class.
"""

from __future__ import annotations

import time
from typing import Any, Literal, cast

from starlette.requests import Request
from starlette.responses import Response

from service_kit.errors import InvalidInput
from service_kit.models import to_builtins
from service_kit.problem_responses import error_response
from service_kit.problems import error_status
from service_kit.request_body import model_response, read_json
from waitroom.connector.errors import ConnectorError
from waitroom.errors import QueueNotFound
from waitroom.fan import session as fan_session
from waitroom.fan.profile import load_profile
from waitroom.organizer.stock_actions import apply_report
from waitroom.queue.autotune_store import AutotuneStore
from waitroom.queue.pass_records import PASS_ID_PATTERN
from waitroom.queue.site_health import HealthReportBody, parse_health_report, store_report
from waitroom.queue.stock_reports import checked_event_id, parse_stock_report
from waitroom.sites.models import (
    Claim,
    Deadline,
    EndCall,
    Ended,
    Ending,
    Extension,
    HealthAccepted,
    Session,
    SessionState,
    SiteProfile,
    StockAnswer,
)
from waitroom.storage.keys import QueueKeys
from waitroom.web.runtime import Runtime, runtime_of

CONNECTOR_API = "/api/v1/connector/queues/{queue_id}"


def connector_problem(error: ConnectorError) -> Response:
    """A connector error as the connector API answers it (a refused site credential asks
    for ``Site`` credentials)."""
    headers = {"WWW-Authenticate": 'Site realm="waitroom"'} if error_status(error) == 401 else None
    return error_response(error, headers)


async def checked_site(request: Request) -> tuple[Runtime, str]:
    """The runtime and the queue id of a site-authenticated request (raises)."""
    runtime = runtime_of(request)
    queue_id = fan_session.checked_queue_id(request.path_params["queue_id"])
    runtime.site_auth.verify(request.headers.get("authorization"), queue_id)
    return runtime, queue_id


def _pass_id(request: Request) -> str:
    pass_id = str(request.path_params["pass_id"])
    if not PASS_ID_PATTERN.match(pass_id):
        raise InvalidInput("not a pass id", field="pass_id")
    return pass_id


async def answer_of(request: Request, step: Any) -> Response:
    try:
        try:
            return await step(request)  # type: ignore[no-any-return]
        except QueueNotFound:
            if not await _restored(request):
                raise
            return await step(request)  # type: ignore[no-any-return]
    except ConnectorError as error:
        return connector_problem(error)


async def _restored(request: Request) -> bool:
    """The store does not know the queue: True when this process's view proves it existed and
    the state guard put it back (Redis lost its data; waitroom/queue/state_guard.py), so the
    site's call is answered as before the loss instead of "queue not found"."""
    runtime = runtime_of(request)
    queue_id = fan_session.checked_queue_id(request.path_params["queue_id"])
    return not await runtime.views.confirm_missing(queue_id)


async def claim_session(
    runtime: Runtime, queue_id: str, pass_token: str, session_id: str
) -> tuple[Session, int]:
    """Bind a pass to a site session: the answer and its status (201 bound now, 200 already
    this one's); the claim endpoint's and a batch's step."""
    claims = runtime.passes.verify(pass_token, queue_id)
    claimed = await runtime.sessions.claim(claims, session_id, time.time())
    answer = Session(claims.pass_id, session_id, claimed.deadline, claims.visitor_hash)
    return answer, 201 if claimed.created else 200


async def end_session(
    runtime: Runtime, queue_id: str, pass_id: str, ending: Ending | EndCall
) -> Ended:
    """End a session (idempotent); the end endpoint's and a batch's step."""
    stock = None if ending.stock is None else ending.stock.mark()
    await runtime.sessions.end(queue_id, pass_id, ending.reason, time.time(), stock)
    return Ended(True)


async def _claim(request: Request) -> Response:
    runtime, queue_id = await checked_site(request)
    claim = await read_json(request, Claim)
    answer, status = await claim_session(runtime, queue_id, claim.pass_, claim.session_id)
    return model_response(answer, status)


async def _state(request: Request) -> Response:
    runtime, queue_id = await checked_site(request)
    view = await runtime.sessions.view(queue_id, _pass_id(request), time.time())
    state = cast(Literal["active", "ended", "expired"], view.state)
    return model_response(SessionState(state, view.deadline, view.reason or None))


async def _extend(request: Request) -> Response:
    runtime, queue_id = await checked_site(request)
    pass_id = _pass_id(request)
    until = (await read_json(request, Extension)).until
    deadline = await runtime.sessions.extend(queue_id, pass_id, until, time.time())
    return model_response(Deadline(deadline))


async def _end(request: Request) -> Response:
    runtime, queue_id = await checked_site(request)
    pass_id = _pass_id(request)
    ending = await read_json(request, Ending)
    return model_response(await end_session(runtime, queue_id, pass_id, ending))


async def _profile(request: Request) -> Response:
    runtime, queue_id = await checked_site(request)
    visitor_id = await runtime.sessions.visitor_of(queue_id, _pass_id(request))
    profile = (
        None if visitor_id is None else await load_profile(runtime.redis, queue_id, visitor_id)
    )
    return model_response(SiteProfile(to_builtins(profile.document()) if profile else {}))


async def _stock(request: Request) -> Response:
    runtime, queue_id = await checked_site(request)
    event_id = checked_event_id(request.path_params["event_id"])
    report = parse_stock_report(event_id, await request.body() or b"{}")
    outcome = await apply_report(runtime, queue_id, report)
    answer = StockAnswer(outcome.queue_state, outcome.remaining_total, outcome.stale or None)
    return model_response(answer)


async def _health(request: Request) -> Response:
    runtime, queue_id = await checked_site(request)
    report = parse_health_report(await read_json(request, HealthReportBody))
    if not await runtime.redis.exists(QueueKeys(queue_id).config):
        raise QueueNotFound(queue_id)
    await store_report(runtime.redis, queue_id, report)
    autotune = await AutotuneStore(runtime.redis).settings(queue_id)
    return model_response(HealthAccepted(accepted=True, autotune=autotune.enabled))


async def claim_endpoint(request: Request) -> Response:
    """``POST sessions`` ``{"pass", "session_id"}``: 201 bound now, 200 already this one's."""
    return await answer_of(request, _claim)


async def state_endpoint(request: Request) -> Response:
    """``GET sessions/{pass_id}``: ``{"state": "active"|"ended"|"expired", "deadline"}``."""
    return await answer_of(request, _state)


async def extend_endpoint(request: Request) -> Response:
    """``POST sessions/{pass_id}/extend`` ``{"until"}``: the granted deadline."""
    return await answer_of(request, _extend)


async def end_endpoint(request: Request) -> Response:
    """``POST sessions/{pass_id}/end`` ``{"reason", "stock"}`` (both optional): idempotent."""
    return await answer_of(request, _end)


async def profile_endpoint(request: Request) -> Response:
    """``GET sessions/{pass_id}/profile``: the fan's pre-checkout profile ({} when none)."""
    return await answer_of(request, _profile)


async def stock_endpoint(request: Request) -> Response:
    """``PUT events/{event_id}/stock``: one event's figures; ``{"queue_state",
    "remaining_total"}`` (the queue's state after the report, and stock over all its events)."""
    return await answer_of(request, _stock)


async def health_endpoint(request: Request) -> Response:
    """``PUT health``: one site process's recent latency and errors per operation (section 7);
    ``{"accepted": true, "autotune": bool}``."""
    return await answer_of(request, _health)
