"""A real headless Chromium through the connector, in the deployed topology: the queue on
127.0.0.1 and the shop (``sale_backend``, two workers) on 127.0.0.2, two uvicorn services on
one Redis. A loop detector counts every navigation and redirect and fails on a loop."""

from __future__ import annotations

import re
import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sale_backend.domain.payments import CARD_SUCCEEDS
from tests.support.connector_hosts import Hosts, protected_shop
from tests.support.fan_page import go_to_the_shop
from tests.system.test_fan_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser

MAX_VISITS_PER_URL = 4
"""A journey's honest visits of the queue page: a look (the page's script takes the place and
loads the page of the place: two visits), the way back after the purchase, a new place."""
MAX_REDIRECTS_IN_A_ROW = 2


class LoopDetector:
    """Every main-frame navigation and redirect of a page; ``check`` fails on a loop."""

    def __init__(self, page: Any) -> None:
        self.visits: Counter[str] = Counter()
        self.redirects_in_a_row = 0
        self.longest_chain = 0
        page.on("framenavigated", self._navigated)
        page.on("response", self._response)
        self.page = page

    def _navigated(self, frame: Any) -> None:
        if frame == self.page.main_frame:
            self.visits[frame.url] += 1

    def _response(self, response: Any) -> None:
        if response.request.resource_type != "document":
            return
        if 300 <= response.status < 400:
            self.redirects_in_a_row += 1
            self.longest_chain = max(self.longest_chain, self.redirects_in_a_row)
        else:
            self.redirects_in_a_row = 0

    def check(self) -> None:
        looping = {url: count for url, count in self.visits.items() if count > MAX_VISITS_PER_URL}
        assert not looping, f"navigation loop: {looping}"
        assert self.longest_chain <= MAX_REDIRECTS_IN_A_ROW, f"{self.longest_chain} redirects"


@pytest.fixture(scope="module")
def hosts(redis_url: str) -> Iterator[Hosts]:
    with protected_shop(redis_url, "browse" + uuid.uuid4().hex[:6]) as started:
        yield started


@pytest.fixture(scope="module")
def short_hosts(redis_url: str) -> Iterator[Hosts]:
    """Passes of 6 s that a held cart cannot extend (sessions last at most 1 s past their
    claim), no clock leeway: the pass runs out during checkout, the cart still on screen."""
    with protected_shop(
        redis_url,
        "short" + uuid.uuid4().hex[:6],
        WAITROOM_PASS_TTL_SECONDS="6",
        WAITROOM_SESSION_MAX_SECONDS="1",
        WAITROOM_CLOCK_LEEWAY_SECONDS="0",
    ) as started:
        yield started


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def admitted_page(browser: Any, hosts: Hosts) -> tuple[Any, LoopDetector]:
    """A fan's page on the queue, waiting until "Go to the shop" shows."""
    page = browser.new_context(locale="en-GB").new_page()
    loops = LoopDetector(page)
    page.goto(hosts.queue_url)
    page.get_by_role("link", name="Go to the shop").wait_for(timeout=15000)
    return page, loops


def hold_one_ticket(page: Any, hosts: Hosts) -> None:
    page.get_by_role("link", name="Test concert").click()
    page.wait_for_url(f"{hosts.shop.base_url}/events/{hosts.queue_id}")
    page.get_by_label("Quantity of Standard").fill("1")
    page.get_by_role("button", name="Hold my tickets").click()
    page.wait_for_url(re.compile(r".*/holds/.*"))


def pay(page: Any) -> None:
    page.get_by_label("Name").fill("Mari Maasikas")
    page.get_by_label("Email").fill("mari@example.ee")
    page.get_by_label("Card number").fill(CARD_SUCCEEDS)
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()


def test_fan_buys_in_a_shop_on_another_host_and_the_pass_is_used_up(
    chromium: Any, hosts: Hosts
) -> None:
    from playwright.sync_api import expect

    page, loops = admitted_page(chromium, hosts)
    link = str(page.locator("#go").get_attribute("href"))
    assert link.startswith(f"{hosts.shop.base_url}/?waitroom_pass=")
    before = hosts.active_sessions()
    go_to_the_shop(page)
    # the shop's own 303 stripped the pass and kept the queue page's language
    page.wait_for_url(f"{hosts.shop.base_url}/?lang=en")
    expect(page.locator("#session-timer")).to_have_text(re.compile(r"^1[45]:\d\d$"))
    assert hosts.active_sessions() == before + 1

    # a copy of the link in a second browser: refused, explained; the first keeps shopping
    copier = chromium.new_context(locale="en-GB").new_page()
    copied = copier.goto(link)
    assert copied.status == 409
    expect(copier.get_by_role("heading")).to_have_text("This pass is already in use")
    expect(copier.get_by_role("link", name="Join the queue again")).to_have_attribute(
        "href", hosts.queue_url + "?lang=en"
    )
    copier.context.close()

    hold_one_ticket(page, hosts)
    pay(page)
    page.wait_for_url(re.compile(r".*/orders/.*\?access=.*"))
    assert page.locator(".ticket .qr svg").count() == 1
    assert page.locator("#session-timer").count() == 0  # the session ended with the purchase
    assert hosts.active_sessions() == before  # the slot is freed at once
    # the answer that ended the session cleared the shop's cookie
    assert not [c for c in page.context.cookies() if c["name"].startswith("wr_site_")]

    page.goto(hosts.queue_url)
    expect(page.locator("#status-message")).to_have_text(
        "You have completed your purchase. Thank you!"
    )
    expect(page.locator("#turn")).to_be_hidden()
    expect(page.get_by_role("button", name="Join the queue again")).to_be_visible()
    assert "waitroom_pass" not in page.content()

    again = page.goto(link)  # the same pass link after the purchase
    assert again.status == 410
    expect(page.get_by_role("heading")).to_have_text("You have completed your purchase")
    page.get_by_role("link", name="Join the queue again").click()
    page.wait_for_url(hosts.queue_url + "?lang=en")
    loops.check()
    page.context.close()


@pytest.mark.slow
def test_a_pass_that_runs_out_during_checkout_is_explained_without_a_loop(
    chromium: Any, short_hosts: Hosts
) -> None:
    from playwright.sync_api import expect

    hosts = short_hosts
    page, loops = admitted_page(chromium, hosts)
    old_place = page.locator("#position").inner_text()
    go_to_the_shop(page)
    page.wait_for_url(f"{hosts.shop.base_url}/?lang=en")
    hold_one_ticket(page, hosts)
    seconds_left = int(str(page.locator("#session-timer").get_attribute("data-seconds-left")))
    assert seconds_left <= 6
    expect(page.locator("#session-timer")).to_have_text(
        re.compile("time is up"), timeout=(seconds_left + 3) * 1000
    )
    page.wait_for_timeout(1500)  # the countdown shows whole seconds: be past the deadline
    pay(page)  # pressing Pay after the deadline
    expect(page.get_by_role("heading")).to_have_text("Your shopping time has ended")
    assert "tickets held in your cart go back on sale" in page.content()
    page.get_by_role("link", name="Join the queue again").click()
    page.wait_for_url(hosts.queue_url + "?lang=en")
    expect(page.locator("#status-message")).to_have_text(
        "Your pass or your shopping time has run out."
    )
    expect(page.locator("#turn")).to_be_hidden()  # no second pass for the place
    page.get_by_role("button", name="Join the queue again").click()
    page.wait_for_url(re.compile(re.escape(hosts.queue_url) + r"(\?lang=en)?$"))
    expect(page.get_by_role("link", name="Go to the shop")).to_be_visible(timeout=15000)
    assert page.locator("#position").inner_text() != old_place  # a new place at the back
    loops.check()
    page.context.close()
