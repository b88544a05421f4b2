"""Pause means pause: from the moment it is set nobody new is admitted, including fans who join
below the pointer (an idle queue's pointer runs up to ``burst`` places past the tail), on every
process, whatever its cached view says; resuming continues at the set rate with no burst."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from redis.asyncio import Redis

from tests.conftest import ADMIN_TOKEN, server_environment
from tests.support.servers import ServerProcess
from waitroom.admission import AdmissionStore
from waitroom.storage.keys import QueueKeys
from waitroom.storage.script_replies import JoinReply

ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}
BURST = 10


async def idle_open_queue(store: AdmissionStore, queue_id: str) -> None:
    """An open queue at 60,000 a minute whose pointer ran BURST places past the tail."""
    await store.configure(queue_id, {"rate_per_minute": 60_000, "burst": BURST})
    await asyncio.sleep(0.05)
    snapshot = await store.snapshot(queue_id)
    assert snapshot.serving == snapshot.tail + BURST


async def test_fans_who_join_a_paused_queue_are_not_admitted(
    redis: Redis, unique_id: str
) -> None:
    store = AdmissionStore(redis, default_burst=5)
    await idle_open_queue(store, unique_id)
    await store.configure(unique_id, {"state": "paused"})
    joined = [await store.join(unique_id, f"fan-{index}") for index in range(BURST)]
    after = await store.snapshot(unique_id)
    for reply in joined:
        assert isinstance(reply, JoinReply)
        assert reply.state == "paused" and reply.position > reply.serving
        assert reply.position > after.serving
    assert after.serving == after.tail - BURST  # nobody who joined was let in


async def test_rate_zero_admits_nobody_new_either(redis: Redis, unique_id: str) -> None:
    store = AdmissionStore(redis, default_burst=5)
    await idle_open_queue(store, unique_id)
    await store.configure(unique_id, {"rate_per_minute": 0})
    reply = await store.join(unique_id, "fan")
    assert isinstance(reply, JoinReply) and reply.position > reply.serving


async def test_resume_continues_at_the_rate_with_no_burst(redis: Redis, unique_id: str) -> None:
    store = AdmissionStore(redis, default_burst=5)
    await idle_open_queue(store, unique_id)
    await store.configure(unique_id, {"state": "paused"})
    for index in range(40):
        await store.join(unique_id, f"fan-{index}")
    paused = await store.snapshot(unique_id)
    await store.configure(unique_id, {"state": "open", "rate_per_minute": 600})
    resumed_ms = int(await redis.hget(QueueKeys(unique_id).counters, "last_ms") or 0)
    assert (await store.snapshot(unique_id)).serving - paused.serving <= 1
    await asyncio.sleep(0.5)
    later = await store.snapshot(unique_id)
    # exactly 10 a second from the instant of the resume: nothing banked during the pause
    assert later.serving - paused.serving == (later.redis_now_ms - resumed_ms) * 600 // 60_000


@pytest.fixture
def two_processes(redis_url: str) -> Iterator[list[ServerProcess]]:
    """Two waiting-room processes on two loopback hosts; their views stay cached for 5 s, so
    the second one answers from a view read before the pause."""
    environment = server_environment(
        redis_url,
        WAITROOM_QUEUE_VIEW_REFRESH_SECONDS="5",
        WAITROOM_DEFAULT_BURST=str(BURST),
        WAITROOM_POLL_INTERVAL_MIN_MS="300",
        WAITROOM_POLL_INTERVAL_MAX_MS="600",
    )
    servers = [
        ServerProcess("waitroom.web.app:create_app_from_environ", environment, host=host)
        for host in ("127.0.0.1", "127.0.0.2")
    ]
    for server in servers:
        server.start()
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


async def pause_after_views_are_cached(
    servers: list[ServerProcess], queue_id: str, client: httpx.AsyncClient
) -> None:
    first, second = (server.base_url for server in servers)
    created = await client.put(
        f"{first}/api/v1/admin/queues/{queue_id}",
        json={"rate_per_minute": 60_000, "burst": BURST},
        headers=ADMIN,
    )
    assert created.status_code == 201
    await asyncio.sleep(0.05)
    for base in (first, second):  # each process reads (and caches) the idle queue's view
        warm = await client.post(f"{base}/api/v1/queues/{queue_id}/join")
        assert warm.json()["state"] == "admitted"
        client.cookies.clear()
    paused = await client.put(
        f"{first}/api/v1/admin/queues/{queue_id}", json={"state": "paused"}, headers=ADMIN
    )
    assert paused.status_code == 200


async def test_joins_during_a_pause_from_two_processes_admit_nobody(
    two_processes: list[ServerProcess], unique_id: str
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        await pause_after_views_are_cached(two_processes, unique_id, client)
        tokens: list[tuple[str, str]] = []
        for index in range(2 * BURST):
            base = two_processes[index % 2].base_url
            client.cookies.clear()
            joined = await client.post(f"{base}/api/v1/queues/{unique_id}/join")
            body = joined.json()
            assert joined.status_code == 201
            assert body["state"] == "paused" and "pass" not in body, body
            tokens.append((base, body["token"]))
        client.cookies.clear()
        for _, token in tokens:  # every fan polls both processes: still nobody admitted
            for server in two_processes:
                polled = await client.get(
                    f"{server.base_url}/api/v1/queues/{unique_id}/status",
                    headers={"authorization": f"Bearer {token}"},
                )
                body = polled.json()
                assert body["state"] == "paused" and "pass" not in body, (server.host, body)
        figures = (
            await client.get(
                f"{two_processes[1].base_url}/api/v1/admin/queues/{unique_id}", headers=ADMIN
            )
        ).json()
        assert figures["admitted_total"] == 2  # the two fans who joined before the pause
        assert figures["queue_length"] == 2 * BURST


@pytest.mark.browser
@pytest.mark.slow
def test_a_browser_joining_during_the_pause_sees_the_paused_page(
    two_processes: list[ServerProcess], unique_id: str
) -> None:
    from playwright.sync_api import sync_playwright

    from tests.system.test_fan_browser import CHROMIUM, CHROMIUM_ARGS

    async def prepare() -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            await pause_after_views_are_cached(two_processes, unique_id, client)

    asyncio.run(prepare())
    second = two_processes[1].base_url  # its cached view still shows the open queue
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(base_url=second)
            states: list[str] = []
            page.on(
                "response",
                lambda response: states.append(response.json()["state"])
                if "/status" in response.url and response.status == 200
                else None,
            )
            page.goto(f"/q/{unique_id}")
            # the visitor page (no place yet) previews the queue from this process's stale
            # view; its script joins and loads the page of the place, which is what is checked
            page.wait_for_selector("#status[data-status-url]")
            assert page.locator("#status").get_attribute("data-state") == "paused"
            assert "paused" in page.locator("#status-message").inner_text()
            # the page reads the shared frame (this process's stale view may say "open") and
            # asks for its status to claim the pass: the status stays paused, never a pass
            seen: set[str] = set()
            for _ in range(25):  # 2.5 s, within the stale view's 5 s
                page.wait_for_timeout(100)
                seen.add(str(page.locator("#status").get_attribute("data-state")))
            assert states and set(states) == {"paused"}, states
            assert "admitted" not in seen, seen
            assert not page.title().startswith("Your turn!")
        finally:
            browser.close()
