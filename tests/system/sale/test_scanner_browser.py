"""The door scanner page in a real headless Chromium against a real shop (uvicorn, two worker
processes, on 127.0.0.2: another host than the waiting room would be). Tickets are bought
through the buyer API with real passes.

- Camera: Chromium's fake camera plays a Y4M video of a real ticket's QR code (rendered by
  segno); the page decodes it (@zxing/library: Chromium on Linux has no BarcodeDetector) and
  shows ADMIT with tier, seat and holder; scanning again shows REJECTED with the first scan's
  time in the venue's time zone and its door.
- Offline: the network is cut (``context.set_offline``) and the page's clock moved on eleven
  minutes; tickets are checked against the list the page downloaded, one of them twice; the
  page reloads offline from its service worker; a mistyped short code is refused by its check
  character; when the network returns the scans are synced and the repeated one is shown as
  already scanned.
- The page's own check of typed short codes answers as the server's, code for code.
- A steward in Russian (the shop's language switcher) scans a valid ticket with the camera, the
  same ticket again, and a refunded one, and reads each verdict, the ticket's facts, the times
  and the scanner's status in Russian; no English is left on the page.
- Two scanners offline let the same ticket in: after both synced, both show it was admitted
  twice, and the shop's list counts two admissions."""

from __future__ import annotations

import re
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from sale_backend.domain.payments import CARD_SUCCEEDS
from sale_backend.domain.short_codes import ALPHABET, new_short_code, parse_short_code
from sale_backend.errors import ShortCodeMistyped
from tests.support.connector_hosts import STAFF_TOKEN, Hosts, protected_shop
from tests.support.fake_camera import qr_video
from tests.support.paths import REPOSITORY_ROOT
from tests.support.shop_fixtures import sample_event

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPOSITORY_ROOT / "test-artifacts"
playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs the system chromium"),
]

VENUE_ZONE = "Asia/Tokyo"  # UTC+9 all year: a time shown in UTC would not match
HOLDER = "Mari Maasikas"
STAFF = {"authorization": f"Bearer {STAFF_TOKEN}"}
WAIT_MS = 20_000


@dataclass
class ShopUnderTest:
    hosts: Hosts
    """The queue on 127.0.0.1, the shop (two workers) on 127.0.0.2."""

    @property
    def base_url(self) -> str:
        return self.hosts.shop.base_url

    @property
    def queue_id(self) -> str:
        return self.hosts.queue_id

    def define(self, event_id: str) -> None:
        event = sample_event(self.queue_id, time_zone=VENUE_ZONE, name="Scanner night")
        answer = httpx.put(
            f"{self.base_url}/api/v1/staff/events/{event_id}", json=event, headers=STAFF
        )
        assert answer.status_code == 200, answer.text

    def buy(self, event_id: str, **selection: Any) -> list[dict[str, Any]]:
        """The tickets of a real order: a fan joins the queue, is admitted, and buys with the
        pass as a bearer token (the purchase ends that session)."""
        return self.buy_order(event_id, **selection)[1]

    def buy_order(self, event_id: str, **selection: Any) -> tuple[str, list[dict[str, Any]]]:
        """(order id, tickets) of a real order, bought as :meth:`buy` does."""
        with httpx.Client(timeout=10) as fan:
            token = self.hosts.admitted_status(fan)["pass"]
        answer = httpx.post(
            f"{self.base_url}/api/v1/checkout",
            json={
                "event_id": event_id,
                "card_number": CARD_SUCCEEDS,
                "name": HOLDER,
                "email": "mari@example.ee",
                **selection,
            },
            headers={"authorization": f"Bearer {token}", "idempotency-key": str(uuid.uuid4())},
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["order_id"]), list(answer.json()["tickets"])

    def refund(self, order_id: str, ticket_id: str) -> None:
        answer = httpx.post(
            f"{self.base_url}/api/v1/staff/orders/{order_id}/refund",
            json={"ticket_ids": [ticket_id]},
            headers=STAFF,
        )
        assert answer.status_code == 200, answer.text

    def listed(self, event_id: str, ticket_id: str) -> dict[str, Any]:
        page = httpx.get(
            f"{self.base_url}/api/v1/staff/events/{event_id}/tickets", headers=STAFF
        ).json()
        return next(ticket for ticket in page["tickets"] if ticket["ticket_id"] == ticket_id)


@pytest.fixture(scope="module")
def shop(redis_url: str) -> Iterator[ShopUnderTest]:
    with protected_shop(redis_url, "scan" + secrets.token_hex(4)) as hosts:
        yield ShopUnderTest(hosts)


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 420, "height": 900})  # a phone
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def venue_clock(at_ms: int) -> str:
    return datetime.fromtimestamp(at_ms / 1000, ZoneInfo(VENUE_ZONE)).strftime("%H:%M:%S")


def open_scanner(page: Any, base_url: str, event_id: str, door: str, language: str = "en") -> None:
    """Logs in at ``door`` from the event's scanner link (in ``language``, as the language
    switcher links it) and waits for the downloaded list."""
    page.goto(f"{base_url}/staff/scan?event={event_id}&lang={language}")
    page.fill("#door", door)
    page.fill("#token", STAFF_TOKEN)
    page.click("button[type=submit]")
    page.locator("#scanner[data-ready=true]").wait_for(timeout=WAIT_MS)
    page.locator("#scanner[data-offline-ready=true]").wait_for(timeout=WAIT_MS)


def type_code(page: Any, code: str) -> None:
    page.fill("#code", code)
    page.press("#code", "Enter")


def result_after(page: Any, previous: str, kind: str) -> str:
    """Waits for a new result of ``kind`` (admit, rejected, flagged); its text."""
    locator = page.locator(f"#scan-result.{kind}")
    deadline = WAIT_MS
    while deadline > 0:
        if locator.count() and (text := locator.inner_text()) != previous:
            return str(text)
        page.wait_for_timeout(100)
        deadline -= 100
    camera = page.inner_text("#camera") if page.locator("#camera").count() else ""
    raise AssertionError(
        f"no new {kind} result; the page shows {page.inner_text('#scan-live')!r}, camera "
        f"{camera!r}, decoder {page.get_attribute('#scanner', 'data-decoder')!r}, "
        f"console {CONSOLE[-10:]!r}"
    )


def wait_for_attribute(page: Any, name: str, value: str) -> None:
    page.locator(f"#scanner[{name}='{value}']").wait_for(timeout=WAIT_MS)


def wait_for_text(page: Any, selector: str, text: str) -> str:
    deadline = WAIT_MS
    while deadline > 0:
        shown = page.inner_text(selector)
        if text in shown:
            return str(shown)
        page.wait_for_timeout(100)
        deadline -= 100
    raise AssertionError(f"{text!r} never shown in {selector}: {page.inner_text(selector)!r}")


@pytest.fixture
def browser_errors() -> list[str]:
    return []


def launch(playwright: Any, *extra_args: str) -> Any:
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=["--no-sandbox", *extra_args]
    )


CONSOLE: list[str] = []
"""Every console message of the pages (shown when a wait fails)."""


def watch(page: Any, errors: list[str]) -> None:
    page.on("console", lambda message: CONSOLE.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and "Failed to load resource" not in message.text
            else None
        ),
    )


def server_answer(typed: str) -> str | list[Any] | None:
    """The canonical code, or the mistake and its values (what the page shows in words)."""
    try:
        return parse_short_code(typed)
    except ShortCodeMistyped as error:
        names = ("characters", "expected", "length")
        return [
            error.extra["mistake"],
            {name: error.extra[name] for name in names if name in error.extra},
        ]


def assert_same_short_code_check_as_the_server(page: Any, printed: str) -> None:
    """The page checks typed codes offline with its own copy of the rules: same answers."""
    code = printed.replace("-", "")
    typed = [printed, printed.lower(), f" {code[:5]} {code[5:]} ", "ab.cd", "x" * 30]
    typed += [code[:at] + char + code[at + 1 :] for at in range(10) for char in ALPHABET[::7]]
    typed += [code[:at] + code[at + 1] + code[at] + code[at + 2 :] for at in range(9)]
    typed += [new_short_code() for _ in range(20)] + ["K7M0-PX2Q-9C", "O7MI-PX2Q"]
    answers = page.evaluate(
        """typed => typed.map(text => {
            try { return window.waitroomTicketCodes.parseShortCode(text); }
            catch (error) { return [error.mistake, error.values]; }
        })""",
        typed,
    )
    assert answers == [server_answer(text) for text in typed]


def test_camera_scan_admits_then_rejects_with_the_first_scans_time(
    shop: ShopUnderTest, unique_id: str, tmp_path: Path, browser_errors: list[str]
) -> None:
    shop.define(unique_id)
    (ticket,) = shop.buy(unique_id, seats=["A-2-3"])
    video = qr_video(ticket["code"], tmp_path / "ticket.y4m")
    with playwright_api.sync_playwright() as playwright:
        browser = launch(
            playwright,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        )
        try:
            page = browser.new_context().new_page()
            watch(page, browser_errors)
            open_scanner(page, shop.base_url, unique_id, "North gate")
            page.click("#camera-toggle")
            admitted = result_after(page, "", "admit")
            assert "ADMIT" in admitted and "Admits 1" in admitted
            assert "VIP" in admitted and "Front, row 2, seat 3" in admitted
            assert HOLDER in admitted and ticket["short_code"] in admitted
            assert page.get_attribute("#scanner", "data-decoder") == "zxing"
            screenshot(page, "scanner-camera-admit.png")

            page.click("#camera-toggle")  # stop, and scan the same ticket again
            page.click("#camera-toggle")
            refused = result_after(page, admitted, "rejected")
            first = shop.listed(unique_id, ticket["ticket_id"])["first_scan"]
            assert first["door"] == "North gate"
            assert f"already scanned: first at {venue_clock(first['at_ms'])} at North gate" in (
                refused
            )
            assert "Front, row 2, seat 3" in refused and ticket["short_code"] in refused
            assert VENUE_ZONE in page.inner_text("#clock-name")
            history = page.inner_text("#scan-history")
            assert "ADMIT" in history and "REJECTED" in history
            page.click("#camera-toggle")
            screenshot(page, "scanner-camera-rejected.png")
        finally:
            browser.close()
    assert browser_errors == []


RUSSIAN_LEFT_IN_ENGLISH = re.compile(
    r"ADMIT|REJECTED|already|scanned|refunded|Ticket|Tier|Seat|Holder|Admits|Online|Offline|"
    r"synced|in the list|camera|Earlier|Log out|Sync now"
)


def test_a_steward_in_russian_reads_each_verdict_in_russian(
    shop: ShopUnderTest, unique_id: str, tmp_path: Path, browser_errors: list[str]
) -> None:
    shop.define(unique_id)
    order_id, (valid, refunded) = shop.buy_order(
        unique_id, items=[{"tier_id": "standard", "quantity": 2}]
    )
    shop.refund(order_id, refunded["ticket_id"])
    video = qr_video(valid["code"], tmp_path / "ticket.y4m")
    with playwright_api.sync_playwright() as playwright:
        browser = launch(
            playwright,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        )
        try:
            page = browser.new_context(locale="en-US").new_page()  # the switcher chooses
            watch(page, browser_errors)
            open_scanner(page, shop.base_url, unique_id, "Северный вход", language="ru")
            assert page.get_attribute("html", "lang") == "ru"
            status = wait_for_text(page, "#scanner-status", "Билетов в списке: 2")
            assert "В сети" in status and "все сканирования синхронизированы" in status
            assert page.inner_text("#camera-toggle") == "Сканировать камерой"

            page.click("#camera-toggle")
            admitted = result_after(page, "", "admit")
            assert "ПРОПУСТИТЬ" in admitted and "Проход для 1" in admitted
            assert "Билет" in admitted and "Владелец" in admitted and HOLDER in admitted
            assert page.inner_text("#camera-toggle") == "Остановить камеру"
            page.click("#camera-toggle")  # stop, and show the same ticket again
            page.click("#camera-toggle")
            used = result_after(page, admitted, "rejected")
            first = shop.listed(unique_id, valid["ticket_id"])["first_scan"]
            seen = f"уже отсканирован: впервые {venue_clock(first['at_ms'])}, Северный вход"
            assert "ОТКАЗАНО" in used and seen in used
            page.click("#camera-toggle")

            type_code(page, refunded["code"])  # as a hardware scanner types it
            refused = result_after(page, used, "rejected")
            assert "ОТКАЗАНО" in refused and "возвращён" in refused
            assert "Отсканировано в" in refused
            screenshot(page, "scanner-russian-refunded.png")

            history = page.inner_text("#scan-history")
            assert history.count("ОТКАЗАНО") == 2 and history.count("ПРОПУСТИТЬ") == 1
            assert "возвращён" in history and "уже отсканирован" in history
            assert VENUE_ZONE in page.inner_text("#clock-name")
            shown = page.inner_text("main")
            assert not RUSSIAN_LEFT_IN_ENGLISH.search(shown), shown
        finally:
            browser.close()
    assert browser_errors == []


def test_offline_scans_are_checked_locally_and_synced(
    shop: ShopUnderTest, unique_id: str, browser_errors: list[str]
) -> None:
    shop.define(unique_id)
    first, second = shop.buy(unique_id, items=[{"tier_id": "standard", "quantity": 2}])
    with playwright_api.sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            context = browser.new_context()
            page = context.new_page()
            page.clock.install()  # the page's clock, moved on below
            watch(page, browser_errors)
            open_scanner(page, shop.base_url, unique_id, "North gate")
            assert "Tickets in the list: 2" in page.inner_text("#scanner-status")
            assert_same_short_code_check_as_the_server(page, second["short_code"])

            context.set_offline(True)
            type_code(page, first["code"])  # the QR code, as a hardware scanner types it
            one = result_after(page, "", "admit")
            assert "offline" in one and "Standard" in one and HOLDER in one
            page.clock.fast_forward("11:00")  # eleven minutes without network
            type_code(page, second["short_code"].lower().replace("-", " "))
            two = result_after(page, one, "admit")
            assert second["short_code"] in two
            type_code(page, first["short_code"])
            again = result_after(page, "", "rejected")
            assert "already scanned: first at" in again and "at North gate" in again
            wait_for_attribute(page, "data-queued", "3")
            screenshot(page, "scanner-offline.png")

            page.reload()  # the page itself comes from the service worker
            page.locator("#scanner[data-ready=true]").wait_for(timeout=WAIT_MS)
            status = wait_for_text(page, "#scanner-status", "Scans waiting to sync: 3")
            assert "Offline" in status
            code = second["short_code"].replace("-", "")
            typo = code[:5] + ("Z" if code[5] != "Z" else "Y") + code[6:]
            type_code(page, typo)
            mistyped = result_after(page, "", "rejected")
            assert "mistyped" in mistyped
            assert page.get_attribute("#scanner", "data-queued") == "3"  # nothing queued

            context.set_offline(False)
            wait_for_text(page, "#scanner-status", "all scans synced")
            history = page.inner_text("#scan-history")
            assert "not synced yet" not in history
            assert history.count("ADMIT") == 2 and "already scanned: first at" in history
        finally:
            browser.close()
    listed = shop.listed(unique_id, first["ticket_id"])
    assert listed["state"] == "used" and listed["admissions"] == 1
    outcomes = [entry["outcome"] for entry in listed["entries"]]
    assert outcomes == ["admitted", "already_scanned"]
    # the scans kept the eleven minutes between them; the device's clock was set right
    admitted_at = listed["first_scan"]["at_ms"]
    second_at = shop.listed(unique_id, second["ticket_id"])["first_scan"]["at_ms"]
    assert 11 * 60_000 <= second_at - admitted_at < 12 * 60_000
    assert listed["entries"][1]["at_ms"] <= time.time() * 1000
    assert all(entry["offline"] and entry["door"] == "North gate" for entry in listed["entries"])
    assert shop.listed(unique_id, second["ticket_id"])["state"] == "used"
    assert browser_errors == []


@pytest.mark.slow
def test_two_offline_scanners_letting_one_ticket_in_are_both_flagged_after_sync(
    shop: ShopUnderTest, unique_id: str, browser_errors: list[str]
) -> None:
    shop.define(unique_id)
    (ticket,) = shop.buy(unique_id, items=[{"tier_id": "group4", "quantity": 1}])
    with playwright_api.sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            north_context, south_context = browser.new_context(), browser.new_context()
            north, south = north_context.new_page(), south_context.new_page()
            for page in (north, south):
                watch(page, browser_errors)
            open_scanner(north, shop.base_url, unique_id, "North gate")
            open_scanner(south, shop.base_url, unique_id, "South gate")
            north_context.set_offline(True)
            south_context.set_offline(True)
            type_code(north, ticket["code"])
            assert "Admits 4" in result_after(north, "", "admit")
            south.wait_for_timeout(1100)  # a later second on the clock
            type_code(south, ticket["short_code"])
            assert "Group of 4" in result_after(south, "", "admit")

            north_context.set_offline(False)
            wait_for_text(north, "#scanner-status", "all scans synced")
            south_context.set_offline(False)
            wait_for_text(south, "#scanner-status", "all scans synced")
            entries = shop.listed(unique_id, ticket["ticket_id"])["entries"]
            north_at = next(e["at_ms"] for e in entries if e["door"] == "North gate")
            south_at = next(e["at_ms"] for e in entries if e["door"] == "South gate")
            flagged = wait_for_text(south, "#scan-history", "ADMITTED TWICE")
            assert f"first at {venue_clock(north_at)} at North gate" in flagged

            north.click("#sync-now")
            flagged = wait_for_text(north, "#scan-history", "admitted twice")
            assert f"also {venue_clock(south_at)} at South gate" in flagged
            screenshot(south, "scanner-admitted-twice.png")
        finally:
            browser.close()
    listed = shop.listed(unique_id, ticket["ticket_id"])
    assert listed["admissions"] == 2 and listed["first_scan"]["door"] == "North gate"
    assert [entry["outcome"] for entry in listed["entries"]] == ["admitted", "duplicate"]
    assert browser_errors == []
