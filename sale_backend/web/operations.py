"""``/healthz`` (process alive) and ``/readyz`` (the sale Redis answers)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sale_backend.web.runtime import shop_runtime
from service_kit.readiness import readiness


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"}, headers={"cache-control": "no-store"})


async def readyz(request: Request) -> Response:
    runtime = shop_runtime(request)
    return await readiness(runtime.sale_redis, runtime.settings.redis_retry_after_seconds)
