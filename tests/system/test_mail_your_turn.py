"""The your-turn e-mail over real sockets: a real SMTP server (aiosmtpd), a waiting room with
two worker processes, fans who opt in with the profile form and close their page."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN, server_environment
from tests.support.connector_support import open_queue
from tests.support.mail_support import SmtpServer, first_link, smtp_server, text_part
from tests.support.servers import ServerProcess
from waitroom.storage.embedded_redis import free_port

ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def queue_host(redis_url: str, smtp: SmtpServer) -> Iterator[ServerProcess]:
    port = free_port()
    environment = server_environment(
        redis_url,
        **smtp.environment(),
        WAITROOM_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        WAITROOM_POLL_INTERVAL_MIN_MS="300",
        WAITROOM_POLL_INTERVAL_MAX_MS="1000",
    )
    server = ServerProcess(
        "waitroom.web.app:create_app_from_environ", environment, port=port, workers=2
    )
    with server:
        yield server


def join(client: httpx.Client, base: str, queue_id: str) -> dict[str, object]:
    response = client.post(f"{base}/api/v1/queues/{queue_id}/join")
    assert response.status_code == 201, response.text
    return dict(response.json())


def admitted_status(client: httpx.Client, url: str) -> dict[str, object]:
    deadline = time.monotonic() + 5
    while True:
        status = dict(client.get(url).json())
        if status["state"] == "admitted" or time.monotonic() > deadline:
            assert status["state"] == "admitted", status
            return status
        time.sleep(0.1)


def save_profile(
    client: httpx.Client, base: str, queue_id: str, email: str, alert: object
) -> httpx.Response:
    body = {"name": "Ada Fan", "email": email, "quantity": 1, "your_turn_email": alert}
    return client.put(f"{base}/api/v1/queues/{queue_id}/profile", json=body)


def test_opted_in_fan_gets_one_email_and_its_link_claims_the_pass(
    queue_host: ServerProcess, smtp: SmtpServer
) -> None:
    base, queue_id = queue_host.base_url, "mail" + uuid.uuid4().hex[:6]
    open_queue(base, queue_id, rate_per_minute=0, name="Summer Gala", redirect_url="/shop/")
    first, opted_in, silent = httpx.Client(), httpx.Client(), httpx.Client()
    with first, opted_in, silent:
        join(first, base, queue_id)
        join(opted_in, base, queue_id)
        join(silent, base, queue_id)
        address = f"ada-{queue_id}@example.org"
        saved = save_profile(opted_in, base, queue_id, address, True)
        assert saved.status_code == 200, saved.text
        assert saved.json()["your_turn_email"] is True
        other = save_profile(silent, base, queue_id, f"bo-{queue_id}@example.org", False)
        assert other.json()["your_turn_email"] is False
        page = opted_in.get(f"{base}/q/{queue_id}")
        assert 'name="your_turn_email" value="true"\n           checked' in page.text
        time.sleep(0.5)
        assert smtp.inbox.to(address) == []  # not yet: the queue is paused
        # nobody polls from now on: the fans closed their pages; the organizer opens the gate
        httpx.put(
            f"{base}/api/v1/admin/queues/{queue_id}",
            json={"rate_per_minute": 60000},
            headers=ADMIN,
        ).raise_for_status()
        [message] = smtp.inbox.wait_for(lambda message: message["To"] == address)
        assert message["From"] == "Tickets <tickets@example.org>"
        assert message["Subject"] == "It's your turn: Summer Gala"
        assert message["Content-Language"] == "en"
        assert message["Auto-Submitted"] == "auto-generated"
        text = text_part(message)
        assert "Your turn has come in the queue for Summer Gala." in text
        html = message.get_body(preferencelist=("html",))
        assert html is not None and "Open the queue page" in str(html.get_content())
        link = first_link(text, "/return?t=")
        assert link.startswith(f"{base}/q/{queue_id}/return?t=")
    # the link works in another browser (the e-mail app's): it carries the place
    with httpx.Client() as mail_app:
        back = mail_app.get(link)
        assert back.status_code == 303
        assert back.headers["location"] == f"/q/{queue_id}?lang=en"
        # (another process's view may be a refresh interval behind the one that sent it)
        status = admitted_status(mail_app, f"{base}/api/v1/queues/{queue_id}/status")
        assert status["position"] == 2
        assert status["redirect_url"].startswith("/shop/?waitroom_pass=")
    time.sleep(1.0)  # both worker processes had several rounds: still exactly one e-mail
    assert len(smtp.inbox.to(address)) == 1
    assert smtp.inbox.to(f"bo-{queue_id}@example.org") == []


def test_bad_links_and_bad_opt_in_are_answered_clearly(queue_host: ServerProcess) -> None:
    base, queue_id = queue_host.base_url, "mail" + uuid.uuid4().hex[:6]
    open_queue(base, queue_id, rate_per_minute=0)
    with httpx.Client() as fan:
        join(fan, base, queue_id)
        tampered = fan.get(f"{base}/q/{queue_id}/return?t=not-a-token")
        assert tampered.status_code == 400
        assert "This link is not valid any more" in tampered.text
        offer = fan.get(f"{base}/q/{queue_id}/offer?t=forged")
        assert offer.status_code == 400
        bad = save_profile(fan, base, queue_id, "not-an-address", True)
        assert bad.status_code == 400
        assert bad.json()["field"] == "email"


def test_without_smtp_nothing_is_offered(waitroom_server: ServerProcess) -> None:
    base, queue_id = waitroom_server.base_url, "mail" + uuid.uuid4().hex[:6]
    open_queue(base, queue_id, rate_per_minute=0)
    with httpx.Client() as fan:
        join(fan, base, queue_id)
        page = fan.get(f"{base}/q/{queue_id}")
        assert "your_turn_email" not in page.text
        saved = save_profile(fan, base, queue_id, "ada@example.org", True)
        assert saved.json()["your_turn_email"] is False
        listed = fan.post(f"{base}/api/v1/queues/{queue_id}/waitlist", json={"email": "a@b.org"})
        assert listed.status_code == 404
        assert listed.json()["type"].endswith("/mail-not-offered")


def test_the_email_speaks_the_fans_language(queue_host: ServerProcess, smtp: SmtpServer) -> None:
    base, queue_id = queue_host.base_url, "mail" + uuid.uuid4().hex[:6]
    open_queue(base, queue_id, rate_per_minute=0, name="Suvegala")
    with httpx.Client(cookies={"wr_lang": "et"}) as fan:
        join(fan, base, queue_id)
        address = f"mari-{queue_id}@example.org"
        # the form without JavaScript: a ticked checkbox
        form = {"name": "Mari", "email": address, "quantity": "1", "your_turn_email": "true"}
        saved = fan.post(f"{base}/api/v1/queues/{queue_id}/profile", data=form)
        assert saved.status_code == 303
    httpx.put(
        f"{base}/api/v1/admin/queues/{queue_id}", json={"rate_per_minute": 60000}, headers=ADMIN
    ).raise_for_status()
    [message] = smtp.inbox.wait_for(lambda message: message["To"] == address)
    assert message["Subject"] == "On sinu kord: Suvegala"
    assert message["Content-Language"] == "et"
    text = text_part(message)
    assert "Sinu kord on järjekorras Suvegala kätte jõudnud." in text
    assert first_link(text, "/return?t=").endswith("&lang=et")
