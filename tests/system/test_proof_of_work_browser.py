"""A real headless Chromium solves the join challenge and lands on the queue page."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import server_environment
from tests.support.abuse_support import ADMIN_HEADERS
from tests.support.servers import ServerProcess

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def pow_server(redis_url: str) -> Iterator[ServerProcess]:
    environment = server_environment(redis_url, WAITROOM_POW_DIFFICULTY_BITS="12")
    server = ServerProcess("waitroom.web.app:create_app_from_environ", environment).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="needs a chromium binary")
def test_browser_solves_the_challenge_and_gets_a_place(
    pow_server: ServerProcess, unique_id: str
) -> None:
    assert CHROMIUM is not None
    created = httpx.put(
        f"{pow_server.base_url}/api/v1/admin/queues/{unique_id}",
        json={"rate_per_minute": 0},
        headers=ADMIN_HEADERS,
    )
    assert created.status_code == 201
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=4000",
        "--dump-dom", f"{pow_server.base_url}/q/{unique_id}",
    ]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False).stdout
    assert re.search(r'id="position">\s*1\s*<', dom), dom[-2000:]
    assert "pow.js" not in dom  # the challenge page reloaded into the queue page
    document = httpx.get(
        f"{pow_server.base_url}/api/v1/admin/queues/{unique_id}", headers=ADMIN_HEADERS
    ).json()
    assert document["tail_position"] == 1
