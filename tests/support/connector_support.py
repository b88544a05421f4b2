"""Passes as the waiting room issues them, for tests that drive a shop directly."""

from __future__ import annotations

import secrets
import time

import httpx

from tests.conftest import ADMIN_TOKEN, SECRET_KEYS
from waitroom.connector import PassClaims, PassCodec, visitor_hash
from waitroom.tokens import new_visitor_id


def mint_pass(queue_id: str, visitor_id: str | None = None, ttl_seconds: int = 900) -> str:
    """A genuine pass of a fresh place (the waiting room accepts its claim: the queue exists
    and nobody used the pass yet)."""
    buyer = visitor_hash(SECRET_KEYS, visitor_id or new_visitor_id())
    claims = PassClaims(queue_id, buyer, secrets.token_hex(12), int(time.time()) + ttl_seconds)
    return PassCodec(SECRET_KEYS, ttl_seconds).issue(claims)


def open_queue(waitroom_url: str, queue_id: str, **fields: object) -> None:
    """Create (or update) an open queue through the admin API."""
    httpx.put(
        f"{waitroom_url}/api/v1/admin/queues/{queue_id}",
        json={"rate_per_minute": 60, "state": "open", **fields},
        headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=10,
    ).raise_for_status()
