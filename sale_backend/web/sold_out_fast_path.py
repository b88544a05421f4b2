"""Sold out, answered in front of the connector: no pass claim, no script call.

In a sell-out race nearly every request is a hold or an express checkout for a tier that has
nothing left. This pure-ASGI layer sits between the cross-site guard and the connector. For
``POST /api/v1/holds`` and ``POST /api/v1/checkout`` from a buyer whose pass or site session
verifies locally (:meth:`WaitroomConnector.buyer_without_claim`), it prices the request as the
handlers do and asks the process's stock view; a tier certainly sold out is answered here with
the very 409 ``sold-out`` problem the full path gives (a checkout only when its Idempotency-Key
has no record, so a retry of a request that ran still gets its own answer). Everything else (no
or bad credentials, bad input, a tier with tickets, a view that cannot be read) goes on to the
connector and the handlers unchanged, with the body it read.

A sold-out answer does not claim the pass: the refusal is the same for every buyer, and the
pass stays unused for when tickets come back.
"""

from __future__ import annotations

import time

import orjson
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Receive, Scope, Send

from sale_backend.domain.checkout import checked_idempotency_key, parse_checkout
from sale_backend.domain.fulfilment import Answer, error_answer
from sale_backend.domain.holds import parse_hold_request, sold_out_hold
from sale_backend.web.runtime import ShopRuntime
from service_kit.body_limit import read_body, replay_body, route_path
from service_kit.problems import PROBLEM_CONTENT_TYPE, WaitroomError
from waitroom.connector import WaitroomConnector

HOLDS_PATH = "/api/v1/holds"
CHECKOUT_PATH = "/api/v1/checkout"


class SoldOutFastPath:
    def __init__(self, app: ASGIApp, connector: WaitroomConnector) -> None:
        self.app = app
        self.connector = connector

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
            if path == HOLDS_PATH:
                answer = await self._hold_refusal(runtime, buyer, body)
            else:
                answer = await self._checkout_refusal(runtime, buyer, scope, body, started)
        except (WaitroomError, orjson.JSONDecodeError, RedisError, OSError):
            answer = None  # the full path gives its own answer (or error)
        if answer is None:
            await self.app(scope, replay_body(body, receive), send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": [
                    (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                    (b"content-length", str(len(answer.body)).encode()),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": answer.body})

    async def _hold_refusal(self, runtime: ShopRuntime, buyer: str, body: bytes) -> Answer | None:
        request = parse_hold_request(orjson.loads(body))
        event = await runtime.event(request.event_id)
        refused = await sold_out_hold(runtime.store, event, buyer, request, time.time())
        return None if refused is None else error_answer(refused)

    async def _checkout_refusal(
        self, runtime: ShopRuntime, buyer: str, scope: Scope, body: bytes, started: float
    ) -> Answer | None:
        key = checked_idempotency_key(_header(scope, b"idempotency-key"))
        request = parse_checkout(orjson.loads(body))
        if request.hold_request is None:
            return None
        event = await runtime.event(request.event_id)
        answer = await runtime.checkout.sold_out_answer(event, buyer, key, request)
        if answer is not None:
            runtime.record_checkout(event, answer, time.perf_counter() - started)
        return answer


def _header(scope: Scope, name: bytes) -> str | None:
    for header, value in scope["headers"]:
        if header == name:
            return str(value.decode("latin-1"))
    return None
