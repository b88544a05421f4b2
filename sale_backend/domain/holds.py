"""Holds: selected tickets or seats, taken from stock for a limited time (the cart timer).

A hold is created by one Lua script that checks stock, seat states and the buyer's limit and
moves tickets to ``held`` atomically. It expires on the Redis clock; expired holds go back to
stock (swept in the background and before every hold/payment script). The hold id is the
fencing token: only a live hold can be confirmed into an order.

A tier that the process's stock view (:mod:`sale_backend.storage.stock_view`) knows to be sold
out is refused before the script is asked (:func:`sold_out_refusal`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sale_backend.domain.catalog import Event, Phase
from sale_backend.domain.documents import HoldData, HoldLine, HoldView
from sale_backend.domain.records import stored_hold
from sale_backend.domain.requests import HoldBody, Items
from sale_backend.errors import (
    BuyerLimitReached,
    HoldNotFound,
    PaymentInProgress,
    SaleNotOpen,
    SeatTaken,
    SoldOut,
)
from sale_backend.storage.keys import event_of, new_id
from sale_backend.storage.scripts import Answer, ScriptCall
from sale_backend.storage.store import SaleStore
from service_kit.errors import InvalidInput
from service_kit.models import convert, encode


@dataclass(frozen=True, slots=True)
class HoldRequest:
    event_id: str
    quantities: dict[str, int]
    seats: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Hold:
    hold_id: str
    event_id: str
    data: HoldData
    expires_at_ms: int

    @property
    def buyer(self) -> str:
        return self.data.buyer

    def view(self, now_ms: int) -> HoldView:
        return HoldView(
            hold_id=self.hold_id,
            event_id=self.event_id,
            items=self.data.items,
            seats=self.data.seats,
            lines=self.data.lines,
            tickets=self.data.units,
            amount_minor=self.data.amount_minor,
            currency=self.data.currency,
            phase_id=self.data.phase_id,
            expires_at_ms=self.expires_at_ms,
            expires_in_seconds=max(0, (self.expires_at_ms - now_ms) // 1000),
        )


def parse_hold_request(body: HoldBody | Mapping[str, Any]) -> HoldRequest:
    """The selection of a hold body (its types checked by the model): quantities per tier
    (a tier listed twice adds up; zero quantities dropped) and distinct seats."""
    data = body if isinstance(body, HoldBody) else convert(dict(body), HoldBody)
    return selection(data.event_id, data.items, data.seats)


def selection(event_id: str, items: Items, seats: list[str]) -> HoldRequest:
    lines = items.items() if isinstance(items, dict) else ((i.tier_id, i.quantity) for i in items)
    quantities: dict[str, int] = {}
    for tier_id, quantity in lines:
        quantities[tier_id] = quantities.get(tier_id, 0) + quantity
    if len(set(seats)) != len(seats):
        raise InvalidInput("a seat is listed twice", field="seats")
    return HoldRequest(
        event_id,
        {tier: count for tier, count in quantities.items() if count > 0},
        tuple(seats),
    )


@dataclass(frozen=True, slots=True)
class CheckedSelection:
    """A selection checked against the catalog and the open phase, not yet priced."""

    phase: Phase
    chosen: list[tuple[str, str]]
    """(tier, seat or "") per ticket, in the order asked."""
    items: dict[str, int]
    """Tier -> tickets."""


def check_selection(event: Event, request: HoldRequest, now_seconds: float) -> CheckedSelection:
    """Check the request against the catalog and phase (raises what :func:`price_hold`
    raises, in the same order); what the stock decides on, without the prices."""
    phase = event.active_phase(now_seconds)
    if phase is None:
        raise SaleNotOpen("no sale phase is open for this event now", event_id=event.event_id)
    chosen: list[tuple[str, str]] = []
    for tier_id, quantity in request.quantities.items():
        tier = event.tier(tier_id)
        if tier is None:
            raise InvalidInput(f"unknown tier {tier_id!r}", field="items")
        if tier.seated:
            raise InvalidInput(f"tier {tier_id!r} is seated: choose seats", field="items")
        chosen += [(tier_id, "")] * quantity
    if request.seats:
        seat_tiers = event.seat_tiers()
        for seat in request.seats:
            if seat not in seat_tiers:
                raise InvalidInput(f"unknown seat {seat!r}", field="seats")
            chosen.append((seat_tiers[seat], seat))
    if not chosen:
        raise InvalidInput("choose at least one ticket", field="items")
    if len(chosen) > event.max_tickets_per_order:
        raise InvalidInput(
            f"at most {event.max_tickets_per_order} tickets per order", field="items"
        )
    items: dict[str, int] = {}
    for tier_id, _seat in chosen:
        if tier_id not in items:
            tier = event.tier(tier_id)
            assert tier is not None
            if not phase.offers(tier_id):
                raise SaleNotOpen(f"{tier.name} is not on sale in the {phase.name} phase")
            items[tier_id] = 0
        items[tier_id] += 1
    return CheckedSelection(phase, chosen, items)


def price_hold(event: Event, buyer: str, request: HoldRequest, now_seconds: float) -> HoldData:
    """Check the request against the catalog and phase (:func:`check_selection`) and price
    it; returns the hold document."""
    checked = check_selection(event, request, now_seconds)
    phase = checked.phase
    lines: list[HoldLine] = []
    for tier_id, seat_id in checked.chosen:
        tier = event.tier(tier_id)
        assert tier is not None
        lines.append(HoldLine(tier_id, seat_id, event.price_minor(tier, phase)))
    return HoldData(
        buyer=buyer,
        items=checked.items,
        seats=list(request.seats),
        lines=lines,
        units=len(lines),
        amount_minor=sum(line.price_minor for line in lines),
        currency=event.currency,
        phase_id=phase.phase_id,
    )


async def sold_out_refusal(store: SaleStore, event: Event, document: HoldData) -> SoldOut | None:
    """The refusal of a priced hold (:func:`price_hold`) whose tier the stock view knows to
    be sold out (no script call), or None when the hold script must decide."""
    shortfall = await store.stock_view.shortfall(event.event_id, document.items)
    if shortfall is None:
        return None
    return sold_out_error(shortfall.tier_id, shortfall.remaining)


def sold_out_error(tier_id: str, remaining: int) -> SoldOut:
    return SoldOut(
        f"not enough tickets left in tier {tier_id}", tier_id=tier_id, remaining=remaining
    )


def hold_call(
    store: SaleStore, event: Event, hold_id: str, document: HoldData, ttl_seconds: int
) -> ScriptCall:
    """The hold script's call for a priced hold."""
    return store.scripts.hold_call(
        event.event_id,
        hold_id,
        encode(document),
        ttl_seconds * 1000,
        event.max_tickets_per_buyer,
    )


def held(event: Event, hold_id: str, document: HoldData, answer: Answer) -> Hold:
    """The hold the script's answer made, or the refusal it gave."""
    outcome = answer[0]
    if outcome == "ok":
        return Hold(hold_id, event.event_id, document, int(answer[1]))
    if outcome == "sold_out":
        raise sold_out_error(answer[1], int(answer[2]))
    if outcome == "seat_taken":
        raise SeatTaken(f"seat {answer[1]} is no longer free", seat_id=answer[1])
    if outcome == "limit":
        raise BuyerLimitReached(
            f"at most {event.max_tickets_per_buyer} tickets per buyer for this event",
            limit=event.max_tickets_per_buyer,
            already=int(answer[1]),
        )
    raise InvalidInput(f"unknown tier {answer[1]!r}", field="items")


async def create_hold(
    store: SaleStore,
    event: Event,
    buyer: str,
    request: HoldRequest,
    ttl_seconds: int,
    now_seconds: float,
) -> Hold:
    document = price_hold(event, buyer, request, now_seconds)
    refused = await sold_out_refusal(store, event, document)
    if refused is not None:
        raise refused
    hold_id = new_id(event.event_id, "h")
    (answer,) = await store.scripts.together(
        [hold_call(store, event, hold_id, document, ttl_seconds)]
    )
    return held(event, hold_id, document, answer)


async def load_hold(store: SaleStore, hold_id: Any, buyer: str) -> Hold:
    event_id = event_of(hold_id, "hold")
    found = await stored_hold(store, event_id, hold_id)
    if found is None or found[0].buyer != buyer:
        raise HoldNotFound("this hold does not exist or has expired", hold_id=hold_id)
    return Hold(hold_id, event_id, found[0], found[1])


async def cancel_hold(store: SaleStore, hold_id: Any, buyer: str) -> None:
    event_id = event_of(hold_id, "hold")
    outcome = await store.scripts.release_hold(event_id, hold_id, buyer)
    if outcome == "missing":
        raise HoldNotFound("this hold does not exist or has expired", hold_id=hold_id)
    if outcome == "paying":
        raise PaymentInProgress("this hold is being paid", hold_id=hold_id)
