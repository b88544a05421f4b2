"""The reverse-proxy connector behind Caddy's ``forward_auth`` (``proxy=forward``), as
deployed: Debian's Caddy running ``deploy/caddy/Caddyfile`` on 127.0.0.2 (TLS) in front of an
unmodified static site, ``waitroom serve`` (two workers) on 127.0.0.1, one Redis. The refusals
are the auth answers themselves, and the handoff happens inside the auth answer. Redirects
are followed by hand and counted."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from tests.support.proxy_support import Topology, admitted_fan, follow, topology
from waitroom.connector import session_cookie_name

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Topology]:
    queue_id = "pc" + secrets.token_hex(4)
    with topology(tmp_path_factory.mktemp("site"), redis_url, queue_id, proxy="caddy") as running:
        yield running


def test_a_browser_queues_enters_in_place_and_leaves_through_the_done_link(
    world: Topology,
) -> None:
    site = world.site.base_url
    browser = world.site_client()
    sent_away = follow(browser, f"{site}/tickets.html")
    assert [answer.status_code for answer in sent_away] == [303, 200]
    assert sent_away[0].headers["location"] == world.queue_url

    fan = admitted_fan(world)
    entered = follow(browser, fan.redirect_url)
    assert [answer.status_code for answer in entered] == [303, 200]
    assert str(entered[-1].url) == f"{site}/" and "The tour shop" in entered[-1].text
    cookie_name = session_cookie_name(world.queue_id)
    (cookie,) = [cookie for cookie in browser.cookies.jar if cookie.name == cookie_name]
    assert cookie.domain == "127.0.0.2" and cookie.secure
    assert [answer.status_code for answer in follow(browser, f"{site}/tickets.html")] == [200]

    old_cookie = browser.cookies[cookie_name]
    ended = follow(browser, f"{site}/.waitroom/end")
    assert [answer.status_code for answer in ended] == [303, 200]
    assert ended[0].headers["location"] == world.queue_url
    assert "You have completed your purchase" in fan.queue.get(f"/q/{world.queue_id}").text

    replay = world.site_client(cookies={cookie_name: old_cookie})
    refused = follow(replay, f"{site}/tickets.html")
    assert [answer.status_code for answer in refused] == [410]
    assert "You have completed your purchase" in refused[0].text
    assert "Join the queue again" in refused[0].text


def test_an_api_client_with_a_bearer_pass_gets_the_origin_json(world: Topology) -> None:
    url = f"{world.site.base_url}/api/tickets.json"
    app = world.site_client()
    fan = admitted_fan(world)
    bearer = {"Authorization": f"Bearer {fan.pass_token}", "Accept": "application/json"}
    answers = follow(app, url, headers=bearer)
    assert [answer.status_code for answer in answers] == [200]
    assert answers[0].json() == {"tickets": [{"tier": "ga", "remaining": 120}]}
    anonymous = follow(app, url, headers={"Accept": "application/json"})
    assert [answer.status_code for answer in anonymous] == [401]
    assert anonymous[0].json()["queue_url"] == world.queue_url
    assert anonymous[0].headers["content-type"] == "application/problem+json"
