"""``/healthz`` (process alive) and ``/readyz`` (the sale Redis answers)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sale_backend.web.runtime import shop_runtime


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"}, headers={"cache-control": "no-store"})


async def readyz(request: Request) -> Response:
    try:
        await shop_runtime(request).sale_redis.ping()
    except Exception as error:
        return JSONResponse(
            {"status": "unavailable", "detail": f"redis: {type(error).__name__}"},
            status_code=503,
            headers={"cache-control": "no-store", "retry-after": "2"},
        )
    return JSONResponse({"status": "ready"}, headers={"cache-control": "no-store"})
