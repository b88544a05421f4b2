"""The queue page tells the fan clearly where they stand in every state."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.support.fan_client import fan_client, join_with_button
from waitroom.settings import Settings


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with fan_client(settings) as http:
        yield http


async def configure(
    client: httpx.AsyncClient, queue_id: str, admin: dict[str, str], **fields: object
) -> None:
    response = await client.put(f"/api/v1/admin/queues/{queue_id}", json=fields, headers=admin)
    assert response.status_code in {200, 201}, response.text


async def test_prequeue_shows_the_opening_countdown(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    opens_at = time.time() + 3600
    await configure(client, unique_id, admin_headers, rate_per_minute=60, opens_at=opens_at)
    look = await client.get(f"/q/{unique_id}")  # before joining: the queue, and a way in
    assert 'data-state="prequeue"' in look.text and 'data-place="none"' in look.text
    assert "Opens at " + time.strftime("%H:%M UTC", time.gmtime(opens_at)) in look.text
    assert "gets a random place at opening" in look.text
    await join_with_button(client, unique_id)
    page = await client.get(f"/q/{unique_id}")
    assert 'data-state="prequeue"' in page.text
    assert 'id="opens-row"' in page.text and 'id="opens-row" hidden' not in page.text
    assert "gets a random place at opening" in page.text
    status = (await client.get(f"/api/v1/queues/{unique_id}/status")).json()
    assert status["state"] == "prequeue" and status["opens_at"] == pytest.approx(opens_at)
    assert abs(status["server_time"] - time.time()) < 5


async def test_paused_with_reason_then_sold_out(
    client: httpx.AsyncClient, unique_id: str, admin_headers: dict[str, str]
) -> None:
    await configure(
        client, unique_id, admin_headers, state="paused", pause_reason="Stage check <5 min>"
    )
    look = await client.get(f"/q/{unique_id}?lang=et")
    assert "Järjekord on peatatud: Stage check &lt;5 min&gt;. Saad kohe liituda" in look.text
    await join_with_button(client, unique_id)
    page = await client.get(f"/q/{unique_id}?lang=et")
    assert "Järjekord on peatatud: Stage check &lt;5 min&gt;. Sinu koht on alles." in page.text
    assert '<meta http-equiv="refresh"' in page.text  # inside <noscript>
    seconds, url = page.headers["refresh"].split("; url=")
    assert int(seconds) >= 2 and url == f"/q/{unique_id}"  # contract: works without JS
    client.cookies.set("wr_js", "1")  # set by the page's script: it polls, so no reloads
    assert "refresh" not in (await client.get(f"/q/{unique_id}?lang=et")).headers
    await configure(client, unique_id, admin_headers, state="sold_out")
    await client.get(f"/api/v1/admin/queues/{unique_id}", headers=admin_headers)
    page = await client.get(f"/q/{unique_id}?lang=ru")
    assert "К сожалению, все билеты проданы. Очередь завершена." in page.text  # noqa: RUF001
    assert '<meta http-equiv="refresh"' not in page.text
    newcomer = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with newcomer:
        closed = await newcomer.get(f"/q/{unique_id}", headers={"accept-language": "zh-CN"})
    assert closed.status_code == 200 and "所有门票均已售出" in closed.text
    assert 'id="join-form"' not in closed.text and "refresh" not in closed.headers


async def test_unknown_queue_page_is_a_friendly_404(client: httpx.AsyncClient) -> None:
    page = await client.get("/q/no-such-queue-here", headers={"accept-language": "et"})
    assert page.status_code == 404 and "Järjekorda ei leitud" in page.text
