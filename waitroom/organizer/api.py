"""Organizer JSON API: ``PUT``/``GET /api/v1/admin/queues/{queue_id}`` and the queue list."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from service_kit.request_body import read_json, read_query
from waitroom.admission import QueueSettings, QueueSnapshot
from waitroom.fan.session import checked_queue_id
from waitroom.organizer import audit
from waitroom.organizer.actions import update_queue
from waitroom.organizer.auth import require_admin
from waitroom.organizer.models import AuditQuery
from waitroom.protection.figures import protection_figures
from waitroom.queue.stock import stock_figures
from waitroom.web.runtime import runtime_of


def _json(body: dict[str, Any], status_code: int = 200) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status_code,
        media_type="application/json",
        headers={"cache-control": "no-store"},
    )


def queue_document(snapshot: QueueSnapshot, outflow_per_second: float) -> dict[str, Any]:
    config = snapshot.config
    document: dict[str, Any] = {
        "queue_id": snapshot.queue_id,
        "name": config.name_document,  # a string, or an object keyed by language
        "redirect_url": config.redirect_url,
        "pause_reason": config.pause_reason,
        "event_id": config.event_id,
        "active_shopper_cap": config.active_shopper_cap,
        "abandon_after_seconds": config.abandon_after_seconds,
        "away_grace_seconds": config.away_grace_seconds,
        "shuffle_seed_sha256": config.shuffle_seed_sha256,
    }
    if config.created_at is not None:
        document["created_at"] = config.created_at
    document.update(
        rate_per_minute=config.rate_per_minute,
        state=config.state.value,
        opens_at=config.opens_at,
        burst=config.burst,
        prequeue=not snapshot.opened,
        queue_length=snapshot.queue_length,
        prequeue_length=snapshot.prequeue_length,
        admitted_total=snapshot.serving,
        joined_total=snapshot.tail + snapshot.prequeue_length,
        serving_position=snapshot.serving,
        tail_position=snapshot.tail,
        epoch=snapshot.epoch,
        measured_outflow_per_minute=round(outflow_per_second * 60, 2),
    )
    if config.state.value == "sold_out":
        # a stock report reopens it (the organizer did not set sold_out themselves)
        document["sold_out_by_stock"] = config.sold_out_by_stock
    if snapshot.opened and config.shuffle_seed:
        # the commitment (sha256 of the seed) is public from creation; the seed after opening
        document["shuffle_seed"] = config.shuffle_seed
    return document


async def put_queue(request: Request) -> Response:
    runtime = runtime_of(request)
    actor = require_admin(request)
    queue_id = checked_queue_id(request.path_params["queue_id"])
    settings = await read_json(request, QueueSettings)
    created = await update_queue(runtime, queue_id, actor, settings)
    view = await runtime.views.get(queue_id)
    return _json(queue_document(view.snapshot, view.outflow_per_second), 201 if created else 200)


async def get_audit(request: Request) -> Response:
    runtime = runtime_of(request)
    require_admin(request)
    queue_id = checked_queue_id(request.path_params["queue_id"])
    limit = read_query(request, AuditQuery).limit
    entries = await audit.entries(runtime.redis, queue_id, limit)
    return _json({"queue_id": queue_id, "entries": entries})


async def get_queue(request: Request) -> Response:
    runtime = runtime_of(request)
    require_admin(request)
    queue_id = checked_queue_id(request.path_params["queue_id"])
    runtime.views.invalidate(queue_id)
    view = await runtime.views.get(queue_id)
    document = queue_document(view.snapshot, view.outflow_per_second)
    document.update(await protection_figures(runtime, queue_id))
    document["stock"] = await stock_figures(runtime.redis, queue_id)
    document["waitlist"] = await runtime.waitlist.figures(queue_id)
    return _json(document)


async def list_queues(request: Request) -> Response:
    runtime = runtime_of(request)
    require_admin(request)
    return _json({"queues": await runtime.store.queue_ids()})
