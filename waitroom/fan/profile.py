"""The fan's pre-checkout profile: validated, stored with a TTL, read by the shop at checkout.

Stored in the hash ``QueueKeys(queue_id).profile(visitor_id)`` with exactly the fields ``name``,
``email``, ``tier_id`` and ``quantity`` (the shop's contract). The organizer's profile form
settings (tier choices, largest quantity) are validated here too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from service_kit.errors import InvalidInput
from service_kit.text_input import clean_text
from waitroom.storage.keys import QueueKeys

PROFILE_FIELDS = ("name", "email", "tier_id", "quantity")
MAX_NAME_CHARS = 100
MAX_EMAIL_CHARS = 254
DEFAULT_MAX_QUANTITY = 10
MAX_TIERS = 20
TIER_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


@dataclass(frozen=True, slots=True)
class Tier:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class ProfileForm:
    """What the organizer offers in the form: tier choices (may be empty) and a quantity cap."""

    tiers: tuple[Tier, ...] = ()
    max_quantity: int = DEFAULT_MAX_QUANTITY

    def document(self) -> dict[str, Any]:
        return {
            "tiers": [{"id": tier.id, "label": tier.label} for tier in self.tiers],
            "max_quantity": self.max_quantity,
        }


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    email: str
    tier_id: str
    quantity: int

    def document(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "email": self.email,
            "tier_id": self.tier_id,
            "quantity": self.quantity,
        }


def parse_profile_form(document: Any) -> ProfileForm:
    if not isinstance(document, dict):
        raise InvalidInput("body: must be an object", field="body")
    raw_tiers = document.get("tiers", [])
    if not isinstance(raw_tiers, list) or len(raw_tiers) > MAX_TIERS:
        raise InvalidInput(f"tiers: a list of at most {MAX_TIERS} tiers", field="tiers")
    tiers: list[Tier] = []
    for index, raw in enumerate(raw_tiers):
        tier_id = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(tier_id, str) or not TIER_ID_PATTERN.match(tier_id):
            raise InvalidInput(f"tiers[{index}].id: 1-64 letters, digits, '_.:-'", field="tiers")
        tiers.append(Tier(tier_id, clean_text(raw.get("label"), f"tiers[{index}].label", 120)))
    if len({tier.id for tier in tiers}) != len(tiers):
        raise InvalidInput("tiers: ids must be unique", field="tiers")
    max_quantity = document.get("max_quantity", DEFAULT_MAX_QUANTITY)
    if (
        not isinstance(max_quantity, int)
        or isinstance(max_quantity, bool)
        or not (1 <= max_quantity <= 100)
    ):
        raise InvalidInput("max_quantity: an integer 1..100", field="max_quantity")
    return ProfileForm(tuple(tiers), max_quantity)


def parse_profile(data: dict[str, Any], form: ProfileForm) -> Profile:
    """Validate a fan's submission (JSON values or form strings). Raises InvalidInput."""
    unknown = sorted(set(data) - set(PROFILE_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}", field=unknown[0])
    name = clean_text(data.get("name"), "name", MAX_NAME_CHARS)
    email = clean_text(data.get("email"), "email", MAX_EMAIL_CHARS)
    if not EMAIL_PATTERN.match(email):
        raise InvalidInput("email does not look like an e-mail address", field="email")
    tier_id = data.get("tier_id") or ""
    if not isinstance(tier_id, str):
        raise InvalidInput("tier_id must be text", field="tier_id")
    if form.tiers and tier_id:  # empty means "no preference"
        if tier_id not in {tier.id for tier in form.tiers}:
            raise InvalidInput("tier_id is not one of the offered tiers", field="tier_id")
    elif tier_id and not TIER_ID_PATTERN.match(tier_id):
        raise InvalidInput("tier_id is not a valid tier id", field="tier_id")
    quantity = data.get("quantity", 1)
    if isinstance(quantity, str) and quantity.strip().isdigit() and len(quantity.strip()) < 4:
        quantity = int(quantity.strip())
    if (
        not isinstance(quantity, int)
        or isinstance(quantity, bool)
        or not (1 <= quantity <= form.max_quantity)
    ):
        raise InvalidInput(
            f"quantity must be a whole number 1..{form.max_quantity}", field="quantity"
        )
    return Profile(name, email, tier_id, quantity)


async def save_profile(
    redis: Redis, queue_id: str, visitor_id: str, profile: Profile, ttl_seconds: int
) -> None:
    key = QueueKeys(queue_id).profile(visitor_id)
    mapping: dict[str | bytes, str | bytes] = {
        "name": profile.name,
        "email": profile.email,
        "tier_id": profile.tier_id,
        "quantity": str(profile.quantity),
    }
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(key)
        pipe.hset(key, mapping=mapping)  # type: ignore[arg-type]
        pipe.expire(key, ttl_seconds)
        await pipe.execute()


async def load_profile(redis: Redis, queue_id: str, visitor_id: str) -> Profile | None:
    raw = await redis.hgetall(QueueKeys(queue_id).profile(visitor_id))
    if not raw:
        return None
    values = {
        (key.decode() if isinstance(key, bytes) else str(key)): (
            value.decode() if isinstance(value, bytes) else str(value)
        )
        for key, value in raw.items()
    }
    quantity = values.get("quantity", "1")
    return Profile(
        values.get("name", ""),
        values.get("email", ""),
        values.get("tier_id", ""),
        int(quantity) if quantity.isdigit() else 1,
    )
