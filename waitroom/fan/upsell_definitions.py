"""Organizer-defined upsell cards (other events, merchandise, experiences): validation only.

A document is ``{"upsells": [{"id", "title", "description"?, "image_url"?, "price_minor"?,
"currency"?, "link_url"}]}``. Fans follow a card through ``/q/{queue_id}/upsells/{id}``, which
counts the click and redirects to ``link_url``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec

from service_kit.errors import InvalidInput
from service_kit.models import Model, convert
from service_kit.text_input import clean_text
from waitroom.fan.survey_definitions import ItemId

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


class UpsellDefinition(Model):
    """An upsell card (``price_minor`` in minor units of ``currency``; ``link_url`` and
    ``image_url`` a path of this site or an http(s) URL)."""

    id: ItemId
    title: Annotated[str, msgspec.Meta(description="at most 120 characters")]
    link_url: Annotated[str, msgspec.Meta(max_length=MAX_URL_CHARS)]
    description: Annotated[str, msgspec.Meta(description="at most 500 characters")] = ""
    image_url: Annotated[str, msgspec.Meta(max_length=MAX_URL_CHARS)] | None = ""
    price_minor: Annotated[int, msgspec.Meta(ge=0, le=MAX_PRICE_MINOR)] | None = None
    currency: Annotated[str, msgspec.Meta(pattern=CURRENCY_PATTERN.pattern)] = "EUR"


class UpsellsDocument(Model):
    upsells: Annotated[list[UpsellDefinition], msgspec.Meta(max_length=MAX_UPSELLS)]


def checked_url(value: str | None, where: str, required: bool) -> str:
    if not value and not required:
        return ""
    if (
        not value
        or any(character.isspace() for character in value)
        or not (
            (value.startswith("/") and not value.startswith("//"))
            or value.startswith("https://")
            or value.startswith("http://")
        )
    ):
        raise InvalidInput(f"{where}: a path or an http(s) URL", field=where)
    return value


def parse_upsell(definition: UpsellDefinition, where: str) -> Upsell:
    description = clean_text(
        definition.description, f"{where}.description", 500, required=False, multiline=True
    )
    return Upsell(
        id=definition.id,
        title=clean_text(definition.title, f"{where}.title", 120),
        description=description,
        image_url=checked_url(definition.image_url, f"{where}.image_url", required=False),
        price_minor=definition.price_minor,
        currency=definition.currency,
        link_url=checked_url(definition.link_url, f"{where}.link_url", required=True),
    )


def parse_upsells(document: UpsellsDocument | Any) -> tuple[Upsell, ...]:
    """An organizer's ``{"upsells": [...]}`` document (a model, or decoded JSON as stored),
    checked beyond its types: unique ids, the links, typed text."""
    if not isinstance(document, UpsellsDocument):
        document = convert(document, UpsellsDocument)
    upsells = tuple(
        parse_upsell(item, f"upsells[{index}]") for index, item in enumerate(document.upsells)
    )
    if len({upsell.id for upsell in upsells}) != len(upsells):
        raise InvalidInput("upsells: ids must be unique", field="upsells")
    return upsells
