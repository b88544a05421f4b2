"""Accessibility kept measurable: an axe-core audit (WCAG 2.0-2.2, levels A and AA) of every
page a fan, a buyer, door staff and an organizer see, in one real headless Chromium against
``waitroom demo``'s app (waiting room and shop in one uvicorn process).

Fan pages and the door scanner's pages are audited in English, Estonian, Russian and Chinese at
360 px, and in English at 1280 px too; the shop, order and dashboard pages at 360 and 1280 px.
The journey is the fans' own: a look at the queue, joining, a quiz answered, a failed form, an
invite code, the turn (with its alert), the shop, an order, a refund's confirmation, the queue
page after the purchase; then the door scanner and the organizer's dashboard. Every violation
of every page is reported at once."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sale_backend.domain.payments import CARD_SUCCEEDS
from tests.conftest import ADMIN_TOKEN, server_environment
from tests.integration.test_fan_surveys import FEEDBACK, QUIZ
from tests.support.accessibility import DESKTOP, PHONE, Audit, prepare, violations
from tests.support.servers import ServerProcess

CHROMIUM = Path("/usr/bin/chromium")
playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,  # about forty pages, each audited several times
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs the system chromium"),
]
ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}
STAFF_TOKEN = "audit-staff-token-" + "x" * 16
LANGUAGES = ("et", "ru", "zh", "en")  # English last: the journey goes on in English
BOTH = (PHONE, DESKTOP)


@pytest.fixture(scope="module")
def demo(redis_url: str) -> Iterator[tuple[ServerProcess, str]]:
    queue_id = "t" + secrets.token_hex(5)
    environment = server_environment(
        redis_url,
        WAITROOM_POLL_INTERVAL_MIN_MS="300",
        WAITROOM_POLL_INTERVAL_MAX_MS="1000",
        WAITROOM_SHOP_QUEUE_ID=queue_id,
        WAITROOM_STAFF_TOKEN=STAFF_TOKEN,
    )
    process = ServerProcess("waitroom.demo:create_demo_app_from_environ", environment)
    with process:
        yield process, queue_id


def admin(base: str, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.request(method, f"{base}{path}", json=body, headers=ADMIN)
    assert response.status_code in {200, 201}, response.text
    document: dict[str, Any] = response.json()
    return document


def until(check: Callable[[], bool], page: Any, timeout_seconds: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(100)


def fan_page(audit: Audit, page: Any, path: str, name: str) -> None:
    """A page in each language at 360 px, and in English at 1280 px too (the fans' pages and
    the door scanner's)."""
    for language in LANGUAGES:
        separator = "&" if "?" in path else "?"
        page.goto(f"{path}{separator}lang={language}")
        audit.check(page, f"{name} [{language}]", BOTH if language == "en" else (PHONE,))


def set_up(base: str, queue_id: str) -> str:
    """The demo queue paused with surveys, a quiz and an offer; an invite code for the lane."""
    admin(base, "PUT", f"/api/v1/admin/queues/{queue_id}", {"rate_per_minute": 0})
    admin(base, "PUT", f"/api/v1/admin/queues/{queue_id}/surveys", {"surveys": [FEEDBACK, QUIZ]})
    offer = {
        "id": "shirt",
        "title": "Tour shirt",
        "description": "Organic cotton, printed in Tallinn.",
        "price_minor": 2500,
        "currency": "EUR",
        "link_url": "/static/waitroom/style.css",
    }
    admin(base, "PUT", f"/api/v1/admin/queues/{queue_id}/upsells", {"upsells": [offer]})
    code = admin(
        base, "POST", f"/api/v1/admin/queues/{queue_id}/codes", {"kind": "priority", "label": "VIP"}
    )
    return str(code["code"])


def test_every_page_has_no_wcag_a_or_aa_violations(demo: tuple[ServerProcess, str]) -> None:
    server, queue_id = demo
    base = server.base_url
    code = set_up(base, queue_id)
    audit = Audit()
    errors: list[str] = []
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(base_url=base, viewport=PHONE)
        # the page's script polls: no Refresh header reloads a page while it is audited
        context.add_cookies([{"name": "wr_js", "value": "1", "url": base}])
        prepare(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        # the audit itself finds what it should: a picture without a text, a nameless field
        page.route(
            f"{base}/audit-self-check",
            lambda route: route.fulfill(
                content_type="text/html",
                body='<!doctype html><html lang="en"><title>x</title><main>'
                '<img src="/static/waitroom/style.css"><input></main></html>',
            ),
        )
        page.goto("/audit-self-check")
        found = " ".join(violations(page))
        assert "image-alt" in found and "label" in found, found

        # a look at the queue (after leaving: the page does not join by itself), a wrong link
        fan_page(audit, page, f"/q/{queue_id}?left=1", "queue, no place")
        fan_page(audit, page, "/q/no-such-queue", "queue not found")

        # joined by the page's script; the waiting page with surveys, offers and the profile
        page.goto(f"/q/{queue_id}")
        until(lambda: page.locator("#position").count() == 1, page)
        fan_page(audit, page, f"/q/{queue_id}", "queue, waiting")
        quiz = page.locator("#survey-band")
        quiz.get_by_label("Tartu").check()
        quiz.get_by_role("button", name="Send").click()
        page.locator("#survey-band .form-status").wait_for()
        quiz.get_by_label("Tallinn").check()
        quiz.get_by_label("One").check()
        quiz.get_by_role("button", name="Send").click()
        quiz.locator(".quiz-review").wait_for()
        audit.check(page, "queue, quiz answered (script)", BOTH)
        fan_page(audit, page, f"/q/{queue_id}", "queue, quiz review")

        # a form refused (no JavaScript would post it so): the page that leads back
        page.evaluate(
            """(action) => {
                const form = document.createElement("form");
                form.method = "post";
                form.action = action;
                for (const [name, value] of [["name", "Mari"], ["email", "not an address"]]) {
                    const input = document.createElement("input");
                    input.name = name;
                    input.value = value;
                    form.appendChild(input);
                }
                document.body.appendChild(form);
                form.submit();
            }""",
            f"/api/v1/queues/{queue_id}/profile",
        )
        page.wait_for_url(f"**/api/v1/queues/{queue_id}/profile")
        audit.check(page, "form refused", BOTH)

        # the code lane pages and the signed receipt
        page.goto(f"/q/{queue_id}/code")
        audit.check(page, "invite code", BOTH)
        page.get_by_label("Code").fill("WRONG-CODE-1")
        page.get_by_role("button", name="Use code").click()
        audit.check(page, "invite code refused", BOTH)
        page.goto(f"/q/{queue_id}/receipt")
        audit.check(page, "signed receipt", BOTH)

        # the turn: the alert banner (no sound chosen), then the shop
        page.goto(f"/q/{queue_id}")
        admin(base, "PUT", f"/api/v1/admin/queues/{queue_id}", {"rate_per_minute": 600})
        until(lambda: page.locator("#turn-alert").is_visible(), page)
        audit.check(page, "queue, your turn", BOTH)
        page.locator("#turn-alert").get_by_role("link", name="Go to the shop").click()
        page.wait_for_url("**/shop/?lang=en")  # the queue page hands its language on
        audit.check(page, "shop home", BOTH)
        page.get_by_role("link", name="Demo concert").click()
        page.wait_for_url("**/shop/events/*")
        audit.check(page, "shop event", BOTH)
        quantities = page.locator("input[type=number]")
        quantities.first.fill("1")
        page.get_by_role("button", name="Hold my tickets").click()
        page.wait_for_url("**/shop/holds/*")
        audit.check(page, "shop checkout", BOTH)
        page.get_by_label("Name").fill("Mari Maasikas")
        page.get_by_label("Email").fill("mari@example.ee")
        page.get_by_label("Card number").fill(CARD_SUCCEEDS)
        page.get_by_role("button", name=re.compile(r"^Pay ")).click()
        page.wait_for_url("**/shop/orders/*")
        audit.check(page, "order", BOTH)
        order_url = page.url
        page.get_by_role("link", name=re.compile(r"^Refund the whole order")).click()
        page.wait_for_url("**/refund?*")
        audit.check(page, "refund confirmation", BOTH)
        page.goto(order_url.split("?")[0] + "x")
        audit.check(page, "shop error", BOTH)

        # back at the queue after the purchase: the place is done, a new one may be taken
        fan_page(audit, page, f"/q/{queue_id}", "queue, purchase completed")

        # a fan with an invite code: the priority lane (the queue paused again)
        admin(base, "PUT", f"/api/v1/admin/queues/{queue_id}", {"rate_per_minute": 0})
        invited = context.browser.new_context(base_url=base, viewport=PHONE)
        invited.add_cookies([{"name": "wr_js", "value": "1", "url": base}])
        prepare(invited)
        lane = invited.new_page()
        lane.goto(f"/q/{queue_id}")
        until(lambda: lane.locator("#position").count() == 1, lane)
        lane.goto(f"/q/{queue_id}/code")
        lane.get_by_label("Code").fill(code)
        lane.get_by_role("button", name="Use code").click()
        lane.wait_for_url(f"**/q/{queue_id}/lane")
        audit.check(lane, "priority lane", BOTH)
        invited.close()

        # the door scanner: log in, the events, the scanner
        fan_page(audit, page, "/shop/staff/scan", "scanner login")
        page.goto("/shop/staff/scan?lang=en")
        page.fill("#door", "North gate")
        page.fill("#token", STAFF_TOKEN)
        page.get_by_role("button", name="Log in").click()
        page.locator("#scanner, main").first.wait_for()
        fan_page(audit, page, "/shop/staff/scan", "scanner")
        fan_page(audit, page, "/shop/staff/scan?event=", "scanner events")
        page.goto("/shop/staff/scan?lang=en")

        # the organizer's dashboard
        page.goto("/admin/login")
        audit.check(page, "dashboard login", BOTH)
        page.fill("#token", ADMIN_TOKEN)
        page.fill("#name", "dana")
        page.click("button[type=submit]")
        page.goto("/admin")
        audit.check(page, "dashboard queues", BOTH)
        page.goto(f"/admin/queues/{queue_id}")
        until(lambda: (page.text_content("#updated") or "now") != "now", page)
        audit.check(page, "dashboard", BOTH)
        browser.close()
    assert not audit.found, f"{len(audit.found)} of {audit.audits} audits:\n{audit.report()}"
    assert audit.audits >= 60
    assert errors == []
