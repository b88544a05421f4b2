"""Real fans for the ceiling benchmark: joined (waiting) ones for status polls, admitted ones
with a pass for checkouts, written as wrk identity files (one line of headers per fan)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from waitroom.cookies import VISITOR_COOKIE, pass_cookie_name


def configure_queue(
    base_url: str, admin_token: str, queue_id: str, rate_per_minute: int, **fields: Any
) -> None:
    response = httpx.put(
        f"{base_url}/api/v1/admin/queues/{queue_id}",
        json={"rate_per_minute": rate_per_minute, "state": "open", "redirect_url": "/shop/",
              **fields},
        headers={"Authorization": f"Bearer {admin_token}"},
        timeout=10,
    )
    response.raise_for_status()


async def _many(count: int, concurrency: int, one: Any) -> list[str]:
    results: list[str] = []
    remaining = iter(range(count))

    async def worker(client: httpx.AsyncClient) -> None:
        for _ in remaining:
            client.cookies.clear()  # a new fan each time, not a rejoin of the last one
            results.append(await one(client))

    async def with_client(base_url: str) -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            await worker(client)

    await asyncio.gather(*(with_client(one.base_url) for _ in range(concurrency)))
    if len(set(results)) != count:
        raise RuntimeError(f"expected {count} distinct fans, got {len(set(results))}")
    return results


class _Join:
    def __init__(self, base_url: str, queue_id: str) -> None:
        self.base_url = base_url
        self.queue_id = queue_id

    async def __call__(self, client: httpx.AsyncClient) -> str:
        response = await client.post(f"/api/v1/queues/{self.queue_id}/join")
        response.raise_for_status()
        return f"Authorization: Bearer {response.json()['token']}"


class _JoinUntilAdmitted(_Join):
    async def __call__(self, client: httpx.AsyncClient) -> str:
        await super().__call__(client)  # keeps the visitor and position cookies
        for _ in range(100):
            response = await client.get(f"/api/v1/queues/{self.queue_id}/status")
            response.raise_for_status()
            if response.json()["state"] == "admitted":
                visitor = client.cookies[VISITOR_COOKIE]
                pass_token = response.json()["pass"]
                pass_cookie = pass_cookie_name(self.queue_id)
                return f"Cookie: {VISITOR_COOKIE}={visitor}; {pass_cookie}={pass_token}"
            await asyncio.sleep(0.1)
        raise RuntimeError("a fan was not admitted within 10 s")


def write_identities(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


async def waiting_fans(base_url: str, queue_id: str, count: int) -> list[str]:
    """``Authorization: Bearer <position token>`` of ``count`` distinct fans who joined."""
    return await _many(count, 32, _Join(base_url, queue_id))


async def admitted_fans(base_url: str, queue_id: str, count: int) -> list[str]:
    """``Cookie: wr_vid=...; wr_pass_<queue>=...`` of ``count`` distinct admitted fans."""
    return await _many(count, 32, _JoinUntilAdmitted(base_url, queue_id))
