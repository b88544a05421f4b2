"""Staff JSON API (outside the gate, bearer staff token): entry scans, refunds, event setup."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from sale_backend.catalog_parsing import parse_event
from sale_backend.keys import event_of
from sale_backend.orders import load_order, public_order
from sale_backend.refunds import parse_ticket_ids
from sale_backend.runtime import shop_runtime
from sale_backend.views import event_view, json_body, json_response
from waitroom.admin_throttle import bearer_accepted, client_address, throttle_of
from waitroom.fan_session import bearer_token
from waitroom.problems import InvalidInput, NotAuthenticated


def require_staff(request: Request) -> None:
    """A staff bearer token; wrong guesses are throttled per address like the admin token's."""
    presented = bearer_token(request)
    if presented is None:
        raise NotAuthenticated("staff bearer token required")
    settings = shop_runtime(request).settings
    address = client_address(request, settings.base.trusted_proxy_count)
    if not bearer_accepted(throttle_of(request, "staff"), address, presented, settings.staff_token):
        raise NotAuthenticated("staff token not accepted")


async def post_scan(request: Request) -> Response:
    require_staff(request)
    runtime = shop_runtime(request)
    body = await json_body(request)
    if not isinstance(body, dict):
        raise InvalidInput('the body must be {"code": ...}')
    return json_response(await runtime.scan(body.get("code")))


async def post_refund(request: Request) -> Response:
    require_staff(request)
    runtime = shop_runtime(request)
    order_id = request.path_params["order_id"]
    ticket_ids = parse_ticket_ids(await json_body(request, required=False))
    event = await runtime.event(event_of(order_id, "order"), any_queue=True)
    record = await runtime.refunds.refund(event, order_id, ticket_ids, None)
    runtime.metrics.tickets_refunded.labels(event.event_id).inc(len(record["ticket_ids"]))
    return json_response(record)


async def get_metrics(request: Request) -> Response:
    require_staff(request)
    payload, content_type = shop_runtime(request).metrics.exposition()
    return Response(payload, media_type=content_type, headers={"cache-control": "no-store"})


async def get_order(request: Request) -> Response:
    require_staff(request)
    runtime = shop_runtime(request)
    order = await load_order(runtime.store, request.path_params["order_id"], None)
    return json_response(public_order(order, runtime.codes, runtime.links))


async def put_event(request: Request) -> Response:
    require_staff(request)
    runtime = shop_runtime(request)
    event_id = request.path_params["event_id"]
    body = await json_body(request)
    event = parse_event(event_id, body)
    answer = await runtime.store.define_event(event, body)
    if answer[0] != "ok":
        raise InvalidInput(
            f"tier {answer[1]} cannot shrink below the tickets already held or sold",
            field="capacity",
        )
    runtime.forget_event(event_id)
    runtime.reporter.changed(event)
    return json_response(event_view(event, await runtime.store.stock(event_id)), 200)


async def get_event(request: Request) -> Response:
    require_staff(request)
    runtime = shop_runtime(request)
    event = await runtime.event(request.path_params["event_id"], any_queue=True)
    return json_response(event_view(event, await runtime.store.stock(event.event_id)))
