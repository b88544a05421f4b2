"""A waiting fan's page in a real headless Chromium while the site's stock reports sell the
queue out and tickets come back: the page says so, keeps polling, and shows the fan back in
line without a reload; an organizer's sell-out is final (the page stops polling). The sold-out
page with its waiting-list offer passes the axe-core audit in the four languages."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN, server_environment
from tests.support.accessibility import Audit, prepare
from tests.support.mail_support import smtp_server
from tests.support.servers import ServerProcess
from tests.support.stock_support import figures, site_headers, stock_url
from waitroom.storage.embedded_redis import free_port

CHROMIUM = Path("/usr/bin/chromium")
playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,  # a server and a browser start; the page is watched for ~5 s
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs the system chromium"),
]
ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="module")
def server(redis_url: str) -> Iterator[ServerProcess]:
    port = free_port()
    with smtp_server() as smtp:  # e-mail on: a sold-out page offers the waiting list
        environment = server_environment(
            redis_url,
            **smtp.environment(),
            WAITROOM_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
            WAITROOM_POLL_INTERVAL_MIN_MS="300",
            WAITROOM_POLL_INTERVAL_MAX_MS="800",
        )
        factory = "waitroom.web.app:create_app_from_environ"
        with ServerProcess(factory, environment, port=port) as process:
            yield process


def until(check: Callable[[], bool], page: Any, timeout_seconds: float = 10.0) -> None:
    """Polled from Python (the page's CSP refuses eval-based waits)."""
    deadline = time.monotonic() + timeout_seconds
    while not check():
        assert time.monotonic() < deadline
        page.wait_for_timeout(100)


def test_the_page_follows_a_sell_out_by_stock_and_the_reopening(server: ServerProcess) -> None:
    queue_id = "t" + secrets.token_hex(5)
    base = server.base_url
    admin_url = f"{base}/api/v1/admin/queues/{queue_id}"
    created = httpx.put(admin_url, json={"rate_per_minute": 1, "burst": 1}, headers=ADMIN)
    assert created.status_code == 201
    for _ in range(3):  # fans ahead: the browser waits
        assert httpx.post(f"{base}/api/v1/queues/{queue_id}/join").status_code == 201

    def report(remaining: int) -> None:
        response = httpx.put(
            f"{base}{stock_url(queue_id, 'show')}",
            json=figures(remaining, 10),
            headers=site_headers(queue_id),
        )
        assert response.status_code == 200, response.text

    report(4)
    errors: list[str] = []
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            context = browser.new_context(locale="en-US")
            prepare(context)  # axe-core in every page, before the page's own scripts
            page = context.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{base}/q/{queue_id}")
            # the visitor page (no place yet) joins with its script and loads the page of the
            # place, which is what is checked
            page.wait_for_selector("#status[data-status-url]")

            def message() -> str:
                return page.text_content("#status-message") or ""

            def tickets() -> str:
                return page.text_content("#tickets") or ""

            assert "You are in the queue" in message() and "About 4 tickets left" in tickets()
            report(0)
            until(lambda: "some may come back" in message(), page)
            audit = Audit()
            for language in ("et", "ru", "zh", "en"):  # English last: the page goes on in it
                page.goto(f"{base}/q/{queue_id}?lang={language}")
                assert page.locator("form[action$='/waitlist']").count() == 1
                audit.check(page, f"sold out by stock, waiting-list offer [{language}]")
            assert not audit.found, audit.report()
            report(2)  # a cart ran out: the same page, no reload, back in line
            until(lambda: "You are in the queue" in message(), page)
            until(lambda: "About 2 tickets left" in tickets(), page)

            # the organizer sells out: final, the page stops polling
            httpx.put(admin_url, json={"state": "sold_out"}, headers=ADMIN).raise_for_status()
            until(lambda: "all tickets are sold" in message(), page)
            polls: list[str] = []
            page.on("request", lambda request: polls.append(request.url))
            page.wait_for_timeout(2000)
            assert not [url for url in polls if url.endswith("/status")]
        finally:
            browser.close()
    assert errors == []
