"""A minimal shop behind the gate with the Redis pass registry (used by the pass tests)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from waitroom.gate import WaitroomGate
from waitroom.pass_registry import PassRegistry
from waitroom.redis_client import redis_from_url
from waitroom.runtime import codec_for
from waitroom.settings import Settings
from waitroom.tokens import PassClaims


async def shop_page(request: Request) -> Response:
    claims: PassClaims = request.state.waitroom_pass
    return JSONResponse({"pass_id": claims.pass_id, "visitor_id": claims.visitor_id})


async def checkout(request: Request) -> Response:
    claims: PassClaims = request.state.waitroom_pass
    registry: PassRegistry = request.app.state.registry
    ended = await registry.revoke(claims.queue_id, claims.pass_id)
    return JSONResponse({"ended": ended})


def create_shop(settings: Settings, queue_id: str) -> Starlette:
    redis_url = settings.redis_url or ""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        redis = redis_from_url(redis_url)
        app.state.registry = PassRegistry(redis)
        try:
            yield
        finally:
            await redis.aclose()

    app: Starlette

    async def pass_check(claims: PassClaims, scope: Scope) -> None:
        registry: PassRegistry = app.state.registry
        await registry.pass_check(claims, scope)

    app = Starlette(
        routes=[
            Route("/shop", shop_page, methods=["GET"]),
            Route("/api/checkout", checkout, methods=["POST"]),
            Route("/readyz", lambda request: JSONResponse({"status": "ready"})),
        ],
        middleware=[
            Middleware(
                WaitroomGate,
                codec=codec_for(settings),
                queue_id=queue_id,
                queue_url=f"/q/{queue_id}",
                exempt_path_prefixes=("/readyz",),
                pass_check=pass_check,
            )
        ],
        lifespan=lifespan,
    )
    return app


def create_app_from_environ() -> Starlette:
    return create_shop(Settings.from_environ(), os.environ["SHOP_QUEUE_ID"])
