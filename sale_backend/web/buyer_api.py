"""The buyer's JSON API: events, holds and checkout behind the connector (a shopping session);
orders and refunds by their order link's access key (``?access=``, the order's
``access_key``), since the session ends with the purchase."""

from __future__ import annotations

import time
from typing import cast

import orjson
from starlette.requests import Request
from starlette.responses import Response

from sale_backend.domain.checkout import checked_idempotency_key, parse_checkout
from sale_backend.domain.documents import BuyerProfile, Events, Seats, SeatState
from sale_backend.domain.fulfilment import Answer
from sale_backend.domain.holds import cancel_hold, create_hold, load_hold, parse_hold_request
from sale_backend.domain.order_links import ACCESS_PARAMETER
from sale_backend.domain.orders import load_order, public_order
from sale_backend.domain.refunds import parse_ticket_ids
from sale_backend.domain.requests import CheckoutBody, HoldBody, RefundBody
from sale_backend.storage.keys import event_of
from sale_backend.web.language import api_client_language, shop_language
from sale_backend.web.runtime import buyer_of, session_of, shop_runtime
from sale_backend.web.views import event_view, json_response
from service_kit.models import decode_json
from service_kit.problem_responses import problem_response
from service_kit.request_body import read_json


async def list_events(request: Request) -> Response:
    runtime = shop_runtime(request)
    language = shop_language(request).code
    return json_response(Events(await runtime.event_views(language)))


async def get_event(request: Request) -> Response:
    runtime = shop_runtime(request)
    event = await runtime.event(request.path_params["event_id"])
    language = shop_language(request).code
    stock = await runtime.store.stock(event.event_id)
    return json_response(event_view(event, stock, language=language))


async def get_seats(request: Request) -> Response:
    runtime = shop_runtime(request)
    event = await runtime.event(request.path_params["event_id"])
    seats = await runtime.store.seat_states(event.event_id)
    return json_response(Seats(event.event_id, cast(dict[str, SeatState], seats)))


async def get_profile(request: Request) -> Response:
    runtime = shop_runtime(request)
    await runtime.event(request.path_params["event_id"])  # 404 for another queue's event
    return json_response(BuyerProfile(await runtime.profile(session_of(request))))


async def post_hold(request: Request) -> Response:
    runtime = shop_runtime(request)
    hold_request = parse_hold_request(await read_json(request, HoldBody))
    event = await runtime.event(hold_request.event_id)
    hold = await create_hold(
        runtime.store,
        event,
        buyer_of(request),
        hold_request,
        runtime.settings.hold_ttl_seconds,
        time.time(),
    )
    runtime.reporter.changed(event)
    await runtime.cart_held(session_of(request), hold)
    return json_response(hold.view(int(time.time() * 1000)), 201)


async def get_hold(request: Request) -> Response:
    runtime = shop_runtime(request)
    hold = await load_hold(runtime.store, request.path_params["hold_id"], buyer_of(request))
    return json_response(hold.view(int(time.time() * 1000)))


async def delete_hold(request: Request) -> Response:
    runtime = shop_runtime(request)
    hold_id = request.path_params["hold_id"]
    await cancel_hold(runtime.store, hold_id, buyer_of(request))
    runtime.reporter.changed(await runtime.event(event_of(hold_id, "hold")))
    return Response(status_code=204, headers={"cache-control": "no-store"})


async def post_checkout(request: Request) -> Response:
    runtime = shop_runtime(request)
    buyer = buyer_of(request)
    key = checked_idempotency_key(request.headers.get("idempotency-key"))
    raw = await request.body()
    checkout_request = parse_checkout(
        decode_json(raw, CheckoutBody, empty=b"{}"), api_client_language(request)
    )
    body = orjson.loads(raw)  # the idempotency key is bound to the body as sent
    event = await runtime.event(checkout_request.event_id)
    started = time.perf_counter()
    answer = await runtime.checkout.checkout(event, buyer, key, checkout_request, body)
    runtime.record_checkout(event, answer, time.perf_counter() - started)
    if answer.created and not answer.replayed:
        await runtime.purchase_completed(session_of(request), event, answer)
    return checkout_response(answer)


def checkout_response(answer: Answer) -> Response:
    """A checkout's answer as it goes out (the route's and the sold-out fast path's)."""
    media_type = "application/json" if answer.status < 400 else "application/problem+json"
    headers = {"cache-control": "no-store"}
    if answer.replayed:
        headers["idempotent-replayed"] = "true"
    if answer.status == 504:
        headers["retry-after"] = "1"
    return Response(answer.body, answer.status, headers=headers, media_type=media_type)


async def get_order(request: Request) -> Response:
    runtime = shop_runtime(request)
    order = await load_order(runtime.store, request.path_params["order_id"], None)
    runtime.links.check(order, request.query_params.get(ACCESS_PARAMETER))
    return json_response(public_order(order, runtime.codes, runtime.links))


async def post_refund(request: Request) -> Response:
    runtime = shop_runtime(request)
    order_id = request.path_params["order_id"]
    ticket_ids = parse_ticket_ids(await read_json(request, RefundBody))
    event = await runtime.event(event_of(order_id, "order"))
    order = await load_order(runtime.store, order_id, None)
    runtime.links.check(order, request.query_params.get(ACCESS_PARAMETER))
    record = await runtime.refunds.refund(event, order_id, ticket_ids, order.buyer)
    runtime.metrics.tickets_refunded.labels(event.event_id).inc(len(record.ticket_ids))
    return json_response(record, 200)


async def not_found(request: Request) -> Response:
    return problem_response(404, "Not found", "no such shop resource", "not-found")
