"""``/readyz`` of both apps: ready when their Redis answers, else 503 with ``Retry-After``."""

from __future__ import annotations

from redis.asyncio import Redis
from starlette.responses import JSONResponse, Response

NO_STORE = {"cache-control": "no-store"}


async def readiness(redis: Redis, retry_after_seconds: int) -> Response:
    """The probe's answer; any failure to ping (a cluster client raises more than
    ``RedisError``) is "not ready", never a 500."""
    try:
        await redis.ping()
    except Exception as error:
        return JSONResponse(
            {"status": "unavailable", "detail": f"redis: {type(error).__name__}"},
            status_code=503,
            headers={**NO_STORE, "retry-after": str(retry_after_seconds)},
        )
    return JSONResponse({"status": "ready"}, headers=NO_STORE)
