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
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import msgspec
from redis.typing import EncodableT, FieldT

from service_kit.errors import Conflict, InvalidInput
from service_kit.models import StrictModel, convert
from service_kit.text_input import clean_text
from waitroom.errors import CodeNotFound, QueueNotFound, code_not_accepted
from waitroom.storage.keys import QueueKeys
from waitroom.storage.scripts import QueueScripts

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


class CodeRequest(StrictModel):
    """A new priority or bypass code (``code``: choose it; otherwise one is made)."""

    kind: CodeKind = CodeKind.PRIORITY
    max_uses: Annotated[
        int, msgspec.Meta(ge=0, le=MAX_CODE_USES, description="0 = unlimited")
    ] = 1
    label: Annotated[str, msgspec.Meta(description="at most 200 characters")] = ""
    code: Annotated[str, msgspec.Meta(description="6-64 of A-Z a-z 0-9 _ -")] | None = None


def validate_code_request(
    body: CodeRequest | Mapping[str, Any],
) -> tuple[CodeKind, int, str, str | None]:
    """(kind, max_uses, label, chosen code or None). Raises InvalidInput."""
    request = body if isinstance(body, CodeRequest) else convert(dict(body), CodeRequest)
    label = clean_text(request.label, "label", 200, required=False)
    code = request.code
    if code is not None:
        code = clean_text(code, "code", 64)
        if not CODE_PATTERN.match(code):
            raise InvalidInput("code must be 6-64 chars of A-Z a-z 0-9 _ -", field="code")
    return request.kind, request.max_uses, label, code


class CodeStore:
    def __init__(self, scripts: QueueScripts) -> None:
        self.scripts = scripts
        self.redis = scripts.redis

    async def create(
        self, queue_id: str, kind: CodeKind, max_uses: int, label: str, code: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Returns (plain code, its public description). Raises Conflict for a taken code."""
        if not await self.redis.exists(QueueKeys(queue_id).config):
            raise QueueNotFound(queue_id)
        if await self.redis.scard(QueueKeys(queue_id).codes) >= MAX_CODES_PER_QUEUE:
            raise Conflict("this queue has the maximum number of codes")
        plain = code or secrets.token_urlsafe(9)
        code_id = code_id_of(plain)
        code_key = QueueKeys(queue_id).code(code_id)
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
        await self.redis.sadd(QueueKeys(queue_id).codes, code_id)
        return plain, await self.describe(queue_id, code_id)

    async def describe(self, queue_id: str, code_id: str) -> dict[str, Any]:
        raw = await self.redis.hgetall(QueueKeys(queue_id).code(code_id))
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
        members = await self.redis.smembers(QueueKeys(queue_id).codes)
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
        code_key = QueueKeys(queue_id).code(code_id)
        if not await self.redis.exists(code_key):
            raise CodeNotFound(code_id)
        await self.redis.hset(code_key, "revoked", "1")
        return await self.describe(queue_id, code_id)

    async def redeem(self, queue_id: str, code: str, visitor_id: str) -> Redemption:
        """Raises CodeNotAccepted (unknown, revoked, exhausted) or QueueNotFound."""
        if not CODE_PATTERN.match(code):
            raise code_not_accepted("unknown")
        reply = await self.scripts.redeem(queue_id, code_id_of(code), visitor_id, time.time())
        if reply.outcome == "missing":
            raise QueueNotFound(queue_id)
        if reply.outcome not in {"redeemed", "already"}:
            raise code_not_accepted(reply.outcome)
        return Redemption(reply.outcome, CodeKind(reply.kind), reply.priority_place, reply.uses)

    async def priority_progress(
        self, queue_id: str, visitor_id: str
    ) -> tuple[int | None, int, int]:
        """(the visitor's lane place: None = no lane, 0 = bypass, n = priority place n;
        priority places admitted; priority tail)."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hget(QueueKeys(queue_id).lanes, visitor_id)
        pipe.hmget(QueueKeys(queue_id).counters, "priority_serving", "priority_tail")
        place_raw, (serving_raw, tail_raw) = await pipe.execute()
        place = int(place_raw) if place_raw is not None else None
        return place, int(serving_raw or 0), int(tail_raw or 0)
