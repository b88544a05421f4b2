"""Check at start that the sale Redis runs with AOF ``appendfsync always`` (orders must survive
a crash). A Redis that hides CONFIG (some managed services) cannot be checked: say so."""

from __future__ import annotations

import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

from sale_backend.storage.scripts import decode

LOGGER = logging.getLogger("sale_backend")


async def sale_redis_is_durable(redis: Redis) -> bool | None:
    """True with AOF + fsync on every write, False without, None when CONFIG is not allowed."""
    try:
        appendonly = await redis.config_get("appendonly")
        appendfsync = await redis.config_get("appendfsync")
    except RedisError:
        return None
    values = {decode(key): decode(value) for key, value in {**appendonly, **appendfsync}.items()}
    return values.get("appendonly") == "yes" and values.get("appendfsync") == "always"


async def warn_unless_durable(redis: Redis) -> bool | None:
    durable = await sale_redis_is_durable(redis)
    if durable is False:
        LOGGER.warning(
            "the sale Redis does not run with appendonly yes + appendfsync always: "
            "acknowledged orders can be lost in a crash"
        )
    elif durable is None:
        LOGGER.warning("cannot read the sale Redis persistence settings (CONFIG not allowed)")
    return durable
