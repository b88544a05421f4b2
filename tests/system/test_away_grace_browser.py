"""A place kept while away, in a real headless Chromium against two uvicorn workers: a fan
closes the tab, the pointer skips the place, and the fan comes back

- within the grace: the page says "welcome back" and the fan is admitted at the next admission
  step, while the fans who joined later still wait;
- after the grace: the page says plainly that the place was given up and offers a new one; the
  button takes a place at the back.

Short settings: abandonment after 2 s (the script's floor), one admission every 2 s.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import server_environment
from tests.support.accessibility import Audit, prepare
from tests.support.servers import ServerProcess
from tests.system.test_fan_page_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SOUND_ALLOWED,
    configure,
    places,
    until,
)

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs the system chromium"),
]


@pytest.fixture(scope="module")
def server(redis_url: str) -> Iterator[ServerProcess]:
    environment = server_environment(
        redis_url, WAITROOM_POLL_INTERVAL_MIN_MS="300", WAITROOM_POLL_INTERVAL_MAX_MS="1000"
    )
    process = ServerProcess("waitroom.web.app:create_app_from_environ", environment, workers=2)
    with process:
        yield process


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as running:
        launched = running.chromium.launch(
            executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, SOUND_ALLOWED]
        )
        yield launched
        launched.close()


class Fans:
    """Fans who joined after the one in the browser and keep their pages polling (API)."""

    def __init__(self, server: ServerProcess, queue_id: str, count: int) -> None:
        self.url = f"{server.base_url}/api/v1/queues/{queue_id}"
        self.tokens = [
            httpx.post(f"{self.url}/join").json()["token"] for _ in range(count)
        ]

    def poll(self, index: int) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[index]}"}
        body: dict[str, Any] = httpx.get(f"{self.url}/status", headers=headers).json()
        return body

    def poll_all(self) -> list[dict[str, Any]]:
        return [self.poll(index) for index in range(len(self.tokens))]


def _away_while_skipped(
    server: ServerProcess, browser: Any, grace_seconds: int, language: str = "en"
) -> tuple[str, Any, Fans]:
    """A fan joins in the browser (place 1; one admission a minute: it waits), three join
    after; the fan closes the tab; the others keep polling while the pointer skips place 1 and
    admits place 2."""
    queue_id = "t" + secrets.token_hex(5)
    configure(
        server, queue_id, rate_per_minute=1, redirect_url="/shop/", abandon_after_seconds=2,
        burst=1, away_grace_seconds=grace_seconds,
    )
    context = browser.new_context(base_url=server.base_url, viewport={"width": 360, "height": 740})
    prepare(context)  # axe-core in every page, before the page's own scripts
    page = context.new_page()
    page.goto(f"/q/{queue_id}?lang={language}")
    until(lambda: page.locator("#status").get_attribute("data-state") == "waiting", page)
    assert page.locator("#position").inner_text() == "1"
    message = page.locator("#status-message").inner_text()
    fans = Fans(server, queue_id, 3)
    page.close()  # the tab is closed: no more polls from this fan
    deadline = time.monotonic() + 4.5  # two abandonment periods
    while time.monotonic() < deadline:
        fans.poll_all()
        time.sleep(0.25)
    configure(server, queue_id, rate_per_minute=30)
    deadline = time.monotonic() + 15
    while fans.poll(0)["state"] != "admitted":
        assert time.monotonic() < deadline, "place 2 was never admitted"
        fans.poll_all()
        time.sleep(0.25)
    return message, context, fans


@pytest.mark.slow  # real abandonment periods (2 s each)
def test_back_within_the_grace_the_fan_goes_in_at_the_next_step(
    server: ServerProcess, browser: Any
) -> None:
    message, context, fans = _away_while_skipped(server, browser, grace_seconds=600)
    # the page told the real rule before the fan left
    assert "your place is kept for 10 min" in message
    page = context.new_page()
    page.goto(f"/q/{fans.url.rsplit('/', 1)[-1]}")
    assert page.locator("#position").inner_text() == "1"
    assert "Welcome back" in page.locator("#status-message").inner_text()
    until(lambda: page.locator("#status").get_attribute("data-state") == "admitted", page, 15)
    assert page.locator("#go").is_visible()
    # the fans who joined after the returning fan are still waiting
    assert [body["state"] for body in fans.poll_all()[1:]] == ["waiting", "waiting"]
    context.close()


@pytest.mark.slow
def test_away_longer_than_the_grace_is_told_and_offered_a_new_place(
    server: ServerProcess, browser: Any
) -> None:
    message, context, fans = _away_while_skipped(server, browser, grace_seconds=1, language="et")
    assert "hoitakse sinu kohta 1 min" in message  # the rule, in Estonian
    time.sleep(1.2)
    queue_id = fans.url.rsplit("/", 1)[-1]
    page = context.new_page()
    page.goto(f"/q/{queue_id}")
    text = page.locator("#status-message").inner_text()
    assert "läks sinu koht kaotsi" in text
    assert page.locator("#status").get_attribute("data-state") == "closed"
    assert page.locator("#turn").is_hidden()
    audit = Audit()
    for language in ("et", "ru", "zh", "en"):  # the page that says the place was given up
        page.goto(f"/q/{queue_id}?lang={language}")
        audit.check(page, f"away too long [{language}]")
    assert not audit.found, audit.report()
    rejoin = page.locator("#rejoin")
    assert rejoin.is_visible()
    tail = places(server, queue_id)
    rejoin.locator("button").click()
    # waiting, or already admitted: the fans ahead stopped polling during the audits, so their
    # places may be skipped and the next admission step (2 s) reach the new place at once
    until(
        lambda: page.locator("#status").get_attribute("data-state") in {"waiting", "admitted"},
        page,
    )
    assert page.locator("#position").inner_text() == str(tail + 1)  # a new place at the back
    context.close()
