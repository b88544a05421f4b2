"""The waiting list after sell-out, as fans live it, over real sockets in the deployed topology:
the waiting room (two worker processes) on 127.0.0.1, the shop (two workers) on 127.0.0.2, a
real SMTP server. A fan buys every ticket; two fans still waiting join the list; a refunded
ticket is offered to the first by e-mail, lapses unused, goes to the second, who buys it; the
next ticket that comes back, with the list done, reopens the queue for everyone."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sale_backend.domain.ticket_mail_text import qr_png
from tests.conftest import ADMIN_TOKEN
from tests.support.connector_hosts import STAFF_TOKEN, Hosts, checkout_body, protected_shop
from tests.support.connector_support import mint_pass
from tests.support.mail_support import SmtpServer, first_link, smtp_server, text_part
from tests.support.shop_fixtures import sample_event
from waitroom.storage.embedded_redis import free_port

ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}
STAFF = {"authorization": f"Bearer {STAFF_TOKEN}"}
OFFER_SECONDS = 4


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def hosts(redis_url: str, smtp: SmtpServer) -> Iterator[Hosts]:
    queue_id = "wl" + uuid.uuid4().hex[:6]
    port = free_port()
    event = sample_event(
        queue_id,
        tiers=[{"tier_id": "standard", "name": "Standard", "price_minor": 4500, "capacity": 2}],
        sections=[],
        phases=[{"phase_id": "general", "starts_at": 0, "ends_at": 4102444800}],
    )
    with protected_shop(
        redis_url,
        queue_id,
        queue_port=port,
        event=event,
        WAITROOM_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        WAITROOM_WAITLIST_OFFER_SECONDS=str(OFFER_SECONDS),
        WAITROOM_STOCK_REPORT_SECONDS="1",
        **smtp.environment(),
    ) as started:
        yield started


def queue_figures(hosts: Hosts) -> dict[str, Any]:
    return hosts.admin()


def wait_until(check: Any, timeout_seconds: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def buy(hosts: Hosts, pass_token: str, quantity: int, email: str) -> dict[str, Any]:
    """An API client of the shop buys with its pass as a bearer token."""
    headers = {"authorization": f"Bearer {pass_token}"}
    with httpx.Client(base_url=hosts.shop.base_url, headers=headers) as shop:
        hold = shop.post(
            "/api/v1/holds",
            json={
                "event_id": hosts.queue_id,
                "items": [{"tier_id": "standard", "quantity": quantity}],
            },
        )
        assert hold.status_code == 201, hold.text
        body = {**checkout_body(hold.json()["hold_id"]), "email": email}
        order = shop.post(
            "/api/v1/checkout", json=body, headers={"idempotency-key": str(uuid.uuid4())}
        )
        assert order.status_code == 201, order.text
        return dict(order.json())


def refund_one(hosts: Hosts, order: dict[str, Any], index: int) -> None:
    ticket_id = order["tickets"][index]["ticket_id"]
    response = httpx.post(
        f"{hosts.shop.base_url}/api/v1/staff/orders/{order['order_id']}/refund",
        json={"ticket_ids": [ticket_id]},
        headers=STAFF,
    )
    assert response.status_code == 200, response.text


def waiting_fan(api: str) -> httpx.Client:
    """A fan whose place the serving pointer has not reached."""
    for _ in range(50):
        fan = httpx.Client()
        joined = fan.post(f"{api}/join")
        assert joined.status_code == 201, joined.text
        if joined.json()["state"] == "waiting" or joined.json()["state"] == "paused":
            return fan
        fan.close()
    raise AssertionError("every place was admitted at once")


def status(hosts: Hosts, fan: httpx.Client) -> dict[str, Any]:
    response = fan.get(f"{hosts.queue.base_url}/api/v1/queues/{hosts.queue_id}/status")
    return dict(response.json())


def offer_pass(hosts: Hosts, link: str) -> str:
    """Follows an offer link as a browser would: the waiting room hands the pass to the shop."""
    with httpx.Client() as browser:
        answer = browser.get(link)
        assert answer.status_code == 303, answer.text
        location = answer.headers["location"]
        assert location.startswith(f"{hosts.shop.base_url}/?waitroom_pass=")
        return location.split("waitroom_pass=", 1)[1]


def check_ticket_mail(smtp: SmtpServer, hosts: Hosts, order: dict[str, Any], address: str) -> None:
    """The tickets by e-mail: QR code images (PNG), printed short codes, the order link."""
    [mail] = smtp.inbox.wait_for(
        lambda message: message["To"] == address and "Your tickets" in str(message["Subject"])
    )
    assert mail["From"] == "Tickets <tickets@example.org>"
    assert mail["Subject"] == "Your tickets: Test concert"
    text = text_part(mail)
    ticket = order["tickets"][0]
    assert f"code {ticket['short_code']}" in text
    link = first_link(text, "/orders/")
    assert link == (
        f"{hosts.shop.base_url}/orders/{order['order_id']}?access={order['access_key']}&lang=en"
    )
    images = [part for part in mail.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 1
    png = images[0].get_content()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert png == qr_png(ticket["code"])  # the ticket's signed code, as the scanner reads it
    html = mail.get_body(preferencelist=("html",))
    assert html is not None
    assert f"cid:{images[0]['Content-ID'][1:-1]}" in str(html.get_content())
    assert httpx.get(link).status_code == 200  # the order link opens the order page


@pytest.mark.slow
def test_returned_tickets_go_to_the_waiting_list_in_queue_order(
    hosts: Hosts, smtp: SmtpServer
) -> None:
    base, queue_id = hosts.queue.base_url, hosts.queue_id
    api = f"{base}/api/v1/queues/{queue_id}"
    # the gate is shut: fans who join now wait (places the pointer already passed are taken
    # by fans who shop at once)
    httpx.put(
        f"{base}/api/v1/admin/queues/{queue_id}", json={"rate_per_minute": 0}, headers=ADMIN
    ).raise_for_status()
    first, second, third = waiting_fan(api), waiting_fan(api), waiting_fan(api)
    with contextlib.ExitStack() as clients:
        for fan in (first, second, third):
            clients.callback(fan.close)
        # someone who got in earlier buys every ticket
        order = buy(hosts, mint_pass(queue_id), 2, f"early-{queue_id}@example.org")
        sold_out = wait_until(
            lambda: status(hosts, second)["state"] == "sold_out" and status(hosts, second)
        )
        assert sold_out["stock_may_return"] is True
        # the queue page offers the list; both waiting fans join it, in queue order
        page = second.get(f"{base}/q/{queue_id}")
        assert 'action="/api/v1/queues/' + queue_id + '/waitlist"' in page.text
        second_address = f"second-{queue_id}@example.org"
        third_address = f"third-{queue_id}@example.org"
        joined = second.post(f"{api}/waitlist", json={"email": second_address})
        assert joined.status_code == 201, joined.text
        assert joined.json()["waitlist"]["place_on_list"] == 1
        joined = third.post(
            f"{api}/waitlist", data={"email": third_address}, follow_redirects=False
        )
        assert joined.status_code == 303  # the form without JavaScript
        assert third.get(f"{api}/waitlist").json()["waitlist"]["place_on_list"] == 2
        left = first.post(f"{api}/leave")  # a fan who left the queue cannot join the list
        assert left.status_code == 200
        assert first.post(f"{api}/waitlist", json={"email": "a@b.org"}).status_code in {401, 409}

        # a refund brings one ticket back: the list gets it, the queue stays sold out
        refund_one(hosts, order, 0)
        [offer] = smtp.inbox.wait_for(lambda message: message["To"] == second_address)
        assert offer["Subject"].startswith("A ticket came back for you")
        lapsing_link = first_link(text_part(offer), "/offer?t=")
        assert queue_figures(hosts)["state"] == "sold_out"
        assert second.get(f"{api}/waitlist").json()["waitlist"]["status"] == "offered"
        assert smtp.inbox.to(third_address) == []  # one ticket, one offer

        # the second fan lets it lapse: the offer goes to the next person on the list
        [next_offer] = smtp.inbox.wait_for(
            lambda message: message["To"] == third_address, timeout_seconds=OFFER_SECONDS + 10
        )
        lapsed = httpx.get(lapsing_link)
        assert lapsed.status_code == 410
        assert "went to the next person on the waiting list" in lapsed.text
        assert second.get(f"{api}/waitlist").json()["waitlist"]["status"] == "lapsed"

        # the third fan follows the link and buys the returned ticket
        pass_token = offer_pass(hosts, first_link(text_part(next_offer), "/offer?t="))
        bought = buy(hosts, pass_token, 1, third_address)
        assert len(bought["tickets"]) == 1
        check_ticket_mail(smtp, hosts, bought, third_address)
        wait_until(lambda: third.get(f"{api}/waitlist").json()["waitlist"]["status"] == "used")
        assert queue_figures(hosts)["state"] == "sold_out"

        # two shop processes and two waiting-room processes: every e-mail went out once
        time.sleep(1.0)
        assert len(smtp.inbox.to(third_address)) == 2  # the offer and the tickets
        assert len(smtp.inbox.to(second_address)) == 1
        assert len(smtp.inbox.to(f"early-{queue_id}@example.org")) == 1

        # with the list done, the next ticket back reopens the queue for everyone
        refund_one(hosts, order, 1)
        wait_until(lambda: queue_figures(hosts)["state"] == "open")
        audit = queue_figures(hosts)
        assert audit["state"] == "open"
