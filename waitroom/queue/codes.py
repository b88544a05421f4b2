"""Priority and invite codes: a priority lane admitted before the general queue, or a bypass.

- ``priority`` codes put the fan into the priority lane: the admission script gives each
  admission slot to a waiting priority fan before the general serving pointer moves
  (waitroom/storage/lua/advance.lua), so the overall rate stays exactly as configured.
- ``bypass`` codes admit the fan at once (a pass is issued on redemption).

Codes are stored by ``code_id`` = sha256(code)[:24]; the plain code is shown once, on creation.
``max_uses`` 1 makes a single-use code, N a multi-use code, 0 unlimited. Redemption is one Lua
script (waitroom/storage/lua/redeem.lua), so a single-use code succeeds exactly once under
concurrency.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from redis.asyncio import Redis
from redis.typing import EncodableT, FieldT

from service_kit.errors import Conflict, InvalidInput
from service_kit.lua import lua_source
from service_kit.text_input import clean_text
from waitroom.errors import CodeNotFound, QueueNotFound, code_not_accepted
from waitroom.storage.keys import QueueKeys

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{6,64}$")
MAX_CODE_USES = 1_000_000
MAX_CODES_PER_QUEUE = 10_000


class CodeKind(StrEnum):
    PRIORITY = "priority"
    BYPASS = "bypass"


@dataclass(frozen=True, slots=True)
class Redemption:
    outcome: str
    kind: CodeKind
    priority_place: int
    uses: int


def code_id_of(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()[:24]


def _decode(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def code_keys(queue_id: str, code_id: str) -> tuple[str, str]:
    keys = QueueKeys(queue_id)
    return keys.part(f"code:{code_id}"), keys.part(f"code_redeemers:{code_id}")


def priority_lane_key(queue_id: str) -> str:
    """Hash: visitor id -> place in the priority lane (1, 2, ...), or 0 for a bypass."""
    return QueueKeys(queue_id).part("lanes")


def codes_registry_key(queue_id: str) -> str:
    """Set: code ids of the queue (for the organizer's listing)."""
    return QueueKeys(queue_id).part("codes")


def validate_code_request(body: dict[str, Any]) -> tuple[CodeKind, int, str, str | None]:
    """(kind, max_uses, label, chosen code or None). Raises InvalidInput."""
    unknown = set(body) - {"kind", "max_uses", "label", "code"}
    if unknown:
        raise InvalidInput(f"unknown field {sorted(unknown)[0]!r}", field=sorted(unknown)[0])
    try:
        kind = CodeKind(body.get("kind", CodeKind.PRIORITY.value))
    except ValueError:
        raise InvalidInput("kind must be 'priority' or 'bypass'", field="kind") from None
    max_uses = body.get("max_uses", 1)
    if not isinstance(max_uses, int) or isinstance(max_uses, bool):
        raise InvalidInput("max_uses must be an integer (0 = unlimited)", field="max_uses")
    if not 0 <= max_uses <= MAX_CODE_USES:
        raise InvalidInput("max_uses is out of range", field="max_uses")
    label = clean_text(body.get("label", ""), "label", 200, required=False)
    code = body.get("code")
    if code is not None:
        code = clean_text(code, "code", 64)
        if not CODE_PATTERN.match(code):
            raise InvalidInput("code must be 6-64 chars of A-Z a-z 0-9 _ -", field="code")
    return kind, max_uses, label, code


class CodeStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._redeem = redis.register_script(
            lua_source("waitroom.storage", "redeem")
        )

    async def create(
        self, queue_id: str, kind: CodeKind, max_uses: int, label: str, code: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Returns (plain code, its public description). Raises Conflict for a taken code."""
        if not await self.redis.exists(QueueKeys(queue_id).config):
            raise QueueNotFound(queue_id)
        if await self.redis.scard(codes_registry_key(queue_id)) >= MAX_CODES_PER_QUEUE:
            raise Conflict("this queue has the maximum number of codes")
        plain = code or secrets.token_urlsafe(9)
        code_id = code_id_of(plain)
        code_key, _ = code_keys(queue_id, code_id)
        fields: dict[FieldT, EncodableT] = {
            "kind": kind.value,
            "max_uses": str(max_uses),
            "uses": "0",
            "revoked": "0",
            "label": label,
            "hint": plain[:3] + "…",
            "created_at": repr(time.time()),
        }
        if not await self.redis.hsetnx(code_key, "kind", kind.value):
            raise Conflict("this code already exists", code_id=code_id)
        await self.redis.hset(code_key, mapping=fields)
        await self.redis.sadd(codes_registry_key(queue_id), code_id)
        return plain, await self.describe(queue_id, code_id)

    async def describe(self, queue_id: str, code_id: str) -> dict[str, Any]:
        code_key, _ = code_keys(queue_id, code_id)
        raw = await self.redis.hgetall(code_key)
        if not raw:
            raise CodeNotFound(code_id)
        values = {_decode(name): _decode(value) for name, value in raw.items()}
        return {
            "code_id": code_id,
            "kind": values.get("kind", ""),
            "max_uses": int(values.get("max_uses", "1")),
            "uses": int(values.get("uses", "0")),
            "revoked": values.get("revoked") == "1",
            "label": values.get("label", ""),
            "hint": values.get("hint", ""),
            "created_at": float(values.get("created_at", "0")),
        }

    async def list(self, queue_id: str) -> list[dict[str, Any]]:
        members = await self.redis.smembers(codes_registry_key(queue_id))
        documents = []
        for code_id in sorted(_decode(member) for member in members):
            try:
                documents.append(await self.describe(queue_id, code_id))
            except CodeNotFound:
                continue
        return sorted(documents, key=lambda document: document["created_at"])

    async def revoke(self, queue_id: str, code_id: str) -> dict[str, Any]:
        if not re.fullmatch(r"[0-9a-f]{24}", code_id):
            raise CodeNotFound(code_id[:32])
        code_key, _ = code_keys(queue_id, code_id)
        if not await self.redis.exists(code_key):
            raise CodeNotFound(code_id)
        await self.redis.hset(code_key, "revoked", "1")
        return await self.describe(queue_id, code_id)

    async def redeem(self, queue_id: str, code: str, visitor_id: str) -> Redemption:
        """Raises CodeNotAccepted (unknown, revoked, exhausted) or QueueNotFound."""
        if not CODE_PATTERN.match(code):
            raise code_not_accepted("unknown")
        code_id = code_id_of(code)
        code_key, redeemers_key = code_keys(queue_id, code_id)
        keys = QueueKeys(queue_id)
        raw = await self._redeem(
            keys=[code_key, redeemers_key, priority_lane_key(queue_id), keys.counters, keys.config],
            args=[visitor_id, int(time.time())],
        )
        outcome = _decode(raw[0])
        if outcome == "missing":
            raise QueueNotFound(queue_id)
        if outcome not in {"redeemed", "already"}:
            raise code_not_accepted(outcome)
        return Redemption(outcome, CodeKind(_decode(raw[1])), int(raw[2]), int(raw[3]))

    async def priority_progress(
        self, queue_id: str, visitor_id: str
    ) -> tuple[int | None, int, int]:
        """(the visitor's lane place: None = no lane, 0 = bypass, n = priority place n;
        priority places admitted; priority tail)."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hget(priority_lane_key(queue_id), visitor_id)
        pipe.hmget(QueueKeys(queue_id).counters, "priority_serving", "priority_tail")
        place_raw, (serving_raw, tail_raw) = await pipe.execute()
        place = int(place_raw) if place_raw is not None else None
        return place, int(serving_raw or 0), int(tail_raw or 0)
