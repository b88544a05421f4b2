"""What autotune keeps in Redis: its settings per queue, whose turn it is, and its decisions.

Keys (queue keyspace, hash tag ``{q:<id>}``):
- ``autotune``: hash of the organizer's settings (``enabled``, ``min_rate_per_minute``,
  ``max_rate_per_minute``, ``target_p95_ms``, ``max_error_ratio``);
- ``autotune_turn``: string set with ``NX PX <interval>`` by the process that decides this
  interval; every other process finds it taken, so there is one decision per interval however
  many processes run (they never fight over the rate);
- ``autotune_decisions``: capped list (newest first) of every decision with the figures it was
  based on (the dashboard's chart and log).
The set ``wr:autotune_queues`` (not hash-tagged, like ``wr:queues``) lists the queues that have
autotune on, so the processes' loops look at those only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Annotated, Any

import msgspec
import orjson
from msgspec import UNSET, UnsetType
from redis.asyncio import Redis
from redis.typing import EncodableT, FieldT

from service_kit.errors import InvalidInput
from service_kit.models import StrictModel, convert, to_builtins
from waitroom.admission import MAX_RATE_PER_MINUTE
from waitroom.storage.keys import AUTOTUNE_REGISTRY_KEY, QueueKeys

DECISIONS_KEPT = 720
"""An hour of decisions at one every 5 s."""
MAX_TARGET_P95_MS = 60_000


@dataclass(frozen=True, slots=True)
class AutotuneSettings:
    enabled: bool = False
    min_rate_per_minute: int = 10
    max_rate_per_minute: int = 600
    target_p95_ms: int = 1000
    """The slowest acceptable p95 of the site's checkouts and holds."""
    max_error_ratio: float = 0.02
    """The highest acceptable share of failed checkouts or holds."""

    def document(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Decision:
    at: float
    rate_before: int
    rate_per_minute: int
    kind: str
    """``down``, ``up``, ``hold`` or ``bound`` (moved into the organizer's range)."""
    reason: str
    p95_ms: float | None
    error_ratio: float | None
    requests: int
    process: str = ""
    """The waiting-room process that took this interval's turn."""

    def document(self) -> dict[str, Any]:
        return asdict(self)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def parse_settings(raw: dict[Any, Any]) -> AutotuneSettings:
    values = {_text(name): _text(value) for name, value in raw.items()}
    defaults = AutotuneSettings()
    try:
        return AutotuneSettings(
            enabled=values.get("enabled") == "1",
            min_rate_per_minute=int(
                values.get("min_rate_per_minute", defaults.min_rate_per_minute)
            ),
            max_rate_per_minute=int(
                values.get("max_rate_per_minute", defaults.max_rate_per_minute)
            ),
            target_p95_ms=int(values.get("target_p95_ms", defaults.target_p95_ms)),
            max_error_ratio=float(values.get("max_error_ratio", defaults.max_error_ratio)),
        )
    except ValueError:
        return defaults


RatePerMinute = Annotated[int, msgspec.Meta(ge=1, le=MAX_RATE_PER_MINUTE)]


class AutotuneChange(StrictModel):
    """A partial update of the autotune settings (the API's ``PUT`` body; the dashboard's form
    becomes one): the fields named change, the rest stay."""

    enabled: bool | UnsetType = UNSET
    min_rate_per_minute: RatePerMinute | UnsetType = UNSET
    max_rate_per_minute: RatePerMinute | UnsetType = UNSET
    target_p95_ms: Annotated[int, msgspec.Meta(ge=1, le=MAX_TARGET_P95_MS)] | UnsetType = UNSET
    max_error_ratio: (
        Annotated[float, msgspec.Meta(ge=0, le=1, description="a share: 0.02 = 2 %")] | UnsetType
    ) = UNSET


def updated_settings(
    current: AutotuneSettings, change: AutotuneChange | Mapping[str, Any]
) -> AutotuneSettings:
    """``current`` with the fields of ``change`` (a model, or plain values); raises InvalidInput
    naming the field."""
    if not isinstance(change, AutotuneChange):
        change = convert(dict(change), AutotuneChange)
    changes: dict[str, Any] = to_builtins(change)
    if "max_error_ratio" in changes:
        changes["max_error_ratio"] = float(changes["max_error_ratio"])
    result = replace(current, **changes)
    if result.min_rate_per_minute > result.max_rate_per_minute:
        raise InvalidInput(
            "the minimum rate cannot be above the maximum", field="min_rate_per_minute"
        )
    return result


class AutotuneStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def settings(self, queue_id: str) -> AutotuneSettings:
        return parse_settings(await self.redis.hgetall(QueueKeys(queue_id).autotune))

    async def save(self, queue_id: str, settings: AutotuneSettings) -> None:
        values: dict[FieldT, EncodableT] = {
            "enabled": "1" if settings.enabled else "0",
            "min_rate_per_minute": str(settings.min_rate_per_minute),
            "max_rate_per_minute": str(settings.max_rate_per_minute),
            "target_p95_ms": str(settings.target_p95_ms),
            "max_error_ratio": repr(settings.max_error_ratio),
        }
        await self.redis.hset(QueueKeys(queue_id).autotune, mapping=values)
        if settings.enabled:
            await self.redis.sadd(AUTOTUNE_REGISTRY_KEY, queue_id)
        else:
            await self.redis.srem(AUTOTUNE_REGISTRY_KEY, queue_id)

    async def queues(self) -> list[str]:
        return sorted(_text(member) for member in await self.redis.smembers(AUTOTUNE_REGISTRY_KEY))

    async def take_turn(self, queue_id: str, owner: str, interval_seconds: float) -> bool:
        """True for the one process that decides for ``queue_id`` in this interval."""
        taken = await self.redis.set(
            QueueKeys(queue_id).autotune_turn,
            owner,
            nx=True,
            px=max(1, int(interval_seconds * 1000)),
        )
        return bool(taken)

    async def record(self, queue_id: str, decision: Decision) -> None:
        key = QueueKeys(queue_id).autotune_decisions
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lpush(key, orjson.dumps(decision.document()))
            pipe.ltrim(key, 0, DECISIONS_KEPT - 1)
            await pipe.execute()

    async def decisions(self, queue_id: str, since: float = 0.0) -> list[Decision]:
        """Decisions from ``since`` on, newest first."""
        raw = await self.redis.lrange(QueueKeys(queue_id).autotune_decisions, 0, -1)
        decisions: list[Decision] = []
        for item in raw:
            try:
                decision = Decision(**orjson.loads(item))
            except (orjson.JSONDecodeError, TypeError):
                continue
            if decision.at < since:
                break
            decisions.append(decision)
        return decisions

    async def last_decision(self, queue_id: str) -> Decision | None:
        raw = await self.redis.lindex(QueueKeys(queue_id).autotune_decisions, 0)
        if raw is None:
            return None
        try:
            return Decision(**orjson.loads(raw))
        except (orjson.JSONDecodeError, TypeError):
            return None
