"""A real headless Chromium buys a ticket in the shop (a real uvicorn), then visits an attacker's
page served from another port of the same host (same-site: the fan's cookies, even the
SameSite=Strict ones, go along) that auto-submits a refund form to the shop: refused (403), the
order is still paid; the same refund from the order page succeeds. A form whose token was
removed is refused too. No shop page, the fans' or the door staff's, reports a violation of its
Content-Security-Policy, and every page the browser loads carries the security headers; a form
answered with the way back to a waiting room on another host is not blocked by form-action."""

from __future__ import annotations

import contextlib
import re
import secrets
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from sale_backend.domain.payments import CARD_SUCCEEDS
from sale_backend.storage.keys import new_id
from tests.integration.sale.test_shop_csrf import SECURITY_HEADERS
from tests.support.connector_hosts import STAFF_TOKEN, Hosts, protected_shop
from tests.support.fan_page import go_to_the_shop
from tests.support.shop_fixtures import sample_event
from waitroom.storage.embedded_redis import free_port

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture(scope="module")
def hosts(redis_url: str) -> Iterator[Hosts]:
    """The deployed topology: the queue on 127.0.0.1, the shop on 127.0.0.2."""
    with protected_shop(redis_url, "csrf" + secrets.token_hex(4)) as started:
        yield started


class _Site:
    """Another web server (the attacker's, or a stand-in waiting room) serving one page."""

    def __init__(self, html: str, host: str = "127.0.0.1") -> None:
        body = html.encode()

        class Page(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer((host, free_port()), Page)
        self.url = f"http://{host}:{self.server.server_address[1]}/prize"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _Site:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Watched:
    """A Chromium page whose CSP violations and loaded documents are recorded."""

    def __init__(self, context: Any, shop_url: str, queue_origin: str) -> None:
        self.context = context
        self.queue_origin = queue_origin
        self.page = context.new_page()
        self.shop_url = shop_url
        self.console_violations: list[str] = []
        self.documents: list[Any] = []
        self.page.on("console", self._console)
        self.page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console_violations.append(message.text)

    def _response(self, response: Any) -> None:
        if response.request.resource_type == "document" and response.url.startswith(
            self.shop_url
        ):
            self.documents.append(response)

    def assert_clean(self) -> None:
        """No violation reported on the page shown now, nor on the console so far."""
        assert self.page.evaluate("window.__cspViolations") == [], self.page.url
        assert self.console_violations == []

    def assert_headers(self) -> None:
        assert self.documents
        for document in self.documents:
            headers = document.all_headers()
            for name, value in SECURITY_HEADERS.items():
                # the waiting room on another origin joins form-action (the way back to it)
                expected = value.replace(
                    "form-action 'self'", f"form-action 'self' {self.queue_origin}"
                )
                assert headers.get(name) == expected, (document.url, name)


@contextlib.contextmanager
def _admitted_fan(hosts: Hosts) -> Iterator[_Watched]:
    """A Chromium page of a fan the waiting room admitted, entered into the shop by the
    connector's handoff, watched for CSP violations."""
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en-GB")
        context.add_init_script(WATCH_CSP)
        try:
            watched = _Watched(context, hosts.shop.base_url, hosts.queue.base_url)
            watched.page.goto(hosts.queue_url)
            go_to_the_shop(watched.page)
            watched.page.wait_for_url(f"{hosts.shop.base_url}/?lang=en")  # the language handed on
            yield watched
        finally:
            browser.close()


def _define_event(base_url: str, queue_id: str, event_id: str) -> None:
    response = httpx.put(
        f"{base_url}/api/v1/staff/events/{event_id}",
        json=sample_event(queue_id, name="Browser concert"),
        headers={"authorization": f"Bearer {STAFF_TOKEN}"},
    )
    assert response.status_code == 200, response.text


def _order_status(base_url: str, order_id: str) -> str:
    response = httpx.get(
        f"{base_url}/api/v1/staff/orders/{order_id}",
        headers={"authorization": f"Bearer {STAFF_TOKEN}"},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


def test_a_same_site_attacker_page_cannot_refund_the_fans_order(hosts: Hosts) -> None:
    base_url, queue_id = hosts.shop.base_url, hosts.queue_id
    event_id = f"{queue_id}-refunds"
    _define_event(base_url, queue_id, event_id)
    with _admitted_fan(hosts) as watched:
        page = watched.page

        watched.assert_clean()
        page.get_by_role("link", name="Browser concert").click()
        page.wait_for_url(f"**/events/{event_id}")
        watched.assert_clean()

        # a form whose token is gone is refused with a friendly page, and holds nothing
        page.locator("input[name=csrf_token]").evaluate("element => element.remove()")
        page.get_by_label("Quantity of Standard").fill("2")
        with page.expect_response(re.compile(r"/hold$")) as refused_hold:
            page.get_by_role("button", name="Hold my tickets").click()
        assert refused_hold.value.status == 403
        assert page.get_by_role("heading", name="This form has expired").count() == 1
        watched.assert_clean()
        page.goto(f"{base_url}/events/{event_id}")
        assert page.locator("tr.tier td").nth(2).inner_text() == "100"

        page.get_by_label("Quantity of Standard").fill("2")
        page.get_by_role("button", name="Hold my tickets").click()
        page.wait_for_url("**/holds/*")
        watched.assert_clean()  # the cart timer is a static script
        page.get_by_label("Name").fill("Ada Fan")
        page.get_by_label("Email").fill("ada@example.org")
        page.get_by_label("Card number").fill(CARD_SUCCEEDS)
        page.get_by_role("button", name=re.compile(r"^Pay ")).click()
        page.wait_for_url("**/orders/*")
        order_url = page.url
        order_path, _, query = order_url.partition("?")
        order_id = order_path.rsplit("/", 1)[1]
        assert page.locator(".qr svg").count() == 2
        watched.assert_clean()  # the inline QR codes use no inline style
        assert _order_status(base_url, order_id) == "paid"

        attack = (
            "<!doctype html><title>You won!</title>"
            f'<form method="post" action="{order_path}/refund">'
            f'<input type="hidden" name="access" value="{query[len("access="):]}">'
            '<input type="hidden" name="confirm" value="yes">'
            '<input type="hidden" name="csrf_token" value="guessed"></form>'
            "<script>document.forms[0].submit()</script>"
        )
        with _Site(attack, "127.0.0.2") as attacker:  # the shop's host, another port: same-site
            with page.expect_response(f"{order_path}/refund") as attacked:
                page.goto(attacker.url)
            response = attacked.value
            assert response.status == 403
            sent = response.request.all_headers()
            assert sent.get("sec-fetch-site") == "same-site"
            # the purchase ended the shopping session; the shop's own cookie went along
            assert "shop_csrf=" in sent.get("cookie", "")
            page.wait_for_load_state()
            assert page.get_by_role("heading", name="Request from another site refused").count()
            watched.assert_clean()
        assert _order_status(base_url, order_id) == "paid"

        page.goto(order_url)
        page.get_by_role("link", name="Refund the whole order").click()
        page.get_by_role("button", name=re.compile("^Yes, refund")).click()
        page.wait_for_url(order_url)
        assert page.locator("section.ticket.refunded").count() == 2
        watched.assert_clean()
        assert _order_status(base_url, order_id) == "refunded"
        watched.assert_headers()


def test_staff_and_error_pages_report_no_policy_violation(hosts: Hosts) -> None:
    base_url, queue_id = hosts.shop.base_url, hosts.queue_id
    with _admitted_fan(hosts) as watched:
        page = watched.page

        page.goto(f"{base_url}/staff/scan?event={queue_id}")
        watched.assert_clean()
        page.get_by_label("Staff token").fill(STAFF_TOKEN)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"**/staff/scan?event={queue_id}")
        watched.assert_clean()
        page.get_by_label(re.compile("Ticket code")).fill("not-a-ticket")
        page.get_by_role("button", name="Check ticket").click()
        page.get_by_text("REJECTED", exact=True).first.wait_for()
        watched.assert_clean()
        page.get_by_role("button", name="Log out").click()
        page.get_by_label("Staff token").wait_for()
        watched.assert_clean()

        missing = page.goto(f"{base_url}/orders/{new_id(queue_id, 'o')}")
        assert missing is not None and missing.status == 404
        watched.assert_clean()
        malformed = page.goto(f"{base_url}/orders/not-an-order")
        assert malformed is not None and malformed.status == 400
        watched.assert_clean()
        watched.assert_headers()


def test_a_form_answered_with_the_way_back_to_a_queue_on_another_host_is_not_blocked(
    hosts: Hosts,
) -> None:
    """``form-action`` also governs a form's redirect: a form posted without a shopping session
    is answered with a 303 to the waiting room, here on another host (127.0.0.1)."""
    base_url, queue_id = hosts.shop.base_url, hosts.queue_id
    _define_event(base_url, queue_id, f"{queue_id}-later")
    with _admitted_fan(hosts) as watched:
        page = watched.page
        page.goto(f"{base_url}/events/{queue_id}-later")
        watched.assert_clean()
        watched.context.clear_cookies(name=f"wr_site_{queue_id}")  # the session is gone
        page.get_by_label("Quantity of Standard").fill("1")
        page.get_by_role("button", name="Hold my tickets").click()
        page.wait_for_url(f"{hosts.queue_url}*")
        assert page.url.startswith(hosts.queue_url)
        assert watched.console_violations == []
