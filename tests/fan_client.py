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


FORM_POST = {
    "content-type": "application/x-www-form-urlencoded",
    "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
}
"""What a browser sends for a form of buttons only (the page's "Join the queue")."""


async def join_with_button(
    client: httpx.AsyncClient, queue_id: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    """The queue page's "Join the queue" button without JavaScript: a form post, 303 to the page."""
    response = await client.post(
        f"/api/v1/queues/{queue_id}/join", content=b"", headers={**FORM_POST, **(headers or {})}
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/q/{queue_id}"
    return response
