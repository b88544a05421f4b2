"""Organizer content of the queue page (surveys, upsells, profile form), stored per queue.

Each kind is one JSON document in the queue's keyspace (``QueueKeys.fan_content(kind)``).
Pages read it through a short in-process cache (one ``MGET`` per queue per process per
``cache_seconds``), so a surge of page loads does not turn into a surge of Redis reads.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from redis.asyncio import Redis

from waitroom.fan.profile import ProfileForm, parse_profile_form
from waitroom.fan.survey_definitions import Survey, parse_surveys, survey_document
from waitroom.fan.upsell_definitions import Upsell, parse_upsells
from waitroom.storage.keys import QueueKeys

KINDS = ("surveys", "upsells", "profile_form")


def content_key(queue_id: str, kind: str) -> str:
    return QueueKeys(queue_id).fan_content(kind)


@dataclass(frozen=True, slots=True)
class FanContent:
    surveys: tuple[Survey, ...] = ()
    upsells: tuple[Upsell, ...] = ()
    profile_form: ProfileForm = field(default_factory=ProfileForm)

    def survey(self, survey_id: str) -> Survey | None:
        return next((item for item in self.surveys if item.id == survey_id), None)

    def upsell(self, upsell_id: str) -> Upsell | None:
        return next((item for item in self.upsells if item.id == upsell_id), None)


def surveys_document(surveys: tuple[Survey, ...], include_correct: bool) -> dict[str, Any]:
    return {"surveys": [survey_document(survey, include_correct) for survey in surveys]}


def upsells_document(upsells: tuple[Upsell, ...]) -> dict[str, Any]:
    return {"upsells": [upsell.document() for upsell in upsells]}


def _parse_or_default(raw: bytes | str | None, parser: Callable[[Any], Any], default: Any) -> Any:
    if raw is None:
        return default
    return parser(orjson.loads(raw))


class FanContentStore:
    def __init__(self, redis: Redis, cache_seconds: float = 2.0) -> None:
        self.redis = redis
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, FanContent]] = {}

    async def get(self, queue_id: str) -> FanContent:
        now = time.monotonic()
        cached = self._cache.get(queue_id)
        if cached is not None and now - cached[0] < self.cache_seconds:
            return cached[1]
        raw = await self.redis.mget([content_key(queue_id, kind) for kind in KINDS])
        content = FanContent(
            surveys=_parse_or_default(raw[0], parse_surveys, ()),
            upsells=_parse_or_default(raw[1], parse_upsells, ()),
            profile_form=_parse_or_default(raw[2], parse_profile_form, ProfileForm()),
        )
        self._cache[queue_id] = (now, content)
        return content

    async def put(self, queue_id: str, kind: str, document: dict[str, Any]) -> None:
        """Store an already validated document (see the ``parse_*`` functions)."""
        assert kind in KINDS
        await self.redis.set(content_key(queue_id, kind), orjson.dumps(document))
        self._cache.pop(queue_id, None)
