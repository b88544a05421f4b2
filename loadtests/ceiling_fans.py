"""Real fans for the ceiling benchmark: joined (waiting) ones for status polls, admitted ones
with a pass for checkouts, written as wrk identity files (one line of headers per fan)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx


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


BROWSER_HEADERS = (
    "Accept: application/json\tAccept-Language: en-GB,en;q=0.9\tAccept-Encoding: gzip, deflate, br"
    "\tUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/131.0 Safari/537.36\tSec-Fetch-Mode: cors\tSec-Fetch-Site: same-origin"
)
"""What a browser's queue page sends besides its cookies when it polls the status."""


class _JoinAsBrowser(_Join):
    """The identity as the queue page polls: the site's cookies and a browser's headers."""

    async def __call__(self, client: httpx.AsyncClient) -> str:
        response = await client.post(f"/api/v1/queues/{self.queue_id}/join")
        response.raise_for_status()
        cookies = "; ".join(
            [f"{name}={value}" for name, value in client.cookies.items()]
            + ["wr_js=1", "_ga=GA1.1.1234567890.1795444911"]
        )
        return f"Cookie: {cookies}\t{BROWSER_HEADERS}"


class _JoinUntilAdmitted(_Join):
    async def __call__(self, client: httpx.AsyncClient) -> str:
        await super().__call__(client)  # keeps the visitor and position cookies
        for _ in range(100):
            response = await client.get(f"/api/v1/queues/{self.queue_id}/status")
            response.raise_for_status()
            if response.json()["state"] == "admitted":
                # an API client's way in: the pass as a bearer token (claimed on first use)
                return f"Authorization: Bearer {response.json()['pass']}"
            await asyncio.sleep(0.1)
        raise RuntimeError("a fan was not admitted within 10 s")


def forwarded_addresses() -> list[str]:
    """``X-Forwarded-For`` of 131,072 distinct client addresses (198.18.0.0/15, the range set
    aside for benchmarks: 512 networks of 256), none of them exempt from the join limits."""
    return [
        f"X-Forwarded-For: 198.{18 + high // 256}.{high % 256}.{low}"
        for low in range(256)
        for high in range(512)
    ]


def write_identities(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


async def waiting_fans(
    base_url: str, queue_id: str, count: int, as_browser: bool = False
) -> list[str]:
    """``Authorization: Bearer <position token>`` of ``count`` distinct fans who joined, or
    with ``as_browser`` their cookies (visitor, position, ``wr_js``, one more) and a browser's
    request headers, as the queue page polls."""
    join = _JoinAsBrowser(base_url, queue_id) if as_browser else _Join(base_url, queue_id)
    return await _many(count, 32, join)


async def admitted_fans(base_url: str, queue_id: str, count: int) -> list[str]:
    """``Authorization: Bearer <pass>`` of ``count`` distinct admitted fans."""
    return await _many(count, 32, _JoinUntilAdmitted(base_url, queue_id))
