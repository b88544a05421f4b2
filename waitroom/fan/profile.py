"""The fan's pre-checkout profile: validated, stored with a TTL, read by the shop at checkout.

Stored in the hash ``QueueKeys(queue_id).profile(visitor_id)`` with exactly the fields ``name``,
``email``, ``tier_id`` and ``quantity`` (the shop's contract). The organizer's profile form
settings (tier choices, largest quantity) are validated here too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from redis.asyncio import Redis

from service_kit.errors import InvalidInput
from service_kit.models import Document, Model, StrictModel, convert
from service_kit.text_input import clean_text
from waitroom.storage.keys import QueueKeys

MAX_NAME_CHARS = 100
MAX_EMAIL_CHARS = 254
DEFAULT_MAX_QUANTITY = 10
MAX_TIERS = 20
TIER_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


class ProfileSubmission(StrictModel):
    """The pre-checkout profile a fan saves (texts are checked as typed text: NFC, trimmed,
    no control characters; ``tier_id`` empty means no preference)."""

    name: Annotated[str, msgspec.Meta(description="1-100 characters")]
    email: Annotated[str, msgspec.Meta(description="an e-mail address, at most 254 characters")]
    tier_id: str = ""
    quantity: Annotated[int, msgspec.Meta(ge=1, le=100)] = 1


class ProfileDocument(Document):
    """A saved profile (the shop reads these four fields)."""

    name: str
    email: str
    tier_id: str
    quantity: int


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

    def document(self) -> ProfileDocument:
        return ProfileDocument(self.name, self.email, self.tier_id, self.quantity)


class TierChoice(Model):
    id: Annotated[str, msgspec.Meta(pattern=TIER_ID_PATTERN.pattern)]
    label: Annotated[str, msgspec.Meta(description="at most 120 characters")]


class ProfileFormDocument(Model):
    """The profile form's settings: tier choices (none: any tier id) and the largest quantity."""

    tiers: Annotated[list[TierChoice], msgspec.Meta(max_length=MAX_TIERS)] = msgspec.field(
        default_factory=list
    )
    max_quantity: Annotated[int, msgspec.Meta(ge=1, le=100)] = DEFAULT_MAX_QUANTITY


def parse_profile_form(document: ProfileFormDocument | Any) -> ProfileForm:
    """The organizer's profile form settings (a model, or decoded JSON as stored)."""
    if not isinstance(document, ProfileFormDocument):
        document = convert(document, ProfileFormDocument)
    tiers = tuple(
        Tier(tier.id, clean_text(tier.label, f"tiers[{index}].label", 120))
        for index, tier in enumerate(document.tiers)
    )
    if len({tier.id for tier in tiers}) != len(tiers):
        raise InvalidInput("tiers: ids must be unique", field="tiers")
    return ProfileForm(tiers, document.max_quantity)


def parse_profile(submission: ProfileSubmission, form: ProfileForm) -> Profile:
    """A fan's submission (its types checked by the model) against the organizer's form:
    typed text, the e-mail's shape, the offered tiers, the quantity cap. Raises InvalidInput."""
    name = clean_text(submission.name, "name", MAX_NAME_CHARS)
    email = clean_text(submission.email, "email", MAX_EMAIL_CHARS)
    if not EMAIL_PATTERN.match(email):
        raise InvalidInput("email does not look like an e-mail address", field="email")
    tier_id = submission.tier_id
    if form.tiers and tier_id:  # empty means "no preference"
        if tier_id not in {tier.id for tier in form.tiers}:
            raise InvalidInput("tier_id is not one of the offered tiers", field="tier_id")
    elif tier_id and not TIER_ID_PATTERN.match(tier_id):
        raise InvalidInput("tier_id is not a valid tier id", field="tier_id")
    if not 1 <= submission.quantity <= form.max_quantity:
        raise InvalidInput(
            f"quantity must be a whole number 1..{form.max_quantity}", field="quantity"
        )
    return Profile(name, email, tier_id, submission.quantity)


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
