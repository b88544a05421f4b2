"""Sold out, answered in front of Starlette and the connector: no pass claim, no script call.

In a sell-out race nearly every request is a hold or an express checkout for a tier that has
nothing left. This pure-ASGI layer sits outside Starlette's own layers (its error middleware,
routing and the endpoint wrapper), behind the body limit, the browser security headers and the
cross-site guard (:class:`sale_backend.web.app.ShopApp` stacks them), so its answers carry
the same headers as the route's and it sees only requests the guard lets pass. For
``POST /api/v1/holds`` and ``POST /api/v1/checkout`` from a buyer whose pass or site session
verifies locally (:meth:`WaitroomConnector.buyer_without_claim`), it checks the request as the
handlers do (:func:`~sale_backend.domain.holds.check_selection`: their errors, no prices) and
asks the process's stock view; a tier certainly sold out is answered here with the very
response the route gives (:func:`~service_kit.problem_responses.error_response` for a hold,
:func:`~sale_backend.web.buyer_api.checkout_response` for a checkout, and that only when its
Idempotency-Key has no record, so a retry of a request that ran still gets its own answer),
built once per process per path, tier and tickets left.
Requests for a tier with tickets go on through the process's :class:`AttemptDoor` (about as
many at once as there are tickets left; the others wait for the view's next read, which
refuses or lets them through). A checkout's Idempotency-Key is looked up in the record names
the view read with the figures that refuse it (:meth:`StockView.recorded`), and asked of Redis
only when the view has not read them all. Everything else (no or bad credentials, bad input, a
view that cannot be read) goes on to the connector and the handlers unchanged, with the body
this layer read.

A sold-out answer does not claim the pass: the refusal is the same for every buyer, and the
pass stays unused for when tickets come back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from redis.exceptions import RedisError
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sale_backend.domain.catalog import Event
from sale_backend.domain.checkout import checked_idempotency_key, parse_checkout
from sale_backend.domain.fulfilment import Answer
from sale_backend.domain.holds import check_selection, parse_hold_request, sold_out_error
from sale_backend.domain.requests import CheckoutBody, HoldBody
from sale_backend.storage.keys import EventKeys
from sale_backend.storage.stock_view import Shortfall
from sale_backend.web.buyer_api import checkout_response
from sale_backend.web.runtime import ShopRuntime
from service_kit.body_limit import read_body, replay_body, route_path
from service_kit.errors import ServiceError
from service_kit.models import decode_json
from service_kit.problem_responses import error_response
from waitroom.connector import WaitroomConnector

HOLDS_PATH = "/api/v1/holds"
CHECKOUT_PATH = "/api/v1/checkout"


PREPARED_MAX = 256
"""Prepared refusals kept per process (one per path, tier and tickets left); past this the
store starts again (a tier's count of tickets left changes only so often)."""


@dataclass(frozen=True, slots=True)
class _Attempt:
    event: Event
    items: dict[str, int]
    """Tier -> tickets asked for (as checked; not priced: a refusal needs no prices)."""
    idempotency_key: str | None
    """A checkout's Redis key of its Idempotency-Key record; None for a hold."""


@dataclass(frozen=True, slots=True)
class _Refusal:
    """A sold-out answer as it goes out, built once per process by the route's own response
    functions (it is the same for every buyer of the tier)."""

    response: Response
    answer: Answer | None
    """A checkout's recorded answer (for its metrics); None for a hold."""


class SoldOutFastPath:
    def __init__(self, app: ASGIApp, connector: WaitroomConnector) -> None:
        self.app = app
        self.connector = connector
        self._prepared: dict[tuple[str, str, int], _Refusal] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        runtime = getattr(scope["app"].state, "shop", None)
        if path not in (HOLDS_PATH, CHECKOUT_PATH) or not isinstance(runtime, ShopRuntime):
            await self.app(scope, receive, send)
            return
        buyer = self.connector.buyer_without_claim(scope)
        if buyer is None:
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        if body is None:
            return  # the client went away
        started = time.perf_counter()
        try:
            attempt = await self._checked(runtime, path, buyer, scope, body)
            shortfall = None
            if attempt is not None:
                shortfall = await runtime.store.stock_view.shortfall(
                    attempt.event.event_id, attempt.items
                )
        except (ServiceError, RedisError, OSError):
            attempt = None  # the full path gives its own answer (or error)
        if attempt is None:
            await self.app(scope, replay_body(body, receive), send)
            return
        door = runtime.door
        event_id = attempt.event.event_id
        if shortfall is None:
            shortfall = await door.enter(event_id, attempt.items)
            if shortfall is None:
                try:
                    await self.app(scope, replay_body(body, receive), send)
                finally:
                    door.leave(event_id, attempt.items)
                return
        try:
            refusal = await self._refusal(runtime, path, attempt, shortfall)
        except (RedisError, OSError):
            refusal = None  # the full path reports the store's failure
        if refusal is None:  # or a checkout's key has a record: the full path replays its answer
            await self.app(scope, replay_body(body, receive), send)
            return
        if refusal.answer is not None:
            runtime.record_checkout(attempt.event, refusal.answer, time.perf_counter() - started)
        await refusal.response(scope, receive, send)

    async def _checked(
        self, runtime: ShopRuntime, path: str, buyer: str, scope: Scope, body: bytes
    ) -> _Attempt | None:
        """The request checked as its handler checks it before pricing (raises what the
        handler raises); None for a checkout of an existing hold (its tickets are held
        already)."""
        if path == HOLDS_PATH:
            hold_request = parse_hold_request(decode_json(body, HoldBody, empty=b"{}"))
            event = await runtime.event(hold_request.event_id)
            checked = check_selection(event, hold_request, time.time())
            return _Attempt(event, checked.items, None)
        key = checked_idempotency_key(_header(scope, b"idempotency-key"))
        request = parse_checkout(decode_json(body, CheckoutBody, empty=b"{}"))
        if request.hold_request is None:
            return None
        event = await runtime.event(request.event_id)
        checked = check_selection(event, request.hold_request, time.time())
        redis_key = EventKeys(event.event_id).idempotency(buyer, key)
        return _Attempt(event, checked.items, redis_key)

    async def _refusal(
        self, runtime: ShopRuntime, path: str, attempt: _Attempt, shortfall: Shortfall
    ) -> _Refusal | None:
        """The prepared refusal, or None when a checkout's Idempotency-Key has a record (as
        of the read that found the tier sold out, when it read the record log to its end)."""
        key = attempt.idempotency_key
        if key is not None and await runtime.checkout.answered_before(attempt.event.event_id, key):
            return None
        prepared_key = (path, shortfall.tier_id, shortfall.remaining)
        refusal = self._prepared.get(prepared_key)
        if refusal is None:
            if len(self._prepared) >= PREPARED_MAX:
                self._prepared.clear()
            refusal = self._prepared[prepared_key] = _prepare(runtime, path, shortfall)
        return refusal


def _prepare(runtime: ShopRuntime, path: str, shortfall: Shortfall) -> _Refusal:
    if path == HOLDS_PATH:  # the hold route raises this; the app answers so
        error = sold_out_error(shortfall.tier_id, shortfall.remaining)
        return _Refusal(error_response(error), None)
    answer = runtime.checkout.sold_out_of(shortfall)
    return _Refusal(checkout_response(answer), answer)


def _header(scope: Scope, name: bytes) -> str | None:
    for header, value in scope["headers"]:
        if header == name:
            return str(value.decode("latin-1"))
    return None
