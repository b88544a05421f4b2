"""Join rate limits per client IP and per subnet (``limits`` library, Redis storage).

Limits are counted in Redis, so they hold across every waiting-room process. The identifiers
carry the queue's hash tag (``{q:<id>}``): a queue's limit counters live on its cluster slot.
Only joins are limited: polling the status of a place one already holds costs no new place.
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import RedisClusterStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import RedisCluster

from service_kit.cluster_connections import guard_cluster_connections
from service_kit.redis_client import CLUSTER_RETRIES, is_cluster_url, reconnect_retry
from waitroom.errors import QueueUnavailable, TooManyJoins
from waitroom.protection.client_ip import subnet_of
from waitroom.queue.availability import REDIS_ERRORS

STORE_ERRORS: tuple[type[BaseException], ...] = (StorageError, *REDIS_ERRORS)
LIMITER_SOCKET_TIMEOUT_SECONDS = 2
LIMITER_CONNECT_TIMEOUT_SECONDS = 1
"""Shorter than the queue client's: a join waits on the limiter before its place, and a limiter
that cannot answer fails the join closed (503) rather than holding it."""


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    item: RateLimitItem


def limits_storage(redis_url: str) -> RedisStorage:
    """``limits`` storage on the same Redis; ``redis+cluster://`` (see redis_client) included."""
    options: dict[str, Any] = {
        "socket_timeout": LIMITER_SOCKET_TIMEOUT_SECONDS,
        "socket_connect_timeout": LIMITER_CONNECT_TIMEOUT_SECONDS,
    }
    if is_cluster_url(redis_url):
        options["retry"] = reconnect_retry(CLUSTER_RETRIES)
        scheme, _, rest = redis_url.partition("://")
        if scheme.lower().startswith("rediss"):
            options["ssl"] = True
        storage = RedisClusterStorage(
            "async+redis+cluster://" + rest.split("/", 1)[0],
            implementation="redispy",
            wrap_exceptions=True,
            key_prefix="wr-limits",
            **options,
        )
        client = getattr(getattr(storage, "bridge", None), "storage", None)
        if isinstance(client, RedisCluster):
            guard_cluster_connections(client)  # service_kit/cluster_connections.py
        return storage
    options["retry"] = reconnect_retry()
    storage_url = "async+" + redis_url if not redis_url.startswith("async+") else redis_url
    return RedisStorage(
        storage_url,
        implementation="redispy",
        wrap_exceptions=True,
        key_prefix="wr-limits",
        **options,
    )


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
        self.storage = limits_storage(redis_url)
        self._connected = False
        self._connecting = asyncio.Lock()
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
        await self._connect_once()
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

    async def _connect_once(self) -> None:
        """One PING before the first hits: a fresh redis-py cluster client must discover the
        slots before concurrent commands use it (they race the discovery otherwise)."""
        if self._connected:
            return
        async with self._connecting:
            if not self._connected:
                self._connected = await self.storage.check()

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
