"""JSON shapes of events and stock, shared by the API and the HTML pages."""

from __future__ import annotations

import time
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from sale_backend.domain.catalog import Event
from service_kit.errors import InvalidInput


def json_response(body: Any, status_code: int = 200) -> Response:
    payload = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(
        payload,
        status_code=status_code,
        media_type="application/json",
        headers={"cache-control": "no-store"},
    )


async def json_body(request: Request, required: bool = True) -> Any:
    """The JSON body (None when empty and not required). Its size was limited by the app's
    body limit layer (service_kit/body_limit.py) before any of it was read."""
    raw = await request.body()
    if not raw and not required:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidInput("the body is not valid JSON") from None


def event_view(
    event: Event, stock: dict[str, int], now_seconds: float | None = None
) -> dict[str, Any]:
    now = time.time() if now_seconds is None else now_seconds
    phase = event.active_phase(now)
    tiers = []
    for tier in event.tiers:
        prefix = f"tier:{tier.tier_id}:"
        tiers.append(
            {
                "tier_id": tier.tier_id,
                "name": tier.name,
                "kind": tier.kind,
                "price_minor": event.price_minor(tier, phase) if phase else tier.price_minor,
                "admits": tier.admits,
                "includes": tier.includes,
                "seated": tier.seated,
                "on_sale": phase is not None and phase.offers(tier.tier_id),
                "capacity": stock.get(prefix + "capacity", 0),
                "remaining": stock.get(prefix + "remaining", 0),
                "held": stock.get(prefix + "held", 0),
                "sold": stock.get(prefix + "sold", 0),
            }
        )
    return {
        "event_id": event.event_id,
        "queue_id": event.queue_id,
        "name": event.name,
        "venue": event.venue,
        "time_zone": event.time_zone,
        "starts_at": event.starts_at,
        "currency": event.currency,
        "max_tickets_per_order": event.max_tickets_per_order,
        "max_tickets_per_buyer": event.max_tickets_per_buyer,
        "phase": None
        if phase is None
        else {"phase_id": phase.phase_id, "name": phase.name, "ends_at": phase.ends_at},
        "phases": [
            {"phase_id": p.phase_id, "name": p.name, "starts_at": p.starts_at, "ends_at": p.ends_at}
            for p in event.phases
        ],
        "tiers": tiers,
        "sections": [
            {
                "section_id": section.section_id,
                "name": section.name,
                "tier_id": section.tier_id,
                "rows": [
                    {"row_id": row.row_id, "seats": len(row.seat_numbers)} for row in section.rows
                ],
            }
            for section in event.sections
        ],
        "sold_out": stock.get("capacity_total", 0) > 0
        and stock.get("sold_total", 0) >= stock.get("capacity_total", 0),
        **{
            name: stock.get(name, 0)
            for name in ("capacity_total", "remaining_total", "held_total", "sold_total")
        },
    }
