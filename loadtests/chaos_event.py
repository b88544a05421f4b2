"""The event a chaos run sells: a small tier that sells out under contention (oversell is
possible only where stock runs out) and a large one that keeps checkouts going all run long."""

from __future__ import annotations

import time
from typing import Any

CHAOS_EVENT_ID = "chaos-concert"
LIMITED_TIER = "limited"
STANDING_TIER = "standing"
STANDING_CAPACITY = 1_000_000
BUYER_LIMIT = 4


def chaos_event(queue_id: str, limited_capacity: int) -> dict[str, Any]:
    now = time.time()
    return {
        "queue_id": queue_id,
        "name": "Chaos concert",
        "venue": "Fault hall",
        "starts_at": now + 30 * 24 * 3600,
        "currency": "EUR",
        "max_tickets_per_order": BUYER_LIMIT,
        "max_tickets_per_buyer": BUYER_LIMIT,
        "tiers": [
            {"tier_id": LIMITED_TIER, "name": "Front row", "price_minor": 9500,
             "capacity": limited_capacity},
            {"tier_id": STANDING_TIER, "name": "Standing", "price_minor": 4500,
             "capacity": STANDING_CAPACITY},
        ],
        "phases": [
            {"phase_id": "general", "name": "General", "starts_at": now - 60,
             "ends_at": now + 7 * 24 * 3600},
        ],
    }
