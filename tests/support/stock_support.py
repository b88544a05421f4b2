"""Stock reports as a protected site sends them: ``PUT .../events/{event_id}/stock`` with a
site-auth header signed with the test keys (docs/connector.md, sections 5 and 6)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import SECRET_KEYS
from waitroom.connector import SiteAuth

SITE_AUTH = SiteAuth(SECRET_KEYS)


def stock_url(queue_id: str, event_id: str) -> str:
    return f"/api/v1/connector/queues/{queue_id}/events/{event_id}/stock"


def site_headers(queue_id: str) -> dict[str, str]:
    return {"authorization": SITE_AUTH.header(queue_id)}


def figures(remaining: int, capacity: int, **extra: Any) -> dict[str, Any]:
    """A report whose tickets not remaining are sold (``extra`` adds or replaces fields)."""
    return {"remaining": remaining, "capacity": capacity, "sold": capacity - remaining, **extra}


async def report(
    client: httpx.AsyncClient, queue_id: str, event_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    """Report one event's stock; returns the answer (asserted 200)."""
    response = await client.put(
        stock_url(queue_id, event_id), json=body, headers=site_headers(queue_id)
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer
