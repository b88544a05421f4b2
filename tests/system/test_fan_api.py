"""The fan API and queue page over a real uvicorn server and a real Redis."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.conftest import METRICS_HEADERS
from tests.support.servers import ServerProcess
from tests.support.tampering import tampered
from waitroom.fan.cookies import VISITOR_COOKIE, position_cookie_name


def create_queue(
    server: ServerProcess, admin_headers: dict[str, str], queue_id: str, **fields: object
) -> dict[str, object]:
    body = {"rate_per_minute": 0, **fields}
    response = httpx.put(
        f"{server.base_url}/api/v1/admin/queues/{queue_id}", json=body, headers=admin_headers
    )
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = dict(response.json())
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    return body


def test_join_then_rejoin_keeps_the_place(
    waitroom_server: ServerProcess, admin_headers: dict[str, str], unique_id: str
) -> None:
    create_queue(waitroom_server, admin_headers, unique_id)
    with httpx.Client(base_url=waitroom_server.base_url) as fan:
        first = fan.post(f"/api/v1/queues/{unique_id}/join")
        assert first.status_code == 201
        body = first.json()
        assert {"token", "position", "state", "poll_after_ms"} <= body.keys()
        assert body["position"] == 1 and body["state"] == "paused"
        assert first.headers["cache-control"] == "no-store"
        cookie_header = ";".join(first.headers.get_list("set-cookie"))
        assert "HttpOnly" in cookie_header and "SameSite=Lax" in cookie_header
        again = fan.post(f"/api/v1/queues/{unique_id}/join")
        assert again.status_code == 200 and again.json()["position"] == 1
        # a second tab that lost the token cookie but shares the visitor cookie: same place
        fan.cookies.delete(position_cookie_name(unique_id))
        tab = fan.post(f"/api/v1/queues/{unique_id}/join")
        assert tab.json()["position"] == 1
    with httpx.Client(base_url=waitroom_server.base_url) as api_client:
        bearer = api_client.post(
            f"/api/v1/queues/{unique_id}/join", headers={"Authorization": f"Bearer {body['token']}"}
        )
        assert bearer.status_code == 200 and bearer.json()["position"] == 1
    with httpx.Client(base_url=waitroom_server.base_url) as newcomer:
        other = newcomer.post(f"/api/v1/queues/{unique_id}/join")
        assert other.status_code == 201 and other.json()["position"] == 2


def test_status_moves_to_admitted_with_a_pass(
    waitroom_server: ServerProcess, admin_headers: dict[str, str], unique_id: str
) -> None:
    create_queue(waitroom_server, admin_headers, unique_id, redirect_url="https://shop.example/buy")
    fans = [httpx.Client(base_url=waitroom_server.base_url) for _ in range(3)]
    try:
        for fan in fans:
            assert fan.post(f"/api/v1/queues/{unique_id}/join").status_code == 201
        last = fans[-1].get(f"/api/v1/queues/{unique_id}/status").json()
        assert last["state"] == "paused" and last["position"] == 3 and last["ahead"] == 2
        create_queue(waitroom_server, admin_headers, unique_id, rate_per_minute=600)
        deadline = time.monotonic() + 5
        status = last
        while time.monotonic() < deadline:
            status = fans[-1].get(f"/api/v1/queues/{unique_id}/status").json()
            if status["state"] == "admitted":
                break
            assert status["state"] == "waiting"
            assert status["eta_seconds"] is not None
            time.sleep(0.1)
        assert status["state"] == "admitted"
        assert status["pass"] and status["redirect_url"].startswith(
            "https://shop.example/buy?waitroom_pass="
        )
        assert status["ahead"] == 0
    finally:
        for fan in fans:
            fan.close()


def test_status_rejects_bad_tokens(
    waitroom_server: ServerProcess, admin_headers: dict[str, str], unique_id: str
) -> None:
    create_queue(waitroom_server, admin_headers, unique_id)
    other_queue = unique_id + "x"
    create_queue(waitroom_server, admin_headers, other_queue)
    base = waitroom_server.base_url
    url = f"{base}/api/v1/queues/{unique_id}/status"
    assert_problem(httpx.get(url), 401)
    token = httpx.post(f"{base}/api/v1/queues/{unique_id}/join").json()["token"]
    foreign = httpx.post(f"{base}/api/v1/queues/{other_queue}/join").json()["token"]
    for bad in [
        tampered(token),
        foreign,
        "x" * 5000,
        "%%%not-base64%%%",
        "a.b.c",
        token + "." + token,
    ]:
        response = httpx.get(url, headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code in (400, 401), (bad[:20], response.text)
        assert_problem(response, response.status_code)
    # array-style and odd parameters do not confuse the endpoint
    response = httpx.get(
        url + "?token=1&token=2&position[]=1", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200 and response.json()["position"] == 1
    # a tampered join token never yields a better place
    forged_join = httpx.post(
        f"{base}/api/v1/queues/{unique_id}/join",
        headers={"Authorization": f"Bearer {tampered(token)}"},
    )
    assert_problem(forged_join, 401)


def test_unknown_queue_and_bad_ids(waitroom_server: ServerProcess, unique_id: str) -> None:
    base = waitroom_server.base_url
    assert_problem(httpx.post(f"{base}/api/v1/queues/{unique_id}/join"), 404)
    assert_problem(httpx.post(f"{base}/api/v1/queues/{'A' * 300}/join"), 404)
    assert_problem(httpx.post(f"{base}/api/v1/queues/..%2F..%2Fetc/join"), 404)
    assert_problem(httpx.get(f"{base}/api/v1/queues/{unique_id}/status"), 401)
    assert_problem(httpx.delete(f"{base}/api/v1/queues/{unique_id}/join"), 405)
    page = httpx.get(f"{base}/q/{unique_id}")
    assert page.status_code == 404 and "Queue not found" in page.text


def test_admin_api_requires_the_token(
    waitroom_server: ServerProcess, admin_headers: dict[str, str], unique_id: str
) -> None:
    base = waitroom_server.base_url
    url = f"{base}/api/v1/admin/queues/{unique_id}"
    assert_problem(httpx.put(url, json={"rate_per_minute": 5}), 401)
    assert_problem(
        httpx.put(url, json={"rate_per_minute": 5}, headers={"Authorization": "Bearer nope"}), 401
    )
    assert_problem(httpx.get(url, headers={"Authorization": "Bearer nope"}), 401)
    assert_problem(httpx.put(url, content=b"{not json", headers=admin_headers), 400)
    assert_problem(httpx.put(url, json=[1, 2], headers=admin_headers), 400)
    assert_problem(httpx.put(url, json={"rate_per_minute": -5}, headers=admin_headers), 400)
    assert_problem(httpx.get(url, headers=admin_headers), 404)
    created = httpx.put(url, json={"rate_per_minute": 5, "name": "Tour"}, headers=admin_headers)
    assert created.status_code == 201
    document = httpx.get(url, headers=admin_headers).json()
    assert document["rate_per_minute"] == 5 and document["queue_length"] == 0
    assert "shuffle_seed" not in document or document["prequeue"] is False


def test_queue_page_works_without_javascript(
    waitroom_server: ServerProcess, admin_headers: dict[str, str], unique_id: str
) -> None:
    create_queue(waitroom_server, admin_headers, unique_id, name="Summer Tour")
    with httpx.Client(base_url=waitroom_server.base_url) as browser:
        look = browser.get(f"/q/{unique_id}")  # a look takes no place: the button does
        assert look.status_code == 200 and 'id="join-form"' in look.text
        assert look.headers["refresh"].endswith(f"; url=/q/{unique_id}")
        assert browser.cookies.get(VISITOR_COOKIE)
        joined = browser.post(f"/api/v1/queues/{unique_id}/join", data={"": ""})
        assert joined.status_code == 303 and joined.headers["location"] == f"/q/{unique_id}"
        page = browser.get(joined.headers["location"])
        assert page.status_code == 200
        seconds, url = page.headers["refresh"].split("; url=")
        assert int(seconds) >= 2 and url == f"/q/{unique_id}"
        assert page.headers["cache-control"] == "no-store"
        assert "Summer Tour" in page.text and 'aria-live="polite"' in page.text
        assert page.text.count('id="position">1<') == 1
        assert browser.get(f"/q/{unique_id}").text.count('id="position">1<') == 1
        status = browser.get(f"/api/v1/queues/{unique_id}/status").json()
        assert status["position"] == 1
        create_queue(waitroom_server, admin_headers, unique_id, rate_per_minute=6000)
        time.sleep(0.4)
        admitted = browser.get(f"/q/{unique_id}")
        assert "refresh" not in admitted.headers
        assert "Go to the shop" in admitted.text
        browser.cookies.set("wr_js", "1")
        create_queue(waitroom_server, admin_headers, unique_id, rate_per_minute=0)
        assert "refresh" not in browser.get(f"/q/{unique_id}").headers


LINK_PREVIEWS = (
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "WhatsApp/2.23.20.0",
    "TelegramBot (like TwitterBot)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "curl/8.5.0",
    "python-httpx/0.28",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0",
)


def test_looking_at_the_queue_page_takes_no_place(
    waitroom_server: ServerProcess, admin_headers: dict[str, str], unique_id: str
) -> None:
    """Link previews, crawlers and curl see the queue (its state, length and what happens
    next) and take no place: only the page's script or its button joins."""
    create_queue(waitroom_server, admin_headers, unique_id, name="Preview night")
    base = waitroom_server.base_url
    assert httpx.post(f"{base}/api/v1/queues/{unique_id}/join").status_code == 201
    for index in range(50):
        agent = LINK_PREVIEWS[index % len(LINK_PREVIEWS)]
        page = httpx.get(f"{base}/q/{unique_id}", headers={"user-agent": agent})
        assert page.status_code == 200 and "Preview night" in page.text
        assert 'id="queue-length">1<' in page.text and "Join the queue" in page.text
        assert '<meta name="robots" content="noindex">' in page.text
        assert not any(name.startswith("wr_pos_") for name in page.cookies)
    document = httpx.get(f"{base}/api/v1/admin/queues/{unique_id}", headers=admin_headers).json()
    assert document["queue_length"] == 1 and document["tail_position"] == 1
    metrics = httpx.get(f"{base}/metrics", headers=METRICS_HEADERS).text
    assert f'waitroom_joins_total{{outcome="new",queue="{unique_id}"}} 1.0' in metrics


def test_a_join_form_from_another_site_is_refused(
    waitroom_server: ServerProcess, admin_headers: dict[str, str], unique_id: str
) -> None:
    create_queue(waitroom_server, admin_headers, unique_id)
    refused = httpx.post(
        f"{waitroom_server.base_url}/api/v1/queues/{unique_id}/join",
        data={"x": "1"},
        headers={"sec-fetch-site": "cross-site", "accept-language": "et", "accept": "text/html"},
    )
    assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]
    assert "Tagasi järjekorda" in refused.text
    document = httpx.get(
        f"{waitroom_server.base_url}/api/v1/admin/queues/{unique_id}", headers=admin_headers
    ).json()
    assert document["tail_position"] == 0


@pytest.mark.parametrize("state", ["closed", "sold_out"])
def test_closed_queue_page_is_friendly(
    waitroom_server: ServerProcess, admin_headers: dict[str, str], unique_id: str, state: str
) -> None:
    create_queue(waitroom_server, admin_headers, unique_id, state=state)
    page = httpx.get(f"{waitroom_server.base_url}/q/{unique_id}")
    assert page.status_code == 200 and "does not take new fans" in page.text
    joined = httpx.post(f"{waitroom_server.base_url}/api/v1/queues/{unique_id}/join")
    assert_problem(joined, 409)


def test_operations_endpoints(
    waitroom_server: ServerProcess, admin_headers: dict[str, str], unique_id: str
) -> None:
    base = waitroom_server.base_url
    assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{base}/readyz").status_code == 200
    create_queue(waitroom_server, admin_headers, unique_id)
    httpx.post(f"{base}/api/v1/queues/{unique_id}/join")
    time.sleep(0.3)  # queue gauges come from the view cache (refreshed every 0.25 s here)
    metrics = httpx.get(f"{base}/metrics", headers=METRICS_HEADERS).text
    assert f'waitroom_joins_total{{outcome="new",queue="{unique_id}"}} 1.0' in metrics
    assert f'waitroom_queue_length{{queue="{unique_id}"}} 1.0' in metrics
    assert 'route="/api/v1/queues/{queue_id}/join"' in metrics
