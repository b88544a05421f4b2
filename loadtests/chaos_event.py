"""The event a chaos run sells: a small tier that sells out under contention (oversell is
possible only where stock runs out) and a large one that keeps checkouts going all run long."""

from __future__ import annotations

from typing import Any

from loadtests.shop_system import BUYER_LIMIT, surge_event

CHAOS_EVENT_ID = "chaos-concert"
LIMITED_TIER = "limited"
STANDING_TIER = "standing"
STANDING_CAPACITY = 1_000_000


def chaos_event(queue_id: str, limited_capacity: int) -> dict[str, Any]:
    """The surge's event document (loadtests/shop_system.py) with the two tiers."""
    return {
        **surge_event(queue_id, limited_capacity, BUYER_LIMIT),
        "name": "Chaos concert",
        "tiers": [
            {"tier_id": LIMITED_TIER, "name": "Front row", "price_minor": 9500,
             "capacity": limited_capacity},
            {"tier_id": STANDING_TIER, "name": "Standing", "price_minor": 4500,
             "capacity": STANDING_CAPACITY},
        ],
    }
