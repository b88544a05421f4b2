"""A real headless Chromium waits in the queue, answers a survey, fills the profile, is admitted,
goes through the gate into the real shop (``waitroom demo``'s app: waiting room + shop in one
uvicorn process), finds its tickets and checkout form pre-filled from the profile, pays with the
test card and sees its order with QR codes. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sale_backend.domain.payments import CARD_SUCCEEDS
from tests.conftest import ADMIN_TOKEN, server_environment
from tests.support.fan_page import go_to_the_shop
from tests.support.paths import REPOSITORY_ROOT
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPOSITORY_ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PROFILE = {"name": "Mari Maasikas", "email": "mari@example.ee", "quantity": "2"}
PROFILE_TIER = ("bundle", "Ticket + tour shirt")  # a ticket type of the demo event
OTHERS_AHEAD = 4


@pytest.fixture(scope="module")
def server(redis_url: str) -> Iterator[tuple[ServerProcess, str]]:
    """``waitroom demo``'s app on the test Redis, for a fresh queue (and its sample event)."""
    queue_id = "t" + secrets.token_hex(5)
    environment = server_environment(
        redis_url,
        WAITROOM_POLL_INTERVAL_MIN_MS="300",
        WAITROOM_POLL_INTERVAL_MAX_MS="1000",
        WAITROOM_SHOP_QUEUE_ID=queue_id,
        WAITROOM_STAFF_TOKEN="browser-staff-token-" + "x" * 16,
    )
    process = ServerProcess("waitroom.demo:create_demo_app_from_environ", environment)
    process.start()
    try:
        yield process, queue_id
    finally:
        process.stop()


def admin(client: httpx.Client, method: str, path: str, body: dict[str, Any]) -> None:
    response = client.request(
        method, path, json=body, headers={"authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert response.status_code in {200, 201}, response.text


def set_up_queue(base_url: str, queue_id: str) -> None:
    """The demo queue paused, with a survey and an upsell (the demo offers the event's ticket
    types in the profile form), and fans ahead of the browser."""
    with httpx.Client(base_url=base_url) as client:
        admin(
            client,
            "PUT",
            f"/api/v1/admin/queues/{queue_id}",
            {"rate_per_minute": 0, "redirect_url": "/shop/"},
        )
        admin(
            client,
            "PUT",
            f"/api/v1/admin/queues/{queue_id}/surveys",
            {
                "surveys": [
                    {
                        "id": "song",
                        "title": "Which song should open the show?",
                        "questions": [
                            {
                                "id": "pick",
                                "text": "Pick one",
                                "type": "single",
                                "options": [
                                    {"id": "first", "label": "The first single"},
                                    {"id": "new", "label": "Something new"},
                                ],
                            },
                            {
                                "id": "why",
                                "text": "Why?",
                                "type": "text",
                                "max_length": 80,
                                "required": False,
                            },
                        ],
                    }
                ]
            },
        )
        admin(
            client,
            "PUT",
            f"/api/v1/admin/queues/{queue_id}/upsells",
            {
                "upsells": [
                    {
                        "id": "shirt",
                        "title": "Tour shirt",
                        "price_minor": 2500,
                        "currency": "EUR",
                        "link_url": "/static/waitroom/style.css",
                    }
                ]
            },
        )
    for _ in range(OTHERS_AHEAD):
        with httpx.Client(base_url=base_url) as other:
            assert other.post(f"/api/v1/queues/{queue_id}/join").status_code == 201


def check_shop_landing(page: Any, queue_id: str) -> None:
    """The fan lands in the shop; the event page pre-selects the profile's ticket type and
    quantity; the checkout form (after holding them) carries the profile's name and e-mail."""
    page.wait_for_url("**/shop/?lang=en")  # the queue page's language, handed on
    page.get_by_role("link", name="Demo concert").click()
    page.wait_for_url(f"**/shop/events/{queue_id}-concert")
    tier_id, tier_name = PROFILE_TIER
    quantities = page.locator("input[type=number]")
    chosen = {
        str(quantities.nth(index).get_attribute("name")): quantities.nth(index).input_value()
        for index in range(quantities.count())
    }
    assert chosen.pop(f"qty_{tier_id}") == PROFILE["quantity"]
    assert chosen and set(chosen.values()) == {"0"}, chosen
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="Hold my tickets").click()
    page.wait_for_url("**/shop/holds/*")
    assert page.get_by_label("Name").input_value() == PROFILE["name"]
    assert page.get_by_label("Email").input_value() == PROFILE["email"]
    lines = page.locator("main li").all_inner_texts()
    assert len(lines) == int(PROFILE["quantity"]), lines
    assert all(line.startswith(f"{tier_name}:") for line in lines), lines
    timer = page.locator("#cart-timer").inner_text()
    assert re.fullmatch(r"(9|10):\d\d", timer), timer
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def pay_and_check_order(page: Any) -> None:
    """The test card that succeeds; the order page shows one QR code per ticket."""
    page.get_by_label("Card number").fill(CARD_SUCCEEDS)
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    page.wait_for_url("**/shop/orders/*")
    assert page.get_by_role("heading", name="Your tickets: Demo concert").count() == 1
    summary = page.locator("main p").first.inner_text()
    assert "paid" in summary and PROFILE["name"] in summary and PROFILE["email"] in summary
    tickets = page.locator("section.ticket")
    assert tickets.count() == int(PROFILE["quantity"])
    for index in range(tickets.count()):
        ticket = tickets.nth(index)
        title = f"Ticket {index + 1} of {tickets.count()}, {PROFILE_TIER[1]}"
        assert ticket.get_by_role("heading").inner_text() == title
        assert ticket.locator(".qr svg").count() == 1
        qr_name = re.compile(re.escape(title) + r", code [2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-..$")
        assert ticket.get_by_role("img", name=qr_name).count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def ahead(page: Any) -> int:
    return int(page.locator("#ahead").inner_text())


def wait_for_ahead_at_most(page: Any, target: int, timeout_seconds: float = 15.0) -> int:
    """Polls the page's own figure (the page's CSP forbids evaluating strings in it)."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        value = ahead(page)
        if value <= target:
            return value
        page.wait_for_timeout(100)
    raise AssertionError(f"people ahead stayed above {target}")


@pytest.mark.slow
def test_fan_waits_is_admitted_and_buys_with_the_profile_filled_in(
    server: tuple[ServerProcess, str],
) -> None:
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    process, queue_id = server
    base_url = process.base_url
    set_up_queue(base_url, queue_id)
    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, locale="en-GB", base_url=base_url
        )
        context.grant_permissions(["notifications"], origin=base_url)
        page = context.new_page()
        page.on("request", lambda request: requested.append(request.url))
        page.goto(f"/q/{queue_id}")
        assert page.locator("#position").inner_text() == str(OTHERS_AHEAD + 1)
        assert ahead(page) == OTHERS_AHEAD
        assert "paused" in page.locator("#status-message").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

        # language switcher: Estonian, then back to English (the choice sticks in a cookie)
        page.get_by_role("link", name="Eesti").click()
        assert page.locator("html").get_attribute("lang") == "et"
        assert "Sinu number" in page.locator(".figures").inner_text()
        page.get_by_role("link", name="English").click()
        assert page.locator("html").get_attribute("lang") == "en"

        # active waiting: a survey and the pre-checkout profile
        survey = page.locator("#survey-song")
        survey.get_by_label("Something new").check()
        survey.locator("textarea").fill("It would be a surprise")
        survey.get_by_role("button", name="Send").click()
        page.get_by_text("Thank you for answering!").wait_for()
        page.get_by_label("Name").fill(PROFILE["name"])
        page.get_by_label("E-mail").fill(PROFILE["email"])
        page.get_by_label("Preferred ticket type").select_option(label=PROFILE_TIER[1])
        page.get_by_label("Number of tickets").fill(PROFILE["quantity"])
        page.get_by_role("button", name="Save").click()
        page.get_by_text("Saved. The shop will fill this in for you.").wait_for()

        # not lost: a reload keeps the place, the answers and the profile
        page.reload()
        assert page.locator("#position").inner_text() == str(OTHERS_AHEAD + 1)
        assert page.get_by_label("Name").input_value() == PROFILE["name"]
        assert page.locator("#survey-song").get_by_text("Thank you for answering!").count() == 1
        page.locator("#sound-toggle").check()
        reopened = context.new_page()  # closing the tab and coming back keeps the place too
        reopened.goto(f"/q/{queue_id}")
        assert reopened.locator("#position").inner_text() == str(OTHERS_AHEAD + 1)
        reopened.close()

        # the organizer opens the gate: one fan per second; the place visibly moves
        with httpx.Client(base_url=base_url) as client:
            admin(client, "PUT", f"/api/v1/admin/queues/{queue_id}", {"rate_per_minute": 60})
        seen = [ahead(page)]
        for target in (OTHERS_AHEAD - 1, OTHERS_AHEAD - 3):
            seen.append(wait_for_ahead_at_most(page, target))
        assert seen == sorted(seen, reverse=True) and seen[-1] < seen[0]
        page.screenshot(path=str(ARTIFACTS / "fan_queue_waiting.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

        # your turn: state, title, pass countdown, then through the gate into the shop
        expect(page.locator("#status")).to_have_attribute("data-state", "admitted", timeout=15_000)
        assert page.title().startswith("Your turn!")
        expect(page.locator("#pass-countdown")).to_have_text(re.compile(r"^1[45]:\d\d$"))
        assert page.locator("#eta").inner_text() == "now"
        page.screenshot(path=str(ARTIFACTS / "fan_queue_admitted.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        go_to_the_shop(page)
        check_shop_landing(page, queue_id)
        page.screenshot(path=str(ARTIFACTS / "fan_checkout_prefilled.png"), full_page=True)
        pay_and_check_order(page)
        page.screenshot(path=str(ARTIFACTS / "fan_order.png"), full_page=True)
        browser.close()

    foreign = [url for url in requested if not url.startswith(base_url)]
    assert foreign == [], f"third-party requests: {foreign}"
    with httpx.Client(base_url=base_url) as client:
        results = client.get(
            f"/api/v1/admin/queues/{queue_id}/survey-results",
            headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
        ).json()
    assert results["surveys"][0]["responses"] == 1
