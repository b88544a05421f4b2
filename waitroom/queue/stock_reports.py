"""A site's stock report of one event (contract section 5), checked field by field.

``PUT /api/v1/connector/queues/{queue_id}/events/{event_id}/stock`` carries ``remaining``
(required), ``capacity``, ``sold``, ``held``, ``tiers``, ``sold_by_minute`` and ``version``
(all optional). Every problem raises :class:`InvalidInput` naming the field; unknown fields
are refused too, so a misspelt ``remainig`` is an answer, not a silent default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from service_kit.errors import InvalidInput

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
FIELDS = ("remaining", "capacity", "sold", "held", "tiers", "sold_by_minute", "version")
TIER_FIELDS = ("tier_id", "name", "remaining", "capacity", "sold", "held")


@dataclass(frozen=True, slots=True)
class TierStock:
    tier_id: str
    name: str
    remaining: int
    capacity: int | None
    sold: int | None
    held: int | None

    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = {"tier_id": self.tier_id, "remaining": self.remaining}
        if self.name:
            document["name"] = self.name
        for name in ("capacity", "sold", "held"):
            value = getattr(self, name)
            if value is not None:
                document[name] = value
        return document


@dataclass(frozen=True, slots=True)
class StockReport:
    event_id: str
    remaining: int
    capacity: int | None
    sold: int | None
    held: int | None
    tiers: tuple[TierStock, ...]
    sold_by_minute: tuple[tuple[int, int], ...]
    """(unix minute, tickets sold in it since the last report; negative for refunds)."""
    version: int | None
    """The site's own counter of stock changes: an older report never overwrites a newer one."""

    def document(self, updated_at: float) -> dict[str, Any]:
        """The event's figures as the waiting room keeps them (without the sales)."""
        document: dict[str, Any] = {"event_id": self.event_id, "remaining": self.remaining}
        for name in ("capacity", "sold", "held", "version"):
            value = getattr(self, name)
            if value is not None:
                document[name] = value
        document["tiers"] = [tier.document() for tier in self.tiers]
        document["updated_at"] = round(updated_at, 3)
        return document


def checked_event_id(raw: object) -> str:
    event_id = str(raw)
    if not EVENT_ID_PATTERN.match(event_id):
        raise InvalidInput("an event id is 1-64 letters, digits, '_', '-' or '.'", field="event_id")
    return event_id


def parse_stock_report(event_id: str, body: dict[str, Any]) -> StockReport:
    """The report in ``body`` (a JSON object) for ``event_id``. Raises InvalidInput."""
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise InvalidInput(
            f"unknown field {unknown[0][:64]!r}; the fields are {', '.join(FIELDS)}",
            field=unknown[0][:64],
        )
    if "remaining" not in body:
        raise InvalidInput('"remaining" is required', field="remaining")
    remaining = _count(body["remaining"], "remaining")
    capacity = _optional_count(body, "capacity")
    if capacity is not None and remaining > capacity:
        raise InvalidInput('"remaining" cannot exceed "capacity"', field="remaining")
    version = body.get("version")
    if version is not None and (
        isinstance(version, bool) or not isinstance(version, int) or not 0 <= version <= MAX_VERSION
    ):
        raise InvalidInput('"version" must be a whole number >= 0', field="version")
    return StockReport(
        event_id=event_id,
        remaining=remaining,
        capacity=capacity,
        sold=_optional_count(body, "sold"),
        held=_optional_count(body, "held"),
        tiers=_tiers(body.get("tiers", [])),
        sold_by_minute=_sales(body.get("sold_by_minute", {})),
        version=version,
    )


def _count(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise InvalidInput(f'"{field}" must be a whole number from 0 to {MAX_COUNT}', field=field)
    return value


def _optional_count(body: dict[str, Any], field: str) -> int | None:
    value = body.get(field)
    return None if value is None else _count(value, field)


def _tiers(raw: object) -> tuple[TierStock, ...]:
    if not isinstance(raw, list) or len(raw) > MAX_TIERS:
        raise InvalidInput(f'"tiers" must be a list of at most {MAX_TIERS} tiers', field="tiers")
    tiers: list[TierStock] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        where = f"tiers[{index}]"
        if not isinstance(item, dict):
            raise InvalidInput(f"{where} must be an object", field=where)
        unknown = sorted(set(item) - set(TIER_FIELDS))
        if unknown:
            raise InvalidInput(f"{where} has an unknown field {unknown[0][:64]!r}", field=where)
        tier_id = item.get("tier_id")
        if not isinstance(tier_id, str) or not TIER_ID_PATTERN.match(tier_id):
            raise InvalidInput(
                f"{where}.tier_id must be 1-64 letters, digits, '_', '-' or '.'",
                field=f"{where}.tier_id",
            )
        if tier_id in seen:
            raise InvalidInput(f"tier {tier_id!r} is listed twice", field=f"{where}.tier_id")
        seen.add(tier_id)
        name = item.get("name", "")
        if not isinstance(name, str) or len(name) > MAX_TIER_NAME_CHARS:
            raise InvalidInput(
                f"{where}.name must be text of at most {MAX_TIER_NAME_CHARS} characters",
                field=f"{where}.name",
            )
        if "remaining" not in item:
            raise InvalidInput(f"{where}.remaining is required", field=f"{where}.remaining")
        tier = TierStock(
            tier_id=tier_id,
            name=name,
            remaining=_count(item["remaining"], f"{where}.remaining"),
            capacity=_tier_count(item, where, "capacity"),
            sold=_tier_count(item, where, "sold"),
            held=_tier_count(item, where, "held"),
        )
        if tier.capacity is not None and tier.remaining > tier.capacity:
            raise InvalidInput(
                f"{where}.remaining cannot exceed its capacity", field=f"{where}.remaining"
            )
        tiers.append(tier)
    return tuple(tiers)


def _tier_count(item: dict[str, Any], where: str, name: str) -> int | None:
    value = item.get(name)
    return None if value is None else _count(value, f"{where}.{name}")


def _sales(raw: object) -> tuple[tuple[int, int], ...]:
    if not isinstance(raw, dict) or len(raw) > MAX_SALES_MINUTES:
        raise InvalidInput(
            f'"sold_by_minute" must be an object of at most {MAX_SALES_MINUTES} minutes',
            field="sold_by_minute",
        )
    sales: list[tuple[int, int]] = []
    for minute_text, count in raw.items():
        if not (
            isinstance(minute_text, str)
            and minute_text.isascii()
            and minute_text.isdigit()
            and len(minute_text) <= 11
            and int(minute_text) <= MAX_UNIX_MINUTE
        ):
            raise InvalidInput(
                '"sold_by_minute" keys are unix minutes (unix seconds // 60) in decimal',
                field="sold_by_minute",
            )
        if (
            isinstance(count, bool)
            or not isinstance(count, int)
            or abs(count) > MAX_SALES_PER_MINUTE
        ):
            raise InvalidInput(
                f'"sold_by_minute" values are whole numbers within +-{MAX_SALES_PER_MINUTE}',
                field="sold_by_minute",
            )
        if count:
            sales.append((int(minute_text), count))
    return tuple(sorted(sales))
