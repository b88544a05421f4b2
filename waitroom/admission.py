"""Positions, serving pointer, rate, pause and the fair pre-queue opening (Redis Lua).

All writes go through Lua scripts that touch one queue's keys (hash tag ``{q:<id>}``):
- ``join``: one atomic step assigns a place per visitor id (rejoining returns the same place);
- ``view``: advances the serving pointer to now at the configured rate and reads the state;
- ``configure``: creates/updates a queue after settling the pointer at the old rate.

The serving pointer S moves by exactly ``rate_per_minute`` per minute whichever process calls,
because every advance is computed from Redis ``TIME`` and the carried remainder. S never runs
more than ``burst`` places ahead of the tail T, so an idle queue banks no capacity.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, UnsetType
from redis.asyncio import Redis

from service_kit.errors import InvalidInput
from service_kit.localized_text import (
    LocalizedInput,
    localized_from_string,
    parse_localized_text,
    stored_string,
)
from service_kit.models import StrictModel, convert
from service_kit.text_input import clean_text
from waitroom.errors import QueueNotFound, QueueNotJoinable
from waitroom.storage.keys import QUEUE_REGISTRY_KEY, QueueKeys
from waitroom.storage.script_replies import JoinLimited, JoinLimits, JoinReply
from waitroom.storage.scripts import QueueScripts


class QueueState(StrEnum):
    """What the organizer set. ``prequeue`` is derived from ``opens_at``, never stored."""

    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"
    SOLD_OUT = "sold_out"


class FanState(StrEnum):
    """What a fan sees (contract values of the status endpoint)."""

    PREQUEUE = "prequeue"
    WAITING = "waiting"
    ADMITTED = "admitted"
    PAUSED = "paused"
    SOLD_OUT = "sold_out"
    CLOSED = "closed"


MAX_RATE_PER_MINUTE = 10_000_000
MAX_BURST = 1_000_000
DEFAULT_ABANDON_AFTER_SECONDS = 120
DEFAULT_AWAY_GRACE_SECONDS = 900
"""A place skipped because its fan stopped checking in is kept this long (``engine.lua`` holds
the same default for queues created before the setting existed)."""

TEXT_FIELD_MAX_CHARS = {"name": 200, "pause_reason": 500, "event_id": 64, "redirect_url": 2048}
"""Organizer texts of a queue (characters, after NFC)."""
Rate = Annotated[int, msgspec.Meta(ge=0, le=MAX_RATE_PER_MINUTE)]
LATEST_OPENING_UNIX_SECONDS = 32_503_680_000
"""1 January 3000 (UTC): later openings are typing slips, and every local clock can show this."""
OpensAt = Annotated[
    float,
    msgspec.Meta(
        ge=0, le=LATEST_OPENING_UNIX_SECONDS, description="unix seconds; 0 or null: now"
    ),
]


class QueueSettings(StrictModel):
    """What an organizer sets on a queue (every field optional: an update names what changes;
    a new queue starts open at 60 per minute). Texts are typed text (:func:`clean_text`)."""

    rate_per_minute: Rate | UnsetType = UNSET
    state: QueueState | UnsetType = UNSET
    opens_at: OpensAt | UnsetType | None = UNSET
    burst: Annotated[int, msgspec.Meta(ge=1, le=MAX_BURST)] | UnsetType = UNSET
    redirect_url: (
        Annotated[str, msgspec.Meta(description="a path or an http(s) URL")] | UnsetType
    ) = UNSET
    name: LocalizedInput | UnsetType = UNSET
    """At most 200 characters: one string, or one per language (fans see theirs)."""
    pause_reason: Annotated[str, msgspec.Meta(description="at most 500 characters")] | UnsetType = (
        UNSET
    )
    event_id: Annotated[str, msgspec.Meta(description="at most 64 characters")] | UnsetType = UNSET
    active_shopper_cap: Rate | UnsetType = UNSET
    abandon_after_seconds: (
        Annotated[
            int,
            msgspec.Meta(
                ge=0,
                le=MAX_RATE_PER_MINUTE,
                description="places not polled this long are skipped (0 = off)",
            ),
        ]
        | UnsetType
    ) = UNSET
    away_grace_seconds: (
        Annotated[
            int,
            msgspec.Meta(
                ge=0,
                le=MAX_RATE_PER_MINUTE,
                description="a place skipped while its fan was away is kept this long: back "
                "within it, the fan goes in at the next admission step (0 = given up at once)",
            ),
        ]
        | UnsetType
    ) = UNSET


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """A queue's configuration hash, typed; the only reader of its stored strings."""

    rate_per_minute: int
    state: QueueState
    opens_at: float
    burst: int
    redirect_url: str
    name: str
    pause_reason: str
    event_id: str
    shuffle_seed_sha256: str
    shuffle_seed: str = ""
    """Revealed once the queue has opened (the commitment is ``shuffle_seed_sha256``)."""
    active_shopper_cap: int = 0
    """0: no cap."""
    abandon_after_seconds: int = 0
    """0: places that stop polling are never skipped."""
    away_grace_seconds: int = DEFAULT_AWAY_GRACE_SECONDS
    """A place skipped while its fan was away is kept this long: back within it, the fan is
    admitted at the next admission step; 0: skipped places are given up at once."""
    created_at: float | None = None
    sold_out_by_stock: bool = False
    """Sold out because the site's stock reports say so (a report can reopen it)."""
    _stored: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_hash(cls, values: dict[str, str], default_burst: int) -> QueueConfig:
        state_raw = values.get("state", QueueState.CLOSED.value)
        try:
            state = QueueState(state_raw)
        except ValueError:
            state = QueueState.CLOSED
        return cls(
            rate_per_minute=_whole(values.get("rate_per_minute"), 0),
            state=state,
            opens_at=_seconds(values.get("opens_at")) or 0.0,
            burst=_whole(values.get("burst"), default_burst) or default_burst,
            redirect_url=values.get("redirect_url", "/"),
            name=values.get("name", ""),
            pause_reason=values.get("pause_reason", ""),
            event_id=values.get("event_id", ""),
            shuffle_seed_sha256=values.get("shuffle_seed_sha256", ""),
            shuffle_seed=values.get("shuffle_seed", ""),
            active_shopper_cap=_whole(values.get("active_shopper_cap"), 0),
            abandon_after_seconds=_whole(values.get("abandon_after_seconds"), 0),
            away_grace_seconds=_whole(
                values.get("away_grace_seconds"), DEFAULT_AWAY_GRACE_SECONDS
            ),
            created_at=_seconds(values.get("created_at")),
            sold_out_by_stock="sold_out_by_stock" in values,
            _stored=dict(values),
        )

    def stored_hash(self) -> dict[str, str]:
        """The hash as Redis held it, fields this version does not know included (the state
        guard puts a lost queue back from it)."""
        return dict(self._stored)

    def display_name(self, language: str) -> str:
        """The queue's name in ``language`` (else the default language's); "" when unnamed."""
        return localized_from_string(self.name).text(language)

    @property
    def name_document(self) -> str | dict[str, str]:
        """The name as the organizer gave it: a string, or an object keyed by language."""
        return localized_from_string(self.name).document()


def _whole(stored: str | None, default: int) -> int:
    """A whole number stored as text; ``default`` when absent, empty or not a number."""
    try:
        return int(stored) if stored else default
    except ValueError:
        return default


def _seconds(stored: str | None) -> float | None:
    try:
        return float(stored) if stored else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    """One read of a queue, taken by the ``view`` script."""

    queue_id: str
    serving: int
    tail: int
    epoch: int
    redis_now_ms: int
    opened: bool
    prequeue_length: int
    config: QueueConfig
    admitted_total: int = 0
    """Live fans admitted so far (skipped places excluded), for the measured outflow."""
    tickets_remaining: int | None = None
    """``remaining_total`` of the ``stock`` hash: the sum over the events the queue fronts
    (:mod:`waitroom.queue.stock`); None before the site reports any."""

    @property
    def queue_length(self) -> int:
        """Fans with a place who are not admitted yet (pre-queue included)."""
        return max(0, self.tail - self.serving) + self.prequeue_length

    @property
    def in_prequeue(self) -> bool:
        return not self.opened


def _decode(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def optional_count(value: Any) -> int | None:
    """A non-negative count stored in Redis (bytes or text); None when absent or not a number."""
    if value is None:
        return None
    try:
        return max(0, int(_decode(value)))
    except ValueError:
        return None


def queue_settings(fields: QueueSettings | Mapping[str, Any]) -> QueueSettings:
    """Settings from a model or from plain values (the dashboard's forms, tests, the demo)."""
    return fields if isinstance(fields, QueueSettings) else convert(dict(fields), QueueSettings)


def validate_config_update(fields: QueueSettings | Mapping[str, Any]) -> dict[str, str]:
    """Check organizer input (types and ranges by the model, then typed text and the redirect
    URL's scheme); returns Redis-ready strings. Raises InvalidInput."""
    result: dict[str, str] = {}
    for name, value in msgspec.structs.asdict(queue_settings(fields)).items():
        if value is UNSET:
            continue
        if name == "opens_at":
            result[name] = repr(float(value or 0))
        elif isinstance(value, QueueState):
            result[name] = value.value
        elif isinstance(value, int):
            result[name] = str(value)
        elif name == "name":
            # one string or one per language (service_kit.localized_text)
            name_text = parse_localized_text(
                value, name, TEXT_FIELD_MAX_CHARS[name], required=False
            )
            result[name] = stored_string(name_text)
        else:
            text = clean_text(
                value, name, TEXT_FIELD_MAX_CHARS[name], required=name == "redirect_url"
            )
            if name == "redirect_url" and not text.startswith(("/", "https://", "http://")):
                raise InvalidInput("redirect_url must be a path or an http(s) URL", field=name)
            result[name] = text
    return result


class AdmissionStore:
    """The queue state in Redis. One instance per process; its :class:`QueueScripts` (the
    process's script loader) serves the other stores too."""

    def __init__(self, redis: Redis, default_burst: int) -> None:
        self.redis = redis
        self.default_burst = default_burst
        self.scripts = QueueScripts(redis, default_burst)

    async def snapshot(self, queue_id: str) -> QueueSnapshot:
        reply = await self.scripts.view(queue_id)
        if reply is None:
            raise QueueNotFound(queue_id)
        return QueueSnapshot(
            queue_id=queue_id,
            serving=reply.serving,
            tail=reply.tail,
            epoch=reply.epoch,
            redis_now_ms=reply.redis_now_ms,
            opened=reply.opened,
            prequeue_length=reply.prequeue_length,
            config=QueueConfig.from_hash(reply.config, self.default_burst),
            tickets_remaining=optional_count(reply.remaining_total),
            admitted_total=reply.admitted_total,
        )

    async def join(
        self, queue_id: str, visitor_id: str, limits: JoinLimits | None = None
    ) -> JoinReply | JoinLimited:
        """A place for the visitor (the one held, or a new one at the back), or JoinLimited when
        the client's join limits refuse a new place. Raises QueueNotFound, QueueNotJoinable."""
        reply = await self.scripts.join(queue_id, visitor_id, limits)
        if isinstance(reply, JoinLimited):
            return reply
        if reply.outcome == "missing":
            raise QueueNotFound(queue_id)
        if reply.outcome in {QueueState.CLOSED.value, QueueState.SOLD_OUT.value}:
            raise QueueNotJoinable(queue_id, reply.outcome)
        return reply

    async def position_of(self, queue_id: str, visitor_id: str) -> int | None:
        """The place of a visitor (0 while in the pre-queue), or None when unknown."""
        value = await self.redis.hget(QueueKeys(queue_id).visitors, visitor_id)
        return None if value is None else int(value)

    async def configure(self, queue_id: str, fields: QueueSettings | Mapping[str, Any]) -> bool:
        """Create or update a queue; returns True when it was created."""
        values = validate_config_update(fields)
        keys = QueueKeys(queue_id)
        exists = bool(await self.redis.exists(keys.config))
        if not exists:
            values.setdefault("state", QueueState.OPEN.value)
            values.setdefault("rate_per_minute", "60")
            seed = secrets.token_hex(32)
            values.setdefault("shuffle_seed", seed)
            values.setdefault("shuffle_seed_sha256", hashlib.sha256(seed.encode()).hexdigest())
            values.setdefault("created_at", repr(time.time()))
            values.setdefault("abandon_after_seconds", str(DEFAULT_ABANDON_AFTER_SECONDS))
            values.setdefault("away_grace_seconds", str(DEFAULT_AWAY_GRACE_SECONDS))
        created = await self.scripts.configure(queue_id, time.time_ns() // 1000, values)
        await self.redis.sadd(QUEUE_REGISTRY_KEY, queue_id)
        await self.redis.set(keys.instance_marker, repr(time.time()), nx=True)
        return created

    async def queue_ids(self) -> list[str]:
        members = await self.redis.smembers(QUEUE_REGISTRY_KEY)
        return sorted(_decode(member) for member in members)
