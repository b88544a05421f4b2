"""A real headless Chromium through the reverse-proxy connector as deployed (nginx with
``deploy/nginx/protect-any-site.conf`` on 127.0.0.2 in front of a static site, ``waitroom
serve`` on 127.0.0.1): sent to the queue, admitted, into the site without the pass in the
address bar, out through the site's own "done" link, and the old cookie opens nothing.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.fan_page import go_to_the_shop
from tests.support.proxy_support import Topology, topology
from tests.system.test_fan_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from waitroom.connector import session_cookie_name

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Topology]:
    queue_id = "pb" + secrets.token_hex(4)
    fast_polls = {"WAITROOM_POLL_INTERVAL_MIN_MS": "300", "WAITROOM_POLL_INTERVAL_MAX_MS": "600"}
    with topology(tmp_path_factory.mktemp("site"), redis_url, queue_id, **fast_polls) as running:
        yield running


def test_a_fan_queues_shops_behind_nginx_and_leaves_through_the_done_link(
    world: Topology,
) -> None:
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    site = world.site.base_url
    redirects: list[tuple[int, str]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(ignore_https_errors=True, locale="en-GB")
        page = context.new_page()

        def note_redirect(response: Any) -> None:
            if 300 <= response.status < 400:
                redirects.append((response.status, response.url))

        page.on("response", note_redirect)

        # no pass: the site sends the browser to the queue page (on the queue's host)
        page.goto(f"{site}/tickets.html")
        page.wait_for_url(world.queue_url)
        expect(page.locator("#status")).to_have_attribute("data-state", "admitted", timeout=15_000)
        page.screenshot(path=str(ARTIFACTS / "proxy_queue_admitted.png"), full_page=True)

        # admitted: into the static site, the pass gone from the address bar
        go_to_the_shop(page)
        page.wait_for_url(f"{site}/?lang=en")
        assert "waitroom_pass" not in page.url
        expect(page.get_by_role("heading", name="The tour shop")).to_be_visible()
        cookie_name = session_cookie_name(world.queue_id)
        (cookie,) = [c for c in context.cookies() if c["name"] == cookie_name]
        assert cookie["domain"] == "127.0.0.2" and cookie["secure"] and cookie["httpOnly"]
        assert cookie["sameSite"] == "Lax"
        old_cookie = dict(cookie)
        page.goto(f"{site}/tickets.html")
        expect(page.get_by_role("heading", name="Tickets")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "proxy_site_shopping.png"), full_page=True)

        # the site's own "done" link: back on the queue page, which says the purchase is done
        page.goto(f"{site}/")
        page.get_by_role("link", name="I am done shopping").click()
        page.wait_for_url(world.queue_url)
        expect(page.locator("#status-message")).to_contain_text("You have completed your purchase")
        page.screenshot(path=str(ARTIFACTS / "proxy_queue_after_end.png"), full_page=True)
        assert not [c for c in context.cookies() if c["domain"] == "127.0.0.2"]

        # the old cookie, put back, opens nothing: the explaining page, join again
        context.add_cookies([old_cookie])  # type: ignore[list-item]
        page.goto(f"{site}/tickets.html")
        expect(page.get_by_role("heading")).to_have_text("You have completed your purchase")
        page.screenshot(path=str(ARTIFACTS / "proxy_site_session_done.png"), full_page=True)
        page.get_by_role("link", name="Join the queue again").click()
        page.wait_for_url(world.queue_url + "?lang=en")
        browser.close()

    # every redirect was one step of the journey: no loop
    assert len(redirects) == len(set(redirects)) <= 4, redirects
