"""Guessing the admin token is throttled per client address (own server: the limit is
per process and would otherwise lock other tests out)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from service_kit.throttle import BEARER_FAILURES, LOGIN_FAILURES
from tests.conftest import ADMIN_TOKEN, waitroom_process
from tests.support.servers import ServerProcess


@pytest.fixture
def throttled_server(redis_url: str) -> Iterator[ServerProcess]:
    # its own process: the throttle counts failures in process memory
    with waitroom_process(redis_url) as server:
        yield server


def _login(client: httpx.Client, token: str) -> httpx.Response:
    form = client.get("/admin/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    return client.post("/admin/login", data={"token": token, "csrf_token": csrf.group(1)})


def test_login_guesses_are_limited(throttled_server: ServerProcess) -> None:
    with httpx.Client(base_url=throttled_server.base_url) as client:
        for attempt in range(LOGIN_FAILURES.amount):
            assert _login(client, f"guess-{attempt}").status_code == 401
        blocked = _login(client, ADMIN_TOKEN)  # even the right token, until the window passes
        assert blocked.status_code == 429 and blocked.headers["retry-after"] == "60"
        assert "wr_admin=" not in " ".join(blocked.headers.get_list("set-cookie"))


def test_bearer_guesses_are_limited(throttled_server: ServerProcess) -> None:
    url = f"{throttled_server.base_url}/api/v1/admin/queues"
    with httpx.Client() as client:
        assert client.get(url, headers={"authorization": f"Bearer {ADMIN_TOKEN}"}).is_success
        for _ in range(BEARER_FAILURES.amount):
            assert client.get(url, headers={"authorization": "Bearer guess"}).status_code == 401
        blocked = client.get(url, headers={"authorization": f"Bearer {ADMIN_TOKEN}"})
        assert blocked.status_code == 429
        assert blocked.json()["type"].endswith("/too-many-attempts")
