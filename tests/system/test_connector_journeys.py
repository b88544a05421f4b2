"""Journeys through the connector over real sockets, in the deployed topology: the waiting room
on 127.0.0.1, the shop (two workers) on 127.0.0.2, one Redis."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import SECRET_KEYS, server_environment
from tests.support.connector_hosts import Hosts, checkout_body, protected_shop
from tests.support.future_tokens import future_token
from tests.support.servers import ServerProcess
from waitroom.connector import PassCodec, SiteAuth
from waitroom.connector.signing import PASS_SALT
from waitroom.tokens import POSITION_SALT, TokenCodec


@pytest.fixture(scope="module")
def hosts(redis_url: str) -> Iterator[Hosts]:
    with protected_shop(redis_url, "journey" + uuid.uuid4().hex[:6]) as started:
        yield started


def session_state(hosts: Hosts, pass_id: str) -> dict[str, object]:
    response = httpx.get(
        f"{hosts.queue.base_url}/api/v1/connector/queues/{hosts.queue_id}/sessions/{pass_id}",
        headers={"authorization": SiteAuth(SECRET_KEYS).header(hosts.queue_id)},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_api_client_buys_with_its_pass_as_a_bearer_token(hosts: Hosts) -> None:
    with httpx.Client() as fan:
        status = hosts.admitted_status(fan)
        token = str(status["pass"])
        assert status["redirect_url"] == f"{hosts.shop.base_url}/?waitroom_pass={token}"
        pass_id = PassCodec(SECRET_KEYS, 900).verify(token, hosts.queue_id).pass_id
        again = hosts.admitted_status(fan)
        assert again["pass_expires_at"] == status["pass_expires_at"]  # fixed at first issuance
        before = hosts.active_sessions()
        shop = httpx.Client(
            base_url=hosts.shop.base_url, headers={"authorization": f"Bearer {token}"}
        )
        with shop:
            events = shop.get("/api/v1/events")
            assert events.status_code == 200, events.text
            assert hosts.active_sessions() == before + 1
            hold = shop.post(
                "/api/v1/holds",
                json={
                    "event_id": hosts.queue_id,
                    "items": [{"tier_id": "standard", "quantity": 2}],
                },
            )
            assert hold.status_code == 201, hold.text
            held_until = hold.json()["expires_at_ms"] // 1000
            assert int(session_state(hosts, pass_id)["deadline"]) >= held_until  # extended
            order = shop.post(
                "/api/v1/checkout",
                json=checkout_body(hold.json()["hold_id"]),
                headers={"idempotency-key": str(uuid.uuid4())},
            )
            assert order.status_code == 201, order.text
            # the slot is freed at once, and every worker refuses the pass from now on
            assert hosts.active_sessions() == before
            assert session_state(hosts, pass_id)["state"] == "ended"
            for _ in range(4):
                refused = shop.get("/api/v1/events")
                assert refused.status_code == 410
                problem = refused.json()
                assert problem["type"].endswith("/session-ended")
                assert problem["closed_reason"] == "purchase_completed"
                assert problem["queue_url"] == hosts.queue_url
            link = {"access": order.json()["access_key"]}
            mine = shop.get(f"/api/v1/orders/{order.json()['order_id']}", params=link)
            assert mine.status_code == 200 and mine.json()["status"] == "paid"
        done = fan.get(f"{hosts.queue.base_url}/api/v1/queues/{hosts.queue_id}/status").json()
        assert done["state"] == "closed" and done["closed_reason"] == "purchase_completed"
        assert "pass" not in done and "redirect_url" not in done
        # "join the queue again": a new place at the back, a new pass later
        rejoined = fan.post(f"{hosts.queue.base_url}/api/v1/queues/{hosts.queue_id}/rejoin")
        assert rejoined.status_code == 201
        assert rejoined.json()["position"] > done["position"]
        fresh = hosts.admitted_status(fan)
        assert fresh["pass"] != token


def test_browser_handoff_sets_the_shops_own_cookie_and_a_copy_is_refused(hosts: Hosts) -> None:
    with httpx.Client() as fan, httpx.Client() as copier:
        status = hosts.admitted_status(fan)
        link = str(status["redirect_url"])
        entry = fan.get(link, headers={"accept": "text/html"})
        assert entry.status_code == 303
        assert entry.headers["location"] == "/"  # the pass leaves the address bar
        cookie = entry.headers["set-cookie"]
        assert cookie.startswith(f"wr_site_{hosts.queue_id}=") and "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie and "Path=/" in cookie
        # the cookie is the shop's own (its host); the queue's cookies never reach the shop
        shop_cookies = {c.name for c in fan.cookies.jar if c.domain.startswith("127.0.0.2")}
        assert shop_cookies == {f"wr_site_{hosts.queue_id}"}
        home = fan.get(f"{hosts.shop.base_url}/", headers={"accept": "text/html"})
        assert home.status_code == 200 and "Shopping time left" in home.text
        # the same browser following the link again keeps its session
        again = fan.get(link, headers={"accept": "text/html"})
        assert again.status_code == 303
        copied = copier.get(link, headers={"accept": "text/html"})
        assert copied.status_code == 409 and "already in use" in copied.text
        assert hosts.queue_url in copied.text  # "Join the queue again"
        as_bearer = copier.get(
            f"{hosts.shop.base_url}/api/v1/events",
            headers={"authorization": f"Bearer {status['pass']}"},
        )
        assert as_bearer.status_code == 409 and as_bearer.json()["type"].endswith("pass-in-use")
        assert (
            fan.get(f"{hosts.shop.base_url}/", headers={"accept": "text/html"}).status_code == 200
        )


def test_fifty_browsers_with_one_pass_make_one_session(hosts: Hosts) -> None:
    with httpx.Client() as fan:
        link = str(hosts.admitted_status(fan)["redirect_url"])

    def attempt(_: int) -> int:
        with httpx.Client() as browser:
            return browser.get(link, headers={"accept": "text/html"}).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = sorted(pool.map(attempt, range(50)))
    assert statuses == [303] + [409] * 49


def test_no_pass_forged_pass_and_visitor_id_in_clear(hosts: Hosts) -> None:
    shop = hosts.shop.base_url
    page = httpx.get(f"{shop}/", headers={"accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"] == hosts.queue_url
    api = httpx.get(f"{shop}/api/v1/events")
    assert api.status_code == 401 and api.json()["queue_url"] == hosts.queue_url
    payload = {
        "q": hosts.queue_id,
        "v": "a-visitor-id-in-clear",
        "pid": "p" * 24,
        "exp": int(time.time()) + 600,
    }
    in_clear = future_token(SECRET_KEYS, PASS_SALT, payload, 0)
    refused = httpx.get(f"{shop}/api/v1/events", headers={"authorization": f"Bearer {in_clear}"})
    assert refused.status_code == 401 and refused.json()["type"].endswith("pass-invalid")
    forged = httpx.get(f"{shop}/api/v1/events", headers={"authorization": "Bearer x.y.z"})
    assert forged.status_code == 401


def test_clock_leeway_for_passes_and_position_tokens(hosts: Hosts) -> None:
    with httpx.Client() as fan:
        status = hosts.admitted_status(fan)
        claims = PassCodec(SECRET_KEYS, 900).verify(str(status["pass"]), hosts.queue_id)
        position_token = fan.cookies[f"wr_pos_{hosts.queue_id}"]
    payload = {
        "q": hosts.queue_id,
        "vh": claims.visitor_hash,
        "pid": claims.pass_id,
        "exp": claims.expires_at,
    }
    shop = hosts.shop.base_url
    ahead_10 = future_token(SECRET_KEYS, PASS_SALT, payload, 10)
    refused = httpx.get(f"{shop}/api/v1/events", headers={"authorization": f"Bearer {ahead_10}"})
    assert refused.status_code == 401 and refused.json()["type"].endswith("pass-expired")
    ahead_3 = future_token(SECRET_KEYS, PASS_SALT, payload, 3)
    accepted = httpx.get(f"{shop}/api/v1/events", headers={"authorization": f"Bearer {ahead_3}"})
    assert accepted.status_code == 200, accepted.text
    # position tokens: the status endpoint accepts one stamped 3 s ahead, not 10 s
    place = TokenCodec(SECRET_KEYS, 3600).verify_position(position_token, hosts.queue_id)
    place_payload = {
        "q": place.queue_id,
        "e": place.epoch,
        "p": place.position,
        "v": place.visitor_id,
        "iat": place.issued_at,
    }
    status_url = f"{hosts.queue.base_url}/api/v1/queues/{hosts.queue_id}/status"
    for offset, expected in ((3, 200), (10, 401)):
        token = future_token(SECRET_KEYS, POSITION_SALT, place_payload, offset)
        answer = httpx.get(status_url, headers={"authorization": f"Bearer {token}"})
        assert answer.status_code == expected, (offset, answer.text)


def test_the_shop_fails_closed_when_the_waiting_room_is_down(redis_url: str, hosts: Hosts) -> None:
    environment = {
        **server_environment(redis_url),
        "WAITROOM_SHOP_QUEUE_ID": hosts.queue_id,
        "WAITROOM_SHOP_QUEUE_URL": hosts.queue_url,
        "WAITROOM_CONNECTOR_URL": "http://127.0.0.1:9",  # nothing listens there
        "WAITROOM_STAFF_TOKEN": "journey-staff-token-0123456789",
    }
    with (
        ServerProcess(
            "sale_backend.web.app:create_app_from_environ", environment, host="127.0.0.2"
        ) as lonely,
        httpx.Client() as fan,
    ):
        token = str(hosts.admitted_status(fan)["pass"])
        page = httpx.get(
            f"{lonely.base_url}/?waitroom_pass={token}", headers={"accept": "text/html"}
        )
        assert page.status_code == 503 and "try again" in page.text.lower()
        assert page.headers["retry-after"] == "2"
        api = httpx.get(
            f"{lonely.base_url}/api/v1/events", headers={"authorization": f"Bearer {token}"}
        )
        assert api.status_code == 503 and api.json()["type"].endswith("connector-unavailable")
