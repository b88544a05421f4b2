"""Fan receipts over HTTP: ``GET /api/v1/queues/{id}/receipt``, ``POST .../receipts/verify`` and
the page ``GET /q/{id}/receipt`` (linked from the queue page)."""

from __future__ import annotations

from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from service_kit.errors import ServiceError
from service_kit.request_body import model_response, read_json
from waitroom.fan import session as fan_session
from waitroom.fan.models import Receipt, ReceiptCheck, ReceiptToCheck
from waitroom.fan.page_context import error_page
from waitroom.fan.receipts import ReceiptCodec, receipt_claims
from waitroom.storage.keys import QueueKeys
from waitroom.web.runtime import Runtime, runtime_of


async def signed_receipt(runtime: Runtime, request: Request, queue_id: str) -> Receipt:
    claims, _ = fan_session.verify_for_status(runtime.codec, request, queue_id)
    answer = await fan_session.status(runtime, claims)
    claims = answer.claims
    view = await runtime.views.get(queue_id)
    base_raw, size_raw = await runtime.redis.hmget(
        QueueKeys(queue_id).counters, "prequeue_base", "prequeue_size"
    )
    base, size = int(base_raw or 0), int(size_raw or 0)
    from_prequeue = claims.position == 0 or base < claims.position <= base + size
    receipt = receipt_claims(claims, view.snapshot, from_prequeue)
    return Receipt(
        receipt=receipt,
        signed=ReceiptCodec(runtime.settings.secret_keys).sign(receipt),
        publication_url=f"/api/v1/queues/{queue_id}/prequeue",
    )


async def receipt_endpoint(request: Request) -> Response:
    runtime = runtime_of(request)
    queue_id = fan_session.checked_queue_id(request.path_params["queue_id"])
    body = await signed_receipt(runtime, request, queue_id)
    return model_response(body)


async def verify_receipt_endpoint(request: Request) -> Response:
    runtime = runtime_of(request)
    fan_session.checked_queue_id(request.path_params["queue_id"])
    presented = await read_json(request, ReceiptToCheck)
    receipt = ReceiptCodec(runtime.settings.secret_keys).verify(presented.signed)
    matches = receipt.get("queue_id") == request.path_params["queue_id"]
    return model_response(ReceiptCheck(valid=matches, receipt=receipt))


async def receipt_page(request: Request) -> Response:
    runtime = runtime_of(request)
    environment: Environment = request.app.state.templates
    try:
        queue_id = fan_session.checked_queue_id(request.path_params["queue_id"])
        body = await signed_receipt(runtime, request, queue_id)
    except ServiceError as error:
        return error_page(request, error)
    html = environment.get_template("receipt.html").render(
        request=request,
        queue_id=queue_id,
        receipt=body.receipt,
        signed=body.signed,
        publication_url=body.publication_url,
    )
    return HTMLResponse(html, headers={"cache-control": "no-store"})
