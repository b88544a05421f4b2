"""An in-process waiting-room app (real Redis, lifespan run) with an httpx client, for fan tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from waitroom.settings import Settings
from waitroom.web.app import create_app


@asynccontextmanager
async def fan_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
