"""Holds: selected tickets or seats, taken from stock for a limited time (the cart timer).

A hold is created by one Lua script that checks stock, seat states and the buyer's limit and
moves tickets to ``held`` atomically. It expires on the Redis clock; expired holds go back to
stock (swept in the background and before every hold/payment script). The hold id is the
fencing token: only a live hold can be confirmed into an order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from sale_backend.domain.catalog import Event
from sale_backend.errors import (
    BuyerLimitReached,
    HoldNotFound,
    PaymentInProgress,
    SaleNotOpen,
    SeatTaken,
    SoldOut,
)
from sale_backend.storage.keys import event_of, is_valid_event_id, new_id
from sale_backend.storage.store import SaleStore
from service_kit.errors import InvalidInput

MAX_LINES = 50


@dataclass(frozen=True, slots=True)
class HoldRequest:
    event_id: str
    quantities: dict[str, int]
    seats: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Hold:
    hold_id: str
    event_id: str
    data: dict[str, Any]
    expires_at_ms: int

    @property
    def buyer(self) -> str:
        return str(self.data["buyer"])

    def to_dict(self, now_ms: int) -> dict[str, Any]:
        return {
            "hold_id": self.hold_id,
            "event_id": self.event_id,
            "items": self.data["items"],
            "seats": self.data["seats"],
            "lines": self.data["lines"],
            "tickets": self.data["units"],
            "amount_minor": self.data["amount_minor"],
            "currency": self.data["currency"],
            "phase_id": self.data["phase_id"],
            "expires_at_ms": self.expires_at_ms,
            "expires_in_seconds": max(0, (self.expires_at_ms - now_ms) // 1000),
        }


def _quantity(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
        raise InvalidInput("quantity must be an integer between 0 and 100", field="quantity")
    return value


def parse_hold_request(data: Any) -> HoldRequest:
    """``{"event_id", "items": [{"tier_id", "quantity"}] | {"tier": n}, "seats": [...]}``."""
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object")
    event_id = data.get("event_id")
    if not isinstance(event_id, str) or not is_valid_event_id(event_id):
        raise InvalidInput("event_id is missing or not valid", field="event_id")
    raw_items = data.get("items", [])
    quantities: dict[str, int] = {}
    if isinstance(raw_items, dict):
        raw_items = [{"tier_id": key, "quantity": value} for key, value in raw_items.items()]
    if not isinstance(raw_items, list) or len(raw_items) > MAX_LINES:
        raise InvalidInput("items must be a list of {tier_id, quantity}", field="items")
    for item in raw_items:
        if not isinstance(item, dict) or not isinstance(item.get("tier_id"), str):
            raise InvalidInput("every item needs a tier_id and a quantity", field="items")
        tier_id = item["tier_id"][:64]
        quantities[tier_id] = quantities.get(tier_id, 0) + _quantity(item.get("quantity"))
    seats = data.get("seats", [])
    if not isinstance(seats, list) or len(seats) > MAX_LINES:
        raise InvalidInput("seats must be a list of seat ids", field="seats")
    if not all(isinstance(seat, str) and len(seat) <= 100 for seat in seats):
        raise InvalidInput("seats must be a list of seat ids", field="seats")
    if len(set(seats)) != len(seats):
        raise InvalidInput("a seat is listed twice", field="seats")
    return HoldRequest(
        event_id,
        {tier: count for tier, count in quantities.items() if count > 0},
        tuple(seats),
    )


def price_hold(
    event: Event, buyer: str, request: HoldRequest, now_seconds: float
) -> dict[str, Any]:
    """Check the request against the catalog and phase; returns the hold JSON document."""
    phase = event.active_phase(now_seconds)
    if phase is None:
        raise SaleNotOpen("no sale phase is open for this event now", event_id=event.event_id)
    seat_tiers = event.seat_tiers()
    lines: list[dict[str, Any]] = []
    for tier_id, quantity in request.quantities.items():
        tier = event.tier(tier_id)
        if tier is None:
            raise InvalidInput(f"unknown tier {tier_id!r}", field="items")
        if tier.seated:
            raise InvalidInput(f"tier {tier_id!r} is seated: choose seats", field="items")
        lines += [{"tier_id": tier_id, "seat_id": ""} for _ in range(quantity)]
    for seat in request.seats:
        if seat not in seat_tiers:
            raise InvalidInput(f"unknown seat {seat!r}", field="seats")
        lines.append({"tier_id": seat_tiers[seat], "seat_id": seat})
    if not lines:
        raise InvalidInput("choose at least one ticket", field="items")
    if len(lines) > event.max_tickets_per_order:
        raise InvalidInput(
            f"at most {event.max_tickets_per_order} tickets per order", field="items"
        )
    items: dict[str, int] = {}
    for line in lines:
        tier = event.tier(line["tier_id"])
        assert tier is not None
        if not phase.offers(tier.tier_id):
            raise SaleNotOpen(f"{tier.name} is not on sale in the {phase.name} phase")
        line["price_minor"] = event.price_minor(tier, phase)
        items[tier.tier_id] = items.get(tier.tier_id, 0) + 1
    return {
        "buyer": buyer,
        "items": items,
        "seats": list(request.seats),
        "lines": lines,
        "units": len(lines),
        "amount_minor": sum(line["price_minor"] for line in lines),
        "currency": event.currency,
        "phase_id": phase.phase_id,
    }


async def create_hold(
    store: SaleStore,
    event: Event,
    buyer: str,
    request: HoldRequest,
    ttl_seconds: int,
    now_seconds: float,
) -> Hold:
    document = price_hold(event, buyer, request, now_seconds)
    hold_id = new_id(event.event_id, "h")
    answer = await store.run(
        "hold",
        event.event_id,
        [hold_id, orjson.dumps(document), ttl_seconds * 1000, event.max_tickets_per_buyer],
    )
    outcome = answer[0]
    if outcome == "ok":
        return Hold(hold_id, event.event_id, document, int(answer[1]))
    if outcome == "sold_out":
        raise SoldOut(
            f"not enough tickets left in tier {answer[1]}",
            tier_id=answer[1],
            remaining=int(answer[2]),
        )
    if outcome == "seat_taken":
        raise SeatTaken(f"seat {answer[1]} is no longer free", seat_id=answer[1])
    if outcome == "limit":
        raise BuyerLimitReached(
            f"at most {event.max_tickets_per_buyer} tickets per buyer for this event",
            limit=event.max_tickets_per_buyer,
            already=int(answer[1]),
        )
    raise InvalidInput(f"unknown tier {answer[1]!r}", field="items")


async def load_hold(store: SaleStore, hold_id: Any, buyer: str) -> Hold:
    event_id = event_of(hold_id, "hold")
    found = await store.hold(event_id, hold_id)
    if found is None or found[0].get("buyer") != buyer:
        raise HoldNotFound("this hold does not exist or has expired", hold_id=hold_id)
    return Hold(hold_id, event_id, found[0], found[1])


async def cancel_hold(store: SaleStore, hold_id: Any, buyer: str) -> None:
    event_id = event_of(hold_id, "hold")
    answer = await store.run("release", event_id, ["cancel", hold_id, buyer])
    if answer[0] == "missing":
        raise HoldNotFound("this hold does not exist or has expired", hold_id=hold_id)
    if answer[0] == "paying":
        raise PaymentInProgress("this hold is being paid", hold_id=hold_id)
