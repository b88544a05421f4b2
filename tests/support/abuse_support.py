"""Helpers for the abuse/fault tests: an in-process app over httpx with its lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette

from tests.conftest import ADMIN_TOKEN, METRICS_TOKEN, SECRET_KEYS
from waitroom.settings import Settings
from waitroom.web.app import create_app

ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def app_settings(redis_url: str, **environment: str) -> Settings:
    return Settings.from_environ(
        {
            "REDIS_URL": redis_url,
            "WAITROOM_ADMIN_TOKEN": ADMIN_TOKEN,
            "WAITROOM_METRICS_TOKEN": METRICS_TOKEN,
            "WAITROOM_SECRET_KEYS": ",".join(SECRET_KEYS),
            "WAITROOM_QUEUE_VIEW_REFRESH_SECONDS": "0.1",
            **environment,
        }
    )


@contextlib.asynccontextmanager
async def running_app(
    redis_url: str, client_address: str = "198.51.100.7", **environment: str
) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    app = create_app(app_settings(redis_url, **environment))
    transport = httpx.ASGITransport(app=app, client=(client_address, 40000))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://waitroom.test") as client,
    ):
        yield app, client


async def create_queue(client: httpx.AsyncClient, queue_id: str, **fields: Any) -> dict[str, Any]:
    response = await client.put(
        f"/api/v1/admin/queues/{queue_id}", json=fields, headers=ADMIN_HEADERS
    )
    assert response.status_code in {200, 201}, response.text
    document: dict[str, Any] = response.json()
    return document


async def admin_document(client: httpx.AsyncClient, queue_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/admin/queues/{queue_id}", headers=ADMIN_HEADERS)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document
