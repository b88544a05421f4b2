"""Join rate limits per client IP and per subnet (``limits`` library, Redis storage).

Limits are counted in Redis, so they hold across every waiting-room process. The identifiers
carry the queue's hash tag (``{q:<id>}``): a queue's limit counters live on its cluster slot.
Only joins are limited: polling the status of a place one already holds costs no new place.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from waitroom.availability import REDIS_ERRORS, QueueUnavailable
from waitroom.client_ip import subnet_of
from waitroom.problems import WaitroomError

STORE_ERRORS: tuple[type[BaseException], ...] = (StorageError, *REDIS_ERRORS)


class TooManyJoins(WaitroomError):
    status = 429
    title = "Too many joins"
    type_slug = "too-many-joins"

    def __init__(self, scope_name: str, retry_after_seconds: int) -> None:
        super().__init__(
            f"too many joins from this {scope_name}; try again in {retry_after_seconds} s",
            limit=scope_name,
            retry_after_seconds=retry_after_seconds,
        )


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    item: RateLimitItem


class JoinRateLimiter:
    """Moving-window limits; one Redis round trip per rule per join."""

    def __init__(
        self,
        redis_url: str,
        per_ip: str,
        per_subnet: str,
        retry_after_seconds: int,
        exempt_networks: Sequence[str] = (),
    ) -> None:
        self.exempt_networks = [ipaddress.ip_network(net, strict=False) for net in exempt_networks]
        storage_url = "async+" + redis_url if not redis_url.startswith("async+") else redis_url
        self.storage = RedisStorage(
            storage_url,
            implementation="redispy",
            wrap_exceptions=True,
            key_prefix="wr-limits",
            socket_timeout=2,
            socket_connect_timeout=1,
        )
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.rules = [
            _Rule(name, parse(text))
            for name, text in (("address", per_ip), ("network", per_subnet))
            if text
        ]
        self.retry_after_seconds = retry_after_seconds

    async def check(self, queue_id: str, address: str) -> None:
        """Counts one join; raises TooManyJoins (429) or QueueUnavailable (Redis down)."""
        if self._exempt(address):
            return
        subjects = {"address": address, "network": subnet_of(address)}
        for rule in self.rules:
            identifiers = (f"{{q:{queue_id}}}", rule.name, subjects[rule.name])
            try:
                allowed = await self.limiter.hit(rule.item, *identifiers)
                if allowed:
                    continue
                stats = await self.limiter.get_window_stats(rule.item, *identifiers)
            except STORE_ERRORS:
                raise QueueUnavailable(queue_id, self.retry_after_seconds) from None
            retry_after = max(1, math.ceil(stats.reset_time - time.time()))
            raise TooManyJoins(rule.name, retry_after)

    def _exempt(self, address: str) -> bool:
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(parsed in network for network in self.exempt_networks)

    async def close(self) -> None:
        bridge = getattr(self.storage, "bridge", None)
        client = getattr(bridge, "storage", None)
        close = getattr(client, "aclose", None)
        if close is not None:
            await close()
