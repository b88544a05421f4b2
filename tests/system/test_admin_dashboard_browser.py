"""The organizer dashboard in a real headless Chromium, tried as an organizer would: live charts
drawn from the JSON API as inline SVG, figures that are true (survey answers, sales and the
sell-out forecast with its method), an audit log in words and local time, forms that redirect
after POST, confirmations that work without JavaScript, and a layout that fits a 360 px phone.
Every page: no script error, no CSP violation, no request to another site."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN
from tests.support.servers import ServerProcess
from tests.support.stock_support import figures, site_headers, stock_url

CHROMIUM = Path("/usr/bin/chromium")
playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs the system chromium"),
]

SURVEY = {
    "id": "genre",
    "title": "Your genre?",
    "questions": [
        {
            "id": "genre",
            "text": "Which one?",
            "options": [{"id": "rock", "label": "Rock"}, {"id": "jazz", "label": "Jazz"}],
        }
    ],
}


class Browser:
    """One Chromium; pages record script errors, CSP reports and foreign requests."""

    def __init__(self, browser: Any, base: str) -> None:
        self.browser = browser
        self.base = base
        self.problems: list[str] = []

    def page(self, **context: Any) -> Any:
        page = self.browser.new_context(**context).new_page()
        page.on("pageerror", lambda error: self.problems.append(f"script: {error}"))
        page.on(
            "console",
            lambda message: (
                self.problems.append(f"console: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        page.on(
            "request",
            lambda request: (
                None
                if request.url.startswith((self.base, "data:", "about:"))
                else self.problems.append(f"foreign: {request.url}")
            ),
        )
        return page

    def organizer(self, name: str = "dana", **context: Any) -> Any:
        page = self.page(**context)
        page.goto(f"{self.base}/admin/login")
        page.fill("#token", ADMIN_TOKEN)
        page.fill("#name", name)
        page.click("button[type=submit]")
        page.wait_for_url(f"{self.base}/admin")
        return page


@contextmanager
def chromium(base: str) -> Iterator[Browser]:
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        browser = Browser(launched, base)
        try:
            yield browser
        finally:
            launched.close()
    assert browser.problems == []


def wait_until(page: Any, condition: Any, timeout_seconds: float = 20) -> None:
    # polled from Python: a string predicate of wait_for_function is evaluated with eval() once
    # it is not true at once, which the page's CSP (rightly) refuses
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout_seconds
        page.wait_for_timeout(100)


def live_loaded(page: Any) -> bool:
    return (page.text_content("#updated") or "now") != "now"


def test_dashboard_draws_true_figures_and_applies_controls(
    waitroom_server: ServerProcess, unique_id: str, admin_headers: dict[str, str]
) -> None:
    base = waitroom_server.base_url
    admin = f"{base}/api/v1/admin/queues/{unique_id}"
    created = httpx.put(
        admin, json={"rate_per_minute": 30, "name": "Browser show"}, headers=admin_headers
    )
    assert created.is_success
    assert httpx.put(f"{admin}/surveys", json={"surveys": [SURVEY]}, headers=admin_headers)
    for choice in ("rock", "rock", "jazz"):
        token = httpx.post(f"{base}/api/v1/queues/{unique_id}/join").json()["token"]
        answered = httpx.post(
            f"{base}/api/v1/queues/{unique_id}/surveys/genre/answers",
            json={"answers": {"genre": choice}},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answered.status_code == 201
    minute = str(int(time.time() // 60))
    for event_id, body in (
        (
            "evening",
            figures(
                120,
                500,
                tiers=[{"tier_id": "ga", "name": "GA", "remaining": 120}],
                sold_by_minute={minute: 12},
            ),
        ),
        ("matinee", figures(7, 300)),
    ):
        reported = httpx.put(
            f"{base}{stock_url(unique_id, event_id)}", json=body, headers=site_headers(unique_id)
        )
        assert reported.status_code == 200, reported.text
    with chromium(base) as browser:
        page = browser.organizer(timezone_id="Europe/Tallinn")
        page.goto(f"{base}/admin/queues/{unique_id}")
        wait_until(page, lambda: live_loaded(page))
        assert (page.text_content("#fig-rate") or "").startswith("30 /")
        assert page.locator("#chart-admissions polyline, #chart-admissions circle").count() >= 3
        assert page.locator("#chart-sales polyline").count() == 1
        assert page.text_content("#fig-remaining") == "127"  # over both events
        stock_bars = page.text_content("#stock-tiers") or ""
        for caption in ("evening: 120 / 500", "evening · GA: 120", "matinee: 7 / 300"):
            assert caption in stock_bars
        # answers given on the fan page, live (not "No answers yet")
        survey = page.text_content("#survey") or ""
        assert "Your genre?" in survey and "3 answers" in survey
        assert "Rock: 2 (67 %)" in survey and "Jazz: 1 (33 %)" in survey
        # the forecast during a sale, with its method next to it
        assert "(in " in (page.text_content("#fig-sell-out") or "")
        method = page.text_content("#sell-out-method") or ""
        assert "127 tickets left ÷" in method and "sold per minute" in method
        # the audit log in words, in the organizer's time zone
        assert "Europe/Tallinn" in (page.text_content("#audit thead") or "")
        page.fill("#rate", "45")
        page.click("#settings-form button[type=submit]")
        page.wait_for_selector("#notice")
        wait_until(page, lambda: "45 /" in (page.text_content("#fig-rate") or ""))
        first_row = page.locator("#audit tbody tr").first
        assert first_row.locator("td").nth(1).text_content() == "dana (dashboard)"
        assert "admission rate set to 45 per minute" in (first_row.text_content() or "")
        assert "{" not in (page.text_content("#audit") or "")  # no raw JSON
    assert httpx.get(admin, headers=admin_headers).json()["rate_per_minute"] == 45


@pytest.mark.slow
def test_scheduling_in_the_organizers_zone_and_the_prequeue_in_the_fans(
    waitroom_server: ServerProcess, unique_id: str, admin_headers: dict[str, str]
) -> None:
    base = waitroom_server.base_url
    admin = f"{base}/api/v1/admin/queues/{unique_id}"
    httpx.put(admin, json={"rate_per_minute": 600, "name": "Scheduled"}, headers=admin_headers)
    opens_at = int(time.time()) + 15  # time for the steps below on a busy machine
    typed = datetime.fromtimestamp(opens_at, ZoneInfo("America/New_York"))
    tokyo = datetime.fromtimestamp(opens_at, ZoneInfo("Asia/Tokyo"))
    with chromium(base) as browser:
        page = browser.organizer(timezone_id="America/New_York")
        page.goto(f"{base}/admin/queues/{unique_id}")
        assert "America/New_York" in (page.text_content("label[for=opens-at]") or "")
        page.fill("#opens-at", typed.strftime("%Y-%m-%dT%H:%M:%S"))
        page.click("#schedule")
        notice = page.text_content("#notice") or ""
        assert f"{typed.strftime('%H:%M')} (America/New_York" in notice
        assert httpx.get(admin, headers=admin_headers).json()["opens_at"] == opens_at
        assert page.text_content("#state") == "pre-queue"
        fan = browser.page(timezone_id="Asia/Tokyo")
        fan.goto(f"{base}/q/{unique_id}")  # the page's script takes a place, then shows it
        fan.wait_for_selector("#opening-time", state="attached")
        # the server writes the time in UTC, the page's script then in the fan's zone
        wait_until(fan, lambda: "UTC" not in (fan.text_content("#opening-time") or "UTC"))
        opening = fan.text_content("#opening-time") or ""
        assert opening.startswith("The sale opens at")
        assert f"{tokyo.hour % 12 or 12}:{tokyo:%M}" in opening  # the page's language: English
        assert "GMT+9" in opening  # the fan's own zone, named
        assert not fan.is_visible("#ahead-row") and not fan.is_visible("#position-row")
        assert fan.is_visible("#opens-row")  # the countdown
        # after the opening the fan has a place drawn for them, and sees it
        wait_until(fan, lambda: fan.is_visible("#position-row"), 20)
        assert (fan.text_content("#position") or "").isdigit()
        assert not fan.is_visible("#opening")
    after = httpx.get(f"{base}/api/v1/queues/{unique_id}/prequeue").json()
    assert after["opened"] is True and after["count"] == 1


@pytest.mark.slow
def test_forms_redirect_after_post_and_confirm_what_stops_the_sale(
    waitroom_server: ServerProcess, unique_id: str, admin_headers: dict[str, str]
) -> None:
    base = waitroom_server.base_url
    admin = f"{base}/api/v1/admin/queues/{unique_id}"
    httpx.put(admin, json={"rate_per_minute": 30, "name": "Forms"}, headers=admin_headers)
    with chromium(base) as browser:
        page = browser.organizer()
        page.goto(f"{base}/admin/queues/{unique_id}")
        page.fill("input[name=label]", "fan club")
        page.click("#create-code")
        assert page.is_visible("#created-code")  # shown once
        page.reload()  # a reload after the redirect only reads: no second code
        assert not page.is_visible("#created-code")
        page.reload()
        codes = httpx.get(f"{admin}/codes", headers=admin_headers).json()["codes"]
        assert len(codes) == 1

        # without JavaScript: the confirmations are pages with a form of their own
        plain = browser.organizer("erin", java_script_enabled=False)
        plain.goto(f"{base}/admin/queues/{unique_id}")
        plain.click("#close")
        assert plain.locator("#confirmation").count() == 1
        assert "Close the queue?" in (plain.text_content("h1") or "")
        plain.click("#cancel")
        assert httpx.get(admin, headers=admin_headers).json()["state"] == "open"
        plain.fill("#rate", "0")
        plain.click("#settings-form button[type=submit]")
        assert "Set the admission rate to 0?" in (plain.text_content("h1") or "")
        plain.click("#confirm")
        assert "Settings saved." in (plain.text_content("#notice") or "")
        assert httpx.get(admin, headers=admin_headers).json()["rate_per_minute"] == 0
        plain.click("#close")
        with plain.expect_navigation():  # the post, then its redirect back to the dashboard
            plain.click("#confirm")
        plain.reload()  # the confirmed close is not posted again
        assert httpx.get(admin, headers=admin_headers).json()["state"] == "closed"
    audit = httpx.get(f"{admin}/audit", headers=admin_headers).json()["entries"]
    assert [entry["action"] for entry in audit[:3]] == ["close", "update", "code_create"]


def test_organizer_pages_fit_a_phone(
    waitroom_server: ServerProcess, unique_id: str, admin_headers: dict[str, str]
) -> None:
    base = waitroom_server.base_url
    admin = f"{base}/api/v1/admin/queues/{unique_id}"
    httpx.put(admin, json={"rate_per_minute": 30, "name": "A rather long queue name for a phone"},
              headers=admin_headers)  # fmt: skip
    httpx.put(f"{admin}/surveys", json={"surveys": [SURVEY]}, headers=admin_headers)
    httpx.post(
        f"{admin}/codes", json={"kind": "priority", "label": "x" * 60}, headers=admin_headers
    )
    with chromium(base) as browser:
        page = browser.organizer(viewport={"width": 360, "height": 740}, is_mobile=True)
        for path in ("/admin", f"/admin/queues/{unique_id}", f"/admin/queues/{unique_id}/content"):
            page.goto(base + path)
            if path.endswith(unique_id):
                wait_until(page, lambda: live_loaded(page))
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, (path, width)
        page.goto(f"{base}/admin/queues/{unique_id}")
        page.click("#close")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.slow
def test_content_editor_and_queue_creation_preview_the_fan_page(
    waitroom_server: ServerProcess, unique_id: str, admin_headers: dict[str, str]
) -> None:
    base = waitroom_server.base_url
    admin = f"{base}/api/v1/admin/queues/{unique_id}"
    httpx.put(admin, json={"rate_per_minute": 30, "name": "Previewed"}, headers=admin_headers)
    with chromium(base) as browser:
        page = browser.organizer()
        page.goto(f"{base}/admin/queues/{unique_id}/content")
        preview = page.frame_locator("#preview")
        assert "Previewed" in (preview.locator("#queue-name").text_content() or "")
        # as the organizer types, the real queue page shows the draft (nothing saved yet)
        page.fill("#s0-title", "Warm-up quiz")
        page.select_option("#s0-kind", "quiz")
        page.fill("#s0-q0-text", "Which year did the band start?")
        page.fill("#s0-q0-options", "* 1999\n2003")
        page.fill("#u0-title", "Tour T-shirt")
        page.fill("#u0-link_url", "/shop/merch")
        page.fill("#u0-price", "19.90")
        wait_until(page, lambda: preview.locator("text=Tour T-shirt").count() == 1)
        assert preview.locator("text=Which year did the band start?").count() == 1
        assert preview.locator("text=€19.90").count() == 1
        assert httpx.get(f"{admin}/surveys", headers=admin_headers).json()["surveys"] == []
        # a draft that is not valid yet says what to fix, in the form's words
        page.fill("#u0-link_url", "javascript:alert(1)")
        wait_until(page, lambda: preview.locator("#preview-problem").count() == 1)
        assert "card 1, link:" in (preview.locator("#preview-problem").text_content() or "")
        page.fill("#u0-link_url", "/shop/merch")
        page.click("#save-content")
        assert "Saved: 1 survey(s) and 1 card(s)" in (page.text_content("#notice") or "")
        surveys = httpx.get(f"{admin}/surveys", headers=admin_headers).json()["surveys"]
        assert surveys[0]["kind"] == "quiz" and surveys[0]["questions"][0]["options"][0] == {
            "id": "1999",
            "label": "1999",
            "correct": True,
        }
        with httpx.Client(base_url=base) as fan:  # a fan who joined (a look takes no place)
            assert fan.post(f"/api/v1/queues/{unique_id}/join").status_code == 201
            place = fan.get(f"/q/{unique_id}").text
        assert "Which year did the band start?" in place and "Tour T-shirt" in place

        # a new queue: its name and opening in the preview, then created (post/redirect/get)
        page.goto(f"{base}/admin")
        new_id = unique_id + "-new"
        page.fill("#new-queue-id", new_id)
        page.fill("#new-name", "Autumn tour")
        creation = page.frame_locator("#preview")
        wait_until(
            page, lambda: "Autumn tour" in (creation.locator("#queue-name").text_content() or "")
        )
        page.click("#create")
        page.wait_for_url(f"{base}/admin/queues/{new_id}")
        assert "Queue Autumn tour created." in (page.text_content("#notice") or "")

        # without JavaScript the Preview button posts the draft into the frame
        plain = browser.organizer("erin", java_script_enabled=False)
        plain.goto(f"{base}/admin/queues/{unique_id}/content")
        plain.fill("#s0-title", "Warm-up quiz, second edition")
        plain.click(".preview-button")
        framed = plain.frame_locator("#preview")
        wait_until(plain, lambda: framed.locator("text=Warm-up quiz, second edition").count() == 1)
    created = httpx.get(f"{base}/api/v1/admin/queues/{new_id}", headers=admin_headers).json()
    assert created["name"] == "Autumn tour"
