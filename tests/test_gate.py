"""waitroom.gate in front of a real shop process: no pass, no access."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import server_environment
from tests.servers import ServerProcess
from waitroom.cookies import VISITOR_COOKIE, pass_cookie_name


@pytest.fixture
def gated_shop(redis_url: str, unique_id: str) -> Iterator[ServerProcess]:
    server = ServerProcess(
        "tests.gate_shop:create_gated_shop",
        server_environment(redis_url, GATE_QUEUE_ID=unique_id),
    )
    server.start(ready_path="/")
    try:
        yield server
    finally:
        server.stop()


def admitted_fan(
    waitroom_server: ServerProcess, admin_headers: dict[str, str], queue_id: str, shop_url: str
) -> tuple[httpx.Client, dict[str, object]]:
    httpx.put(
        f"{waitroom_server.base_url}/api/v1/admin/queues/{queue_id}",
        json={"rate_per_minute": 60000, "redirect_url": shop_url},
        headers=admin_headers,
    ).raise_for_status()
    fan = httpx.Client(base_url=waitroom_server.base_url)
    fan.post(f"/api/v1/queues/{queue_id}/join").raise_for_status()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        status = dict(fan.get(f"/api/v1/queues/{queue_id}/status").json())
        if status["state"] == "admitted":
            return fan, status
        time.sleep(0.1)
    raise AssertionError("fan was not admitted")


def test_no_pass_redirects_browsers_and_rejects_api_clients(
    gated_shop: ServerProcess, unique_id: str
) -> None:
    page = httpx.get(f"{gated_shop.base_url}/", headers={"Accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"] == f"/q/{unique_id}"
    api = httpx.get(f"{gated_shop.base_url}/api/stock")
    assert api.status_code == 401
    assert api.json()["status"] == 401 and api.json()["queue_url"] == f"/q/{unique_id}"


def test_admitted_fan_enters_and_copied_pass_is_refused(
    waitroom_server: ServerProcess,
    admin_headers: dict[str, str],
    gated_shop: ServerProcess,
    unique_id: str,
) -> None:
    fan, status = admitted_fan(waitroom_server, admin_headers, unique_id, f"{gated_shop.base_url}/")
    redirect = str(status["redirect_url"])
    assert "waitroom_pass=" in redirect
    entry = fan.get(redirect)
    assert entry.status_code == 303 and "waitroom_pass" not in entry.headers["location"]
    assert pass_cookie_name(unique_id) in entry.headers["set-cookie"]
    visitor_id = fan.cookies.get(VISITOR_COOKIE)
    shop = fan.get(f"{gated_shop.base_url}/")
    assert shop.status_code == 200 and shop.text == f"welcome {visitor_id}"
    assert fan.get(f"{gated_shop.base_url}/api/stock").json() == {"remaining": 10}
    # the same pass from another browser (another visitor cookie) is refused
    thief = httpx.Client(cookies={VISITOR_COOKIE: "another-visitor-123456"})
    stolen = thief.get(
        f"{gated_shop.base_url}/api/stock", headers={"Authorization": f"Bearer {status['pass']}"}
    )
    assert stolen.status_code == 403
    no_cookie = httpx.get(
        f"{gated_shop.base_url}/api/stock", headers={"Authorization": f"Bearer {status['pass']}"}
    )
    assert no_cookie.status_code == 403
    forged = fan.get(
        f"{gated_shop.base_url}/api/stock",
        headers={"Authorization": f"Bearer {str(status['pass'])[:-4]}AAAA"},
    )
    assert forged.status_code == 401
    fan.close()
    thief.close()
