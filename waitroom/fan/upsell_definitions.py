"""Organizer-defined upsell cards (other events, merchandise, experiences): validation only.

A document is ``{"upsells": [{"id", "title", "description"?, "image_url"?, "price_minor"?,
"currency"?, "link_url"}]}``. Fans follow a card through ``/q/{queue_id}/upsells/{id}``, which
counts the click and redirects to ``link_url``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from service_kit.errors import InvalidInput
from service_kit.text_input import clean_text
from waitroom.fan.survey_definitions import checked_id

MAX_UPSELLS = 12
MAX_URL_CHARS = 2048
MAX_PRICE_MINOR = 10**9
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True, slots=True)
class Upsell:
    id: str
    title: str
    description: str
    image_url: str
    price_minor: int | None
    currency: str
    link_url: str

    def document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "image_url": self.image_url,
            "price_minor": self.price_minor,
            "currency": self.currency,
            "link_url": self.link_url,
        }


def checked_url(value: Any, where: str, required: bool) -> str:
    if value in (None, "") and not required:
        return ""
    if (
        not isinstance(value, str)
        or len(value) > MAX_URL_CHARS
        or any(character.isspace() for character in value)
        or not (
            (value.startswith("/") and not value.startswith("//"))
            or value.startswith("https://")
            or value.startswith("http://")
        )
    ):
        raise InvalidInput(f"{where}: a path or an http(s) URL", field=where)
    return value


def parse_upsell(raw: Any, where: str) -> Upsell:
    if not isinstance(raw, dict):
        raise InvalidInput(f"{where}: must be an object", field=where)
    price = raw.get("price_minor")
    if price is not None and (
        not isinstance(price, int) or isinstance(price, bool) or not 0 <= price <= MAX_PRICE_MINOR
    ):
        raise InvalidInput(f"{where}.price_minor: an integer in minor units", field=where)
    currency = raw.get("currency", "EUR")
    if not isinstance(currency, str) or not CURRENCY_PATTERN.match(currency):
        raise InvalidInput(f"{where}.currency: an ISO 4217 code like EUR", field=where)
    description = clean_text(
        raw.get("description", ""), f"{where}.description", 500, required=False, multiline=True
    )
    return Upsell(
        id=checked_id(raw.get("id"), f"{where}.id"),
        title=clean_text(raw.get("title"), f"{where}.title", 120),
        description=description,
        image_url=checked_url(raw.get("image_url"), f"{where}.image_url", required=False),
        price_minor=price,
        currency=currency,
        link_url=checked_url(raw.get("link_url"), f"{where}.link_url", required=True),
    )


def parse_upsells(document: Any) -> tuple[Upsell, ...]:
    if not isinstance(document, dict):
        raise InvalidInput("body: must be an object", field="body")
    raw_list = document.get("upsells")
    if not isinstance(raw_list, list) or len(raw_list) > MAX_UPSELLS:
        raise InvalidInput(f"upsells: a list of at most {MAX_UPSELLS} cards", field="upsells")
    upsells = tuple(parse_upsell(item, f"upsells[{index}]") for index, item in enumerate(raw_list))
    if len({upsell.id for upsell in upsells}) != len(upsells):
        raise InvalidInput("upsells: ids must be unique", field="upsells")
    return upsells
