"""The queue page as fans use it, in a real headless Chromium against the waiting room served by
uvicorn with two worker processes (a fan's requests land on either):

- without JavaScript: a look takes no place, the "Join the queue" button does; after every
  form post (profile, quiz, leave) the page keeps refreshing, and it shows admission;
- with JavaScript: the page's script takes the place at once, a quiz shows its right answers;
- the your-turn alert gets through when the browser's autoplay rule blocks the sound (a banner
  that takes the focus, a flashing title, vibration), and the sound plays where it may.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN, server_environment
from tests.integration.test_fan_surveys import FEEDBACK, QUIZ
from tests.support.servers import ServerProcess

CHROMIUM = Path("/usr/bin/chromium")
playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs the system chromium"),
]
ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
SOUND_ALLOWED = "--autoplay-policy=no-user-gesture-required"
SOUND_BLOCKED = "--autoplay-policy=document-user-activation-required"
REFRESH_SECONDS = 2
"""The page's Refresh interval with these poll settings (its floor)."""
RECORD_VIBRATIONS = (
    "navigator.vibrate = function (pattern) {"
    " (window.vibrations = window.vibrations || []).push(pattern); return true; };"
)


@pytest.fixture(scope="module")
def server(redis_url: str) -> Iterator[ServerProcess]:
    environment = server_environment(
        redis_url, WAITROOM_POLL_INTERVAL_MIN_MS="300", WAITROOM_POLL_INTERVAL_MAX_MS="1000"
    )
    process = ServerProcess("waitroom.web.app:create_app_from_environ", environment, workers=2)
    with process:
        yield process


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    with playwright_api.sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:
    launched = playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, SOUND_ALLOWED]
    )
    yield launched
    launched.close()


def make_queue(server: ServerProcess, **fields: Any) -> str:
    queue_id = "t" + secrets.token_hex(5)
    configure(server, queue_id, rate_per_minute=0, redirect_url="/shop/", **fields)
    surveys = httpx.put(
        f"{server.base_url}/api/v1/admin/queues/{queue_id}/surveys",
        json={"surveys": [FEEDBACK, QUIZ]},
        headers=ADMIN,
    )
    assert surveys.status_code == 200, surveys.text
    return queue_id


def configure(server: ServerProcess, queue_id: str, **fields: Any) -> None:
    url = f"{server.base_url}/api/v1/admin/queues/{queue_id}"
    assert httpx.put(url, json=fields, headers=ADMIN).status_code in {200, 201}


def places(server: ServerProcess, queue_id: str) -> int:
    """Places ever given in the queue (the tail), from the organizer's API."""
    url = f"{server.base_url}/api/v1/admin/queues/{queue_id}"
    document = httpx.get(url, headers=ADMIN).json()
    return int(document["tail_position"])


def until(check: Callable[[], bool], page: Any, timeout_seconds: float = 10.0) -> None:
    """Polled from Python (the page's CSP refuses eval-based waits)."""
    deadline = time.monotonic() + timeout_seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(100)


def loads_of(page: Any) -> list[str]:
    """The URL of every document the page loads from now on."""
    loaded: list[str] = []
    page.on("load", lambda: loaded.append(page.url))
    return loaded


@pytest.mark.slow  # the page's own refreshes are watched (2 s each)
def test_without_javascript_the_button_joins_and_every_form_post_keeps_refreshing(
    server: ServerProcess, browser: Any
) -> None:
    queue_id = make_queue(server, name="No-script night")
    context = browser.new_context(
        java_script_enabled=False, base_url=server.base_url, viewport={"width": 360, "height": 740}
    )
    page = context.new_page()
    page.goto(f"/q/{queue_id}")
    assert page.locator("#status").get_attribute("data-place") == "none"
    assert places(server, queue_id) == 0  # looking takes no place
    page.get_by_role("button", name="Join the queue").click()
    page.wait_for_url(f"**/q/{queue_id}")
    assert page.locator("#position").inner_text() == "1"
    assert places(server, queue_id) == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # the profile: back to the page's profile section, and the page keeps refreshing
    page.get_by_label("Name").fill("Mari Maasikas")
    page.get_by_label("E-mail").fill("mari@example.ee")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/q/{queue_id}#profile")
    assert "Saved. The shop will fill this in for you." in page.locator("#profile").inner_text()
    loaded = loads_of(page)
    until(lambda: len(loaded) >= 2, page, REFRESH_SECONDS * 2 + 3)
    assert loaded[-1].endswith(f"/q/{queue_id}")  # reloaded, not just scrolled

    # a quiz, and a survey whose optional questions stay empty
    quiz = page.locator("#survey-band")
    quiz.get_by_label("Tartu").check()
    quiz.get_by_label("One").check()
    quiz.get_by_role("button", name="Send").click()
    page.wait_for_url(f"**/q/{queue_id}#survey-band")
    review = page.locator("#survey-band").inner_text()
    assert "You got 0 of 2 right." in review
    assert "Right answer: Tallinn" in review and "Right answer: One, Two" in review
    survey = page.locator("#survey-feedback")
    survey.get_by_label("Bus").check()
    survey.get_by_role("button", name="Send").click()
    page.wait_for_url(f"**/q/{queue_id}#survey-feedback")
    assert "Thank you for answering!" in page.locator("#survey-feedback").inner_text()

    # the organizer opens the gate: a refresh shows the fan's turn, and refreshing stops
    loaded.clear()
    configure(server, queue_id, rate_per_minute=6000)
    until(lambda: page.locator("#status").get_attribute("data-state") == "admitted", page, 15)
    assert page.get_by_role("link", name="Go to the shop").first.is_visible()
    assert page.title().startswith("Your turn!")
    settled = len(loaded)
    page.wait_for_timeout((REFRESH_SECONDS + 1) * 1000)
    assert len(loaded) == settled  # admitted is final: no more refreshes
    context.close()


def test_without_javascript_leaving_comes_back_to_a_page_that_takes_no_place(
    server: ServerProcess, browser: Any
) -> None:
    queue_id = make_queue(server)
    context = browser.new_context(java_script_enabled=False, base_url=server.base_url)
    page = context.new_page()
    page.goto(f"/q/{queue_id}?lang=ru")
    page.get_by_role("button", name="Встать в очередь").click()
    page.wait_for_url(f"**/q/{queue_id}")
    page.get_by_role("button", name="Покинуть очередь").click()
    page.wait_for_url(f"**/q/{queue_id}?left=1")
    assert "Вы покинули очередь" in page.locator("#left-notice").inner_text()
    loaded = loads_of(page)
    until(lambda: len(loaded) >= 1, page, REFRESH_SECONDS * 2 + 3)
    assert page.locator("#left-notice").count() == 1 and places(server, queue_id) == 1
    page.get_by_role("button", name="Встать в очередь снова (в конец)").click()
    page.wait_for_url(f"**/q/{queue_id}")
    assert page.locator("#position").inner_text() == "2"
    context.close()


def test_with_javascript_the_page_joins_at_once_and_a_quiz_shows_the_right_answers(
    server: ServerProcess, browser: Any
) -> None:
    queue_id = make_queue(server)
    context = browser.new_context(base_url=server.base_url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"/q/{queue_id}")
    until(lambda: page.locator("#position").count() == 1, page)  # no click needed
    assert page.locator("#position").inner_text() == "1" and places(server, queue_id) == 1
    page.reload()  # the place is kept, no second one
    assert page.locator("#position").inner_text() == "1" and places(server, queue_id) == 1

    quiz = page.locator("#survey-band")
    quiz.get_by_label("Tallinn").check()
    quiz.get_by_label("One").check()
    quiz.get_by_role("button", name="Send").click()
    quiz.get_by_text("You got 1 of 2 right.").wait_for()
    assert page.url.endswith(f"/q/{queue_id}")  # answered in place
    review = quiz.locator(".quiz-review li")
    assert review.nth(0).inner_text().endswith("Right!")
    assert "Right answer: One, Two" in review.nth(1).inner_text()
    assert page.evaluate("document.activeElement.textContent").startswith("Thank you")
    page.reload()  # the page tells the same after a reload
    assert "Right answer: One, Two" in page.locator("#survey-band").inner_text()
    context.close()


def watch_titles(page: Any, seconds: float) -> set[str]:
    seen: set[str] = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen.add(page.title())
        page.wait_for_timeout(150)
    return seen


def wait_for_turn(server: ServerProcess, queue_id: str, page: Any) -> None:
    configure(server, queue_id, rate_per_minute=6000)
    until(lambda: page.locator("#status").get_attribute("data-state") == "admitted", page, 15)
    until(lambda: page.locator("#status").get_attribute("data-sound") is not None, page, 5)


@pytest.mark.slow  # a second browser, and the page is left alone until its turn (4 s)
def test_your_turn_alert_gets_through_when_the_sound_is_blocked(
    server: ServerProcess, playwright: Any
) -> None:
    queue_id = make_queue(server, name="Loud night")
    blocking = playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, SOUND_BLOCKED]
    )
    context = blocking.new_context(base_url=server.base_url, viewport={"width": 360, "height": 740})
    context.add_init_script(RECORD_VIBRATIONS)
    page = context.new_page()
    page.goto(f"/q/{queue_id}")
    until(lambda: page.locator("#position").count() == 1, page)
    page.get_by_label("Play a sound").check()
    page.close()  # the fan comes back later: the choice is kept, but the new page was not
    page = context.new_page()  # touched yet, so the browser does not let it play sound
    page.goto(f"/q/{queue_id}")
    # nothing may touch the page until the alert (a Playwright call counts as a user's touch)
    configure(server, queue_id, rate_per_minute=6000)
    time.sleep(4)  # the page polls every second at most, and alerts by itself
    assert page.locator("#status").get_attribute("data-state") == "admitted"
    assert "tap or click this page" in page.locator("#alerts-status").inner_text()
    assert page.locator("#status").get_attribute("data-sound") == "blocked"
    banner = page.locator("#turn-alert")
    assert banner.is_visible() and banner.get_attribute("role") == "alert"
    assert page.evaluate("document.activeElement.id") == "turn-alert"
    go = banner.get_by_role("link", name="Go to the shop")  # the page's one link to the shop
    assert go.get_attribute("id") == "go" and go.get_attribute("href").startswith("/shop/?")
    assert banner.bounding_box()["y"] < 740  # in view at the top of a phone's screen
    titles = watch_titles(page, 2.5)
    assert any(title.startswith("Your turn! · Loud night") for title in titles)
    assert any(re.match(r"^\W+ Your turn! \W+$", title) for title in titles), titles
    assert page.evaluate("window.vibrations") == [[300, 150, 300, 150, 600]]
    page.locator("#turn-alert .turn-alert-title").click()  # the fan is back: the title settles
    assert watch_titles(page, 1.5) == {"Your turn! · Loud night · waiting room"}
    blocking.close()


def test_your_turn_sound_plays_where_the_browser_allows_it(
    server: ServerProcess, browser: Any
) -> None:
    queue_id = make_queue(server)
    context = browser.new_context(base_url=server.base_url)
    context.add_init_script(RECORD_VIBRATIONS)
    page = context.new_page()
    page.goto(f"/q/{queue_id}")
    until(lambda: page.locator("#position").count() == 1, page)
    page.get_by_label("Play a sound").check()
    wait_for_turn(server, queue_id, page)
    assert page.locator("#status").get_attribute("data-sound") == "played"
    assert page.locator("#turn-alert").is_hidden()  # the sound got through
    assert page.evaluate("window.vibrations") == [[300, 150, 300, 150, 600]]
    context.close()
