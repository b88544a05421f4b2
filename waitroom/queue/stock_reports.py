"""A site's stock report of one event (contract section 5): the :class:`StockReport` model.

``PUT /api/v1/connector/queues/{queue_id}/events/{event_id}/stock`` carries ``remaining``
(required), ``capacity``, ``sold``, ``held``, ``tiers``, ``sold_by_minute`` and ``version``
(all optional). Every problem raises :class:`InvalidInput` naming the field; unknown fields
are refused too, so a misspelt ``remainig`` is an answer, not a silent default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec

from service_kit.errors import InvalidInput
from service_kit.models import StrictModel, convert, decode_json, to_builtins
from waitroom.connector.stock_mark import StockMark

EVENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
TIER_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_COUNT = 2**31 - 1
"""Tickets of one event or tier (and a Lua number adds them up exactly)."""
MAX_TIERS = 64
MAX_TIER_NAME_CHARS = 200
MAX_SALES_MINUTES = 240
"""Minutes of sales one report may carry (a site that could not report for 4 hours)."""
MAX_SALES_PER_MINUTE = 1_000_000
MAX_UNIX_MINUTE = 2**40 // 60
MAX_VERSION = 2**53 - 1


Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT)]
SalesInMinute = Annotated[int, msgspec.Meta(ge=-MAX_SALES_PER_MINUTE, le=MAX_SALES_PER_MINUTE)]
UnixMinute = Annotated[int, msgspec.Meta(ge=0, le=MAX_UNIX_MINUTE)]


class TierStock(StrictModel):
    tier_id: Annotated[str, msgspec.Meta(pattern=TIER_ID_PATTERN.pattern)]
    remaining: Count
    name: Annotated[str, msgspec.Meta(max_length=MAX_TIER_NAME_CHARS)] = ""
    capacity: Count | None = None
    sold: Count | None = None
    held: Count | None = None


class StockReport(StrictModel):
    """One event's stock as the site reports it (docs/connector.md, section 5)."""

    remaining: Count
    capacity: Count | None = None
    sold: Count | None = None
    held: Count | None = None
    tiers: Annotated[list[TierStock], msgspec.Meta(max_length=MAX_TIERS)] = msgspec.field(
        default_factory=list
    )
    sold_by_minute: Annotated[
        dict[UnixMinute, SalesInMinute],
        msgspec.Meta(
            max_length=MAX_SALES_MINUTES,
            description="unix minute -> tickets sold since the last report (refunds < 0)",
        ),
    ] = msgspec.field(default_factory=dict)
    version: Annotated[int, msgspec.Meta(ge=0, le=MAX_VERSION)] | None = None
    """The site's own counter of stock changes: an older report never overwrites a newer one."""



class PurchaseStock(StrictModel):
    """The ``stock`` of a purchase's session end: the event sold in and the ``version`` of
    its stock (as the site's stock reports count versions) when the sale was made."""

    event_id: Annotated[str, msgspec.Meta(pattern=EVENT_ID_PATTERN.pattern)]
    version: Annotated[int, msgspec.Meta(ge=0, le=MAX_VERSION)]

    def mark(self) -> StockMark:
        return StockMark(self.event_id, self.version)


@dataclass(frozen=True, slots=True)
class EventStockReport:
    """A checked report and the event it is about (from the path)."""

    event_id: str
    report: StockReport

    @property
    def version(self) -> int | None:
        return self.report.version

    @property
    def sold_by_minute(self) -> tuple[tuple[int, int], ...]:
        """(unix minute, tickets sold in it since the last report; negative for refunds)."""
        sales = self.report.sold_by_minute.items()
        return tuple(sorted((minute, count) for minute, count in sales if count))

    def document(self, updated_at: float) -> dict[str, Any]:
        """The event's figures as the waiting room keeps them (without the sales)."""
        document: dict[str, Any] = {"event_id": self.event_id, **to_builtins(self.report)}
        document.pop("sold_by_minute", None)
        document["tiers"] = to_builtins(self.report.tiers)
        document["updated_at"] = round(updated_at, 3)
        return document


def checked_event_id(raw: object) -> str:
    event_id = str(raw)
    if not EVENT_ID_PATTERN.match(event_id):
        raise InvalidInput("an event id is 1-64 letters, digits, '_', '-' or '.'", field="event_id")
    return event_id


def checked_report(report: StockReport) -> StockReport:
    """What the model cannot say: remaining within capacity, each tier listed once."""
    if report.capacity is not None and report.remaining > report.capacity:
        raise InvalidInput('"remaining" cannot exceed "capacity"', field="remaining")
    seen: set[str] = set()
    for index, tier in enumerate(report.tiers):
        where = f"tiers[{index}]"
        if tier.tier_id in seen:
            raise InvalidInput(f"tier {tier.tier_id!r} is listed twice", field=f"{where}.tier_id")
        seen.add(tier.tier_id)
        if tier.capacity is not None and tier.remaining > tier.capacity:
            raise InvalidInput(
                f"{where}.remaining cannot exceed its capacity", field=f"{where}.remaining"
            )
    return report


def parse_stock_report(event_id: str, body: bytes | dict[str, Any]) -> EventStockReport:
    """The report of ``event_id`` in a JSON body (or its decoded object). Raises InvalidInput."""
    if isinstance(body, bytes):
        report = decode_json(body, StockReport)
    else:
        report = convert(body, StockReport)
    return EventStockReport(event_id, checked_report(report))
