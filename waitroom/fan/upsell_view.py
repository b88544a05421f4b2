"""Upsell cards as the queue page shows them: click-counting link and a localized price."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision

from waitroom.fan.upsell_definitions import Upsell

BABEL_LOCALES = {"en": "en", "et": "et", "ru": "ru", "zh_Hans": "zh_Hans_CN"}


@dataclass(frozen=True, slots=True)
class UpsellCard:
    upsell: Upsell
    click_url: str


def upsell_cards(queue_id: str, upsells: tuple[Upsell, ...]) -> list[UpsellCard]:
    return [UpsellCard(upsell, f"/q/{queue_id}/upsells/{upsell.id}") for upsell in upsells]


def format_price(price_minor: int | None, currency: str, language_code: str) -> str:
    """``1999, "EUR", "et"`` -> ``19,99 €``; empty when the card has no price."""
    if price_minor is None:
        return ""
    precision = get_currency_precision(currency)
    amount = Decimal(price_minor).scaleb(-precision)
    return format_currency(amount, currency, locale=BABEL_LOCALES.get(language_code, "en"))
