"""Independent check of a fair pre-queue opening (pure functions; no waitroom state needed).

Before opening the queue publishes ``shuffle_seed_sha256`` and the hashed ids of everyone in the
pre-queue; after opening it reveals ``shuffle_seed`` and the order it assigned. Anyone can check:
1. sha256(seed) equals the commitment published before opening;
2. the ordered list holds exactly the hashed ids published before opening (when given);
3. sorting the hashed ids by sha1(seed + hashed_id) (ties by hashed_id) gives the published order,
   places ``first_position``, ``first_position + 1``, ...

A hashed id is sha1("waitroom-prequeue:<queue_id>:<visitor_id>") (hex), the same as in
waitroom/storage/lua/advance.lua; a fan can compute their own from their receipt.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


def hashed_visitor_id(queue_id: str, visitor_id: str) -> str:
    return hashlib.sha1(f"waitroom-prequeue:{queue_id}:{visitor_id}".encode()).hexdigest()


def shuffle_order(seed: str, hashed_ids: Iterable[str]) -> list[str]:
    """The opening order: ascending sha1(seed + hashed_id), ties by hashed_id."""
    return sorted(
        hashed_ids,
        key=lambda hashed: (hashlib.sha1((seed + hashed).encode()).hexdigest(), hashed),
    )


def seed_commitment(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


@dataclass
class ShuffleVerification:
    ok: bool
    problems: list[str] = field(default_factory=list)
    checked_count: int = 0


def verify_shuffle(
    after_opening: dict[str, Any], before_opening: dict[str, Any] | None = None
) -> ShuffleVerification:
    """Check a publication taken after opening, optionally against one taken before."""
    problems: list[str] = []
    seed = after_opening.get("shuffle_seed")
    commitment = after_opening.get("shuffle_seed_sha256")
    ordered = after_opening.get("ordered_hashed_visitor_ids")
    if not isinstance(seed, str) or not isinstance(commitment, str):
        return ShuffleVerification(False, ["the seed is not revealed yet (queue not open?)"])
    if not isinstance(ordered, list) or not all(isinstance(item, str) for item in ordered):
        return ShuffleVerification(False, ["no ordered_hashed_visitor_ids list"])
    if seed_commitment(seed) != commitment:
        problems.append("sha256(shuffle_seed) does not match shuffle_seed_sha256")
    if before_opening is not None:
        if before_opening.get("shuffle_seed_sha256") != commitment:
            problems.append("the commitment changed since the publication before opening")
        earlier = before_opening.get("hashed_visitor_ids")
        if isinstance(earlier, list) and not set(earlier) <= set(ordered):
            problems.append("fans published before opening are missing from the order")
    if len(set(ordered)) != len(ordered):
        problems.append("a hashed id appears twice")
    if shuffle_order(seed, ordered) != ordered:
        problems.append("the published order is not the order the seed gives")
    first = after_opening.get("first_position")
    if not isinstance(first, int) or first < 1:
        problems.append("first_position is missing")
    return ShuffleVerification(not problems, problems, len(ordered))


def position_in_order(after_opening: dict[str, Any], hashed_id: str) -> int | None:
    """The place a hashed id received (first_position + index), or None when absent."""
    ordered = after_opening.get("ordered_hashed_visitor_ids") or []
    first = after_opening.get("first_position")
    if hashed_id not in ordered or not isinstance(first, int):
        return None
    return first + list(ordered).index(hashed_id)
