"""Journeys through the reverse-proxy connector as deployed: a real nginx running
``deploy/nginx/protect-any-site.conf`` on 127.0.0.2 (TLS) in front of an unmodified static site
(``python -m http.server``), the waiting room as ``waitroom serve`` with two workers on
127.0.0.1, one Redis. Redirects are followed by hand and counted; a loop fails the test."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from redis.asyncio import Redis

from tests.conftest import SECRET_KEYS
from tests.support.proxy_support import AdmittedFan, Topology, admitted_fan, follow, topology
from waitroom.connector import SiteAuth, session_cookie_name
from waitroom.storage.keys import QueueKeys

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Topology]:
    queue_id = "px" + secrets.token_hex(4)
    with topology(tmp_path_factory.mktemp("site"), redis_url, queue_id) as running:
        yield running


@dataclass
class Entered:
    browser: httpx.Client
    answers: list[httpx.Response]
    handed: list[str]
    """What nginx handed the origin on the landing page: uri, status, pass id, buyer,
    deadline."""

    @property
    def pass_id(self) -> str:
        return self.handed[2]


def enter(world: Topology, fan: AdmittedFan | None = None) -> Entered:
    """An admitted fan follows the queue's link into the site."""
    fan = fan or admitted_fan(world)
    browser = world.site_client()
    mark = world.log_mark()
    answers = follow(browser, fan.redirect_url)
    return Entered(browser, answers, world.handed_since(mark, "/"))


def test_a_browser_without_a_pass_is_sent_to_the_queue_page(world: Topology) -> None:
    browser = world.site_client()
    answers = follow(browser, f"{world.site.base_url}/tickets.html")
    assert [answer.status_code for answer in answers] == [303, 200]
    assert answers[0].headers["location"] == world.queue_url
    assert answers[0].headers["cache-control"] == "no-store"
    # the queue page shows the queue and a way in; a look takes no place (the button does)
    assert 'id="join-form"' in answers[1].text and 'id="position"' not in answers[1].text


def test_an_admitted_fan_enters_and_the_pass_leaves_the_address_bar(world: Topology) -> None:
    entered = enter(world)
    browser = entered.browser
    assert [answer.status_code for answer in entered.answers] == [303, 200]
    handoff, page = entered.answers
    assert "waitroom_pass" not in str(page.url)
    assert str(page.url) == f"{world.site.base_url}/"
    assert "The tour shop" in page.text
    # the site-session cookie belongs to the nginx host, and to nothing else
    (cookie,) = list(browser.cookies.jar)
    assert cookie.name == session_cookie_name(world.queue_id)
    assert cookie.domain == urlsplit(world.site.base_url).hostname == "127.0.0.2"
    assert cookie.secure and cookie.path == "/"
    attributes = handoff.headers["set-cookie"].lower()
    assert "httponly" in attributes and "samesite=lax" in attributes
    assert "domain=" not in attributes
    # nginx handed the origin who is shopping
    _, status, pass_id, buyer, deadline = entered.handed
    assert status == "200" and len(pass_id) == 24 and len(buyer) == 22
    assert int(deadline) > time.time()
    # the same browser goes on: one auth question per request, no redirect
    again = follow(browser, f"{world.site.base_url}/tickets.html")
    assert [answer.status_code for answer in again] == [200]


async def test_the_end_link_ends_the_session_and_the_old_cookie_opens_nothing(
    world: Topology, redis: Redis
) -> None:
    fan = admitted_fan(world)
    entered = enter(world, fan)
    browser = entered.browser
    cookie_name = session_cookie_name(world.queue_id)
    old_cookie = browser.cookies[cookie_name]
    active = QueueKeys(world.queue_id).active_sessions
    assert await redis.zscore(active, entered.pass_id) is not None

    # the origin's "I am done" link: the slot is freed at once, the cookie cleared
    answers = follow(browser, f"{world.site.base_url}/.waitroom/end")
    assert [answer.status_code for answer in answers] == [303, 200]
    assert answers[0].headers["location"] == world.queue_url
    assert f"{cookie_name}=;" in answers[0].headers["set-cookie"]
    assert cookie_name not in browser.cookies
    assert await redis.zscore(active, entered.pass_id) is None
    # back on the queue page (the fan's own client of the queue's host): the purchase is done
    page = fan.queue.get(f"/q/{world.queue_id}")
    assert "You have completed your purchase" in page.text
    # every worker reads a pass's record at most once per view refresh (0.25 s here)
    deadline = time.monotonic() + 3
    while True:
        status = fan.queue.get(f"/api/v1/queues/{world.queue_id}/status").json()
        if status["state"] == "closed" or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assert status["state"] == "closed" and status["closed_reason"] == "purchase_completed"

    # the old cookie (a copy kept) opens nothing, at once, on every worker
    for _ in range(4):
        replay = world.site_client(cookies={cookie_name: old_cookie})
        refused = follow(replay, f"{world.site.base_url}/tickets.html")
    assert [answer.status_code for answer in refused] == [410]
    assert "You have completed your purchase" in refused[0].text
    assert "Join the queue again" in refused[0].text
    assert f'href="{world.queue_url}?lang=en"' in refused[0].text  # the language goes back
    # the pass link followed again does not bring the session back
    another = world.site_client()
    again = follow(another, fan.redirect_url)
    assert [answer.status_code for answer in again] == [410]


def test_a_session_ended_through_the_api_is_refused_at_once(world: Topology) -> None:
    entered = enter(world)
    authorization = SiteAuth(SECRET_KEYS).header(world.queue_id)
    ended = httpx.post(
        f"{world.waitroom.base_url}/api/v1/connector/queues/{world.queue_id}"
        f"/sessions/{entered.pass_id}/end",
        json={"reason": "session_ended"},
        headers={"Authorization": authorization},
        timeout=10,
    )
    assert ended.status_code == 200, ended.text
    browser = entered.browser
    refused = follow(browser, f"{world.site.base_url}/tickets.html")
    assert [answer.status_code for answer in refused] == [410]
    assert "Your shopping session has ended" in refused[0].text


def test_an_extension_by_the_origin_moves_the_deadline_it_is_handed(world: Topology) -> None:
    entered = enter(world)
    deadline = int(entered.handed[4])
    authorization = SiteAuth(SECRET_KEYS).header(world.queue_id)
    extended = httpx.post(
        f"{world.waitroom.base_url}/api/v1/connector/queues/{world.queue_id}"
        f"/sessions/{entered.pass_id}/extend",
        json={"until": deadline + 600},
        headers={"Authorization": authorization},
        timeout=10,
    )
    assert extended.status_code == 200, extended.text
    mark = world.log_mark()
    browser = entered.browser
    assert follow(browser, f"{world.site.base_url}/tickets.html")[-1].status_code == 200
    handed = int(world.handed_since(mark, "/tickets.html")[4])
    assert handed == extended.json()["deadline"] == deadline + 600


def test_an_api_client_with_a_bearer_pass_gets_the_origin_json(world: Topology) -> None:
    fan = admitted_fan(world)
    url = f"{world.site.base_url}/api/tickets.json"
    app = world.site_client()
    bearer = {"Authorization": f"Bearer {fan.pass_token}", "Accept": "application/json"}
    for _ in range(2):
        mark = world.log_mark()
        answers = follow(app, url, headers=bearer)
        assert [answer.status_code for answer in answers] == [200]
        assert answers[0].json() == {"tickets": [{"tier": "ga", "remaining": 120}]}
        _, _, pass_id, buyer, _ = world.handed_since(mark, "/api/tickets.json")
        assert len(pass_id) == 24 and len(buyer) == 22
    # without a pass: a problem body that says where to queue, no redirect
    anonymous = follow(app, url, headers={"Accept": "application/json"})
    assert [answer.status_code for answer in anonymous] == [401]
    problem = anonymous[0].json()
    assert anonymous[0].headers["content-type"] == "application/problem+json"
    assert problem["type"].endswith("/session-required") and problem["status"] == 401
    assert problem["queue_url"] == world.queue_url
    # a browser cannot take over the pass the app holds
    browser = world.site_client()
    taken = follow(browser, fan.redirect_url)
    assert [answer.status_code for answer in taken] == [409]
    assert "This pass is already in use" in taken[0].text


def test_the_end_link_of_another_site_asks_first(world: Topology) -> None:
    entered = enter(world)
    end_url = f"{world.site.base_url}/.waitroom/end"
    browser = entered.browser
    asked = browser.get(end_url, headers={"Sec-Fetch-Site": "cross-site"})
    assert asked.status_code == 200
    assert "End your shopping session?" in asked.text
    # still shopping
    assert follow(browser, f"{world.site.base_url}/tickets.html")[-1].status_code == 200
    confirmed = browser.post(end_url, headers={"Sec-Fetch-Site": "same-origin"})
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == world.queue_url


def test_bad_input_gets_a_problem_body_never_a_500(world: Topology) -> None:
    browser = world.site_client()
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        answer = browser.get(f"{world.site.base_url}/.waitroom/end", params={"next": target})
        assert answer.status_code == 400
        assert answer.json()["detail"].startswith('"next" must be a path of this site')
    assert browser.get(f"{world.site.base_url}/.waitroom/auth").status_code == 404
    forged = browser.get(f"{world.site.base_url}/tickets.html?waitroom_pass=not-a-pass")
    assert forged.status_code == 303 and forged.headers["location"] == world.queue_url


def test_passes_and_sessions_that_ran_out_are_explained_without_a_loop(
    tmp_path: Path, redis_url: str
) -> None:
    """Short settings: a pass lasts 3 s, no clock leeway. One fan comes too late, one stays
    past the deadline; then the waiting room goes away and nginx says so itself."""
    short = {"WAITROOM_PASS_TTL_SECONDS": "3", "WAITROOM_CLOCK_LEEWAY_SECONDS": "0"}
    queue_id = "px" + secrets.token_hex(4)
    with topology(tmp_path, redis_url, queue_id, **short) as short_world:
        late = admitted_fan(short_world)
        shopping = enter(short_world)
        deadline = int(shopping.handed[4])
        assert follow(shopping.browser, f"{short_world.site.base_url}/tickets.html")[-1].is_success
        time.sleep(max(0.0, deadline - time.time()) + 0.2)

        too_late = follow(short_world.site_client(), late.redirect_url)
        assert [answer.status_code for answer in too_late] == [401]
        assert "Your pass has expired" in too_late[0].text
        assert f'href="{short_world.queue_url}?lang=en"' in too_late[0].text
        status = late.queue.get(f"/api/v1/queues/{queue_id}/status").json()
        assert (status["state"], status["closed_reason"]) == ("closed", "pass_expired")

        ran_out = follow(shopping.browser, f"{short_world.site.base_url}/tickets.html")
        assert [answer.status_code for answer in ran_out] == [401]
        assert "Your shopping time has ended" in ran_out[0].text
        assert "Join the queue again" in ran_out[0].text
        cookie_name = session_cookie_name(queue_id)
        assert cookie_name not in shopping.browser.cookies  # cleared with the explanation
        assert follow(shopping.browser, f"{short_world.site.base_url}/")[0].status_code == 303

        short_world.waitroom.stop()
        down = short_world.site_client().get(f"{short_world.site.base_url}/tickets.html")
        assert down.status_code == 503 and down.headers["retry-after"] == "5"
        assert "try again in a moment" in down.text
