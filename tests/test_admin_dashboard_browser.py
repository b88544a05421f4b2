"""The organizer dashboard in a real headless Chromium: login, live charts drawn from the JSON
API as inline SVG, a control form that changes the rate, no script errors, no foreign requests."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN
from tests.servers import ServerProcess
from tests.stock_support import figures, site_headers, stock_url

CHROMIUM = Path("/usr/bin/chromium")
playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs the system chromium"),
]


def test_dashboard_draws_live_figures_and_applies_controls(
    waitroom_server: ServerProcess, unique_id: str, admin_headers: dict[str, str]
) -> None:
    base = waitroom_server.base_url
    admin = f"{base}/api/v1/admin/queues/{unique_id}"
    assert httpx.put(
        admin, json={"rate_per_minute": 30, "name": "Browser show"}, headers=admin_headers
    ).is_success
    for _ in range(3):
        httpx.post(f"{base}/api/v1/queues/{unique_id}/join")
    for event_id, body in (
        ("evening", figures(120, 500, tiers=[{"tier_id": "ga", "name": "GA", "remaining": 120}])),
        ("matinee", figures(7, 300)),
    ):
        reported = httpx.put(
            f"{base}{stock_url(unique_id, event_id)}", json=body, headers=site_headers(unique_id)
        )
        assert reported.status_code == 200, reported.text
    errors: list[str] = []
    foreign: list[str] = []
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on(
                "request",
                lambda request: (
                    None if request.url.startswith(base) else foreign.append(request.url)
                ),
            )
            page.goto(f"{base}/admin/login")
            page.fill("#token", ADMIN_TOKEN)
            page.fill("#name", "dana")
            page.click("button[type=submit]")
            page.goto(f"{base}/admin/queues/{unique_id}")
            # polled from Python: a string predicate of wait_for_function is evaluated with
            # eval() once it is not true at once, which the page's CSP (rightly) refuses
            started = time.monotonic()
            while (page.text_content("#updated") or "now") == "now":
                assert time.monotonic() - started < 20
                page.wait_for_timeout(100)
            assert page.text_content("#fig-rate", timeout=10000).startswith("30 /")  # type: ignore[union-attr]
            assert page.locator("#chart-admissions polyline").count() == 2
            assert page.locator("#chart-sales polyline").count() == 1
            assert page.text_content("#fig-remaining") == "127"  # over both events
            stock_bars = page.text_content("#stock-tiers") or ""
            for caption in ("evening: 120 / 500", "evening · GA: 120", "matinee: 7 / 300"):
                assert caption in stock_bars
            page.fill("#rate", "45")
            page.click("form:has(#rate) button[type=submit]")
            page.wait_for_selector("#notice")
            started = time.monotonic()
            while "45 /" not in (page.text_content("#fig-rate") or ""):
                assert time.monotonic() - started < 20
                page.wait_for_timeout(100)
            assert "dana (dashboard)" in (page.text_content("#audit") or "")
        finally:
            browser.close()
    assert errors == []
    assert foreign == []
    assert httpx.get(admin, headers=admin_headers).json()["rate_per_minute"] == 45
