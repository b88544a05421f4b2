"""Shop forms against cross-site requests, and the browser security headers on every response:
forms without this browser's token are refused (403) and change nothing, requests a browser
marks as coming from another site or origin are refused even with a valid token, and the
``shop_csrf`` cookie is HttpOnly, SameSite=Strict, Secure over https. Driven in-process over
ASGI; tests/system/sale/test_shop_csrf_browser.py runs the same attack from a real Chromium."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import httpx
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from starlette.routing import Route

from sale_backend.domain.payments import CARD_SUCCEEDS
from sale_backend.storage.keys import new_id
from sale_backend.web.form_tokens import CSRF_SALT, FormTokens
from sale_backend.web.routes import shop_routes
from tests.support.shop_fixtures import STAFF_TOKEN, Shop, ShopFactory, form_token
from tests.support.tampering import tampered

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
REFUSED_FORM = "This form has expired"
REFUSED_SITE = "Request from another site refused"


def assert_security_headers(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get_list(name) == [value], (response.url, name)


async def held(buyer: httpx.AsyncClient, event_id: str, quantity: int = 1) -> str:
    """A hold made through the event page's form; its cart path."""
    page = await buyer.get(f"/events/{event_id}")
    answer = await buyer.post(
        f"/events/{event_id}/hold",
        data={"qty_standard": str(quantity), "csrf_token": form_token(page)},
    )
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


async def bought(buyer: httpx.AsyncClient, event_id: str, quantity: int = 1) -> str:
    """An order paid through the cart page's form; its order link (path and access key)."""
    cart = await buyer.get(await held(buyer, event_id, quantity))
    answer = await buyer.post(
        f"{cart.url.path}/checkout",
        data={
            "csrf_token": form_token(cart),
            "idempotency_key": hashlib.sha256(str(cart.url).encode()).hexdigest()[:24],
            "name": "Ada Fan",
            "email": "ada@example.org",
            "card_number": CARD_SUCCEEDS,
        },
    )
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def split_link(order_link: str) -> tuple[str, str]:
    """An order link (the order page's address with its access key): its path and the key."""
    path, _, query = order_link.partition("?")
    return path, query.removeprefix("access=")


async def order_status(shop: Shop, order_path: str) -> str:
    async with shop.staff() as staff:
        order = await staff.get(f"/api/v1/staff{order_path}")
    assert order.status_code == 200, order.text
    return str(order.json()["status"])


async def held_total(shop: Shop, event_id: str) -> int:
    return (await shop.runtime.store.stock(event_id))["held_total"]


async def test_every_shop_response_carries_the_security_headers(
    shop: Shop, unique_id: str
) -> None:
    await shop.define(unique_id)
    async with shop.browser() as buyer:
        order_link = await bought(buyer, unique_id)
        shop.readmit(buyer)  # the purchase ended the session: back through the queue
        cart_path = await held(buyer, unique_id)
        for path in ("/", f"/events/{unique_id}", cart_path, order_link):
            page = await buyer.get(path)
            assert page.status_code == 200 and "text/html" in page.headers["content-type"]
            assert_security_headers(page)
        missing = await buyer.get(f"/orders/{new_id(unique_id, 'o')}")
        assert missing.status_code == 404 and "<html" in missing.text
        assert_security_headers(missing)
        for path in ("/static/shop.css", "/static/cart_timer.js", f"/api/v1/events/{unique_id}"):
            other = await buyer.get(path)
            assert other.status_code == 200
            assert_security_headers(other)
    async with shop.client("") as stranger:
        for path in ("/staff/scan", "/staff/login"):
            page = await stranger.get(path)
            assert page.status_code == 200 and "<html" in page.text
            assert_security_headers(page)
        to_the_queue = await stranger.get("/")
        assert to_the_queue.status_code == 303
        assert_security_headers(to_the_queue)


async def test_a_waiting_room_on_another_origin_is_the_one_more_form_target(
    shop_factory: ShopFactory,
) -> None:
    """A form post may be answered with the way back to the queue: its origin, and only it,
    joins ``form-action``."""
    queue_url = "https://queue.example.org:8443/q/sale?x=1"
    async with shop_factory(queue_url=queue_url) as shop, shop.client("") as stranger:
        page = await stranger.get("/staff/scan")
    policy = page.headers["content-security-policy"]
    assert policy == CONTENT_SECURITY_POLICY.replace(
        "form-action 'self';", "form-action 'self' https://queue.example.org:8443;"
    )


async def test_the_csrf_cookie_is_the_shops_own_strict_httponly_cookie(
    shop: Shop, unique_id: str
) -> None:
    await shop.define(unique_id)
    async with shop.browser() as buyer:
        page = await buyer.get(f"/events/{unique_id}")
        cookie = page.headers["set-cookie"]
        assert cookie.startswith("shop_csrf=")
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/;" in cookie
        assert "Secure" not in cookie  # plain http in tests
        again = await buyer.get(f"/events/{unique_id}")
        assert "set-cookie" not in again.headers  # one cookie per browser, kept
        first, second = form_token(page), form_token(again)
        assert first != second  # masked afresh on every page
        for token in (first, second):
            hold = await buyer.post(
                f"/events/{unique_id}/hold", data={"qty_standard": "1", "csrf_token": token}
            )
            assert hold.status_code == 303
    async with shop.browser("https://shop.test") as secure_buyer:
        page = await secure_buyer.get(f"/events/{unique_id}")
        assert "Secure" in page.headers["set-cookie"]


async def test_forms_without_this_browsers_token_are_refused_and_change_nothing(
    shop: Shop, unique_id: str
) -> None:
    await shop.define(unique_id)
    async with shop.browser() as buyer, shop.browser() as other_browser:
        order_link = await bought(buyer, unique_id, 2)
        order_path, access = split_link(order_link)
        shop.readmit(buyer)  # the purchase ended the session: back through the queue
        cart_path = await held(buyer, unique_id)
        cart = await buyer.get(cart_path)
        foreign_token = form_token(await other_browser.get(f"/events/{unique_id}"))
        holds_before = await held_total(shop, unique_id)
        checkout_fields = {
            "idempotency_key": "k" * 20,
            "name": "Ada Fan",
            "email": "ada@example.org",
            "card_number": CARD_SUCCEEDS,
        }
        attempts: list[tuple[str, dict[str, Any]]] = [
            (f"/events/{unique_id}/hold", {"qty_standard": "1"}),
            (f"{cart_path}/checkout", checkout_fields),
            (f"{cart_path}/cancel", {}),
            (f"{order_path}/refund", {"access": access}),
        ]
        for path, fields in attempts:
            for token in (None, "", "forged", foreign_token, tampered(form_token(cart))):
                data = fields if token is None else {**fields, "csrf_token": token}
                refused = await buyer.post(path, data=data)
                assert refused.status_code == 403, (path, token, refused.text)
                assert REFUSED_FORM in refused.text and "nothing was changed" in refused.text
                assert "<html" in refused.text
                assert_security_headers(refused)
        json_client = await buyer.post(
            f"{order_path}/refund", data={"access": access}, headers={"accept": "application/json"}
        )
        assert json_client.status_code == 403
        assert json_client.headers["content-type"] == "application/problem+json"
        assert json_client.json()["type"].endswith("/form-token-invalid")
        # nothing changed: the hold is still there, the order still paid, nothing more held
        assert (await buyer.get(cart_path)).status_code == 200
        assert await order_status(shop, order_path) == "paid"
        assert await held_total(shop, unique_id) == holds_before
        # a browser's cookie without its token is no better: the cookie alone proves nothing
        other_cookie = other_browser.cookies.get("shop_csrf")
        assert other_cookie and other_cookie != buyer.cookies.get("shop_csrf")
        asked = await buyer.get(f"{order_path}/refund", params={"access": access})
        refund = await buyer.post(
            f"{order_path}/refund",
            data={"access": access, "csrf_token": form_token(asked), "confirm": "yes"},
        )
        assert refund.status_code == 303
        assert await order_status(shop, order_path) == "refunded"


async def test_requests_from_another_site_or_origin_are_refused_even_with_the_token(
    shop: Shop, unique_id: str
) -> None:
    await shop.define(unique_id)
    async with shop.browser() as buyer:
        order_link = await bought(buyer, unique_id)
        order_path, access = split_link(order_link)
        refund = f"{order_path}/refund"
        token = form_token(await buyer.get(refund, params={"access": access}))
        for headers in (
            {"sec-fetch-site": "same-site"},
            {"sec-fetch-site": "cross-site"},
            {"origin": "http://shop.test:8081"},
            {"origin": "https://shop.test"},
            {"origin": "http://evil.test"},
            {"origin": "null"},
            {"sec-fetch-site": "same-origin", "origin": "http://127.0.0.1:9"},
        ):
            refused = await buyer.post(
                refund, data={"access": access, "csrf_token": token}, headers=headers
            )
            assert refused.status_code == 403, headers
            assert REFUSED_SITE in refused.text and "<html" in refused.text
            assert_security_headers(refused)
        cookie_api = await buyer.post(
            f"/api/v1{refund}", json={}, headers={"sec-fetch-site": "same-site"}
        )
        assert cookie_api.status_code == 403
        assert cookie_api.json()["type"].endswith("/cross-site-request")
        assert await order_status(shop, order_path) == "paid"
        # the shop's own page (same origin, default port spelled out or not)
        for headers in (
            {"sec-fetch-site": "same-origin", "origin": "http://shop.test"},
            {"origin": "HTTP://Shop.Test:80"},
        ):
            refused_token = await buyer.post(refund, data={"access": access}, headers=headers)
            assert refused_token.status_code == 403 and REFUSED_FORM in refused_token.text
        accepted = await buyer.post(
            refund,
            data={"access": access, "csrf_token": token, "confirm": "yes"},
            headers={"sec-fetch-site": "same-origin", "origin": "http://shop.test"},
        )
        assert accepted.status_code == 303
    assert await order_status(shop, order_path) == "refunded"


async def test_bearer_api_clients_are_not_cross_site_candidates(
    shop: Shop, unique_id: str
) -> None:
    await shop.define(unique_id)
    async with shop.client(origin="http://elsewhere.test") as api_client:
        hold = await api_client.post(
            "/api/v1/holds",
            json={"event_id": unique_id, "items": [{"tier_id": "standard", "quantity": 1}]},
        )
        assert hold.status_code == 201, hold.text
        # a form post still needs its token, bearer or not
        form = await api_client.post(f"/events/{unique_id}/hold", data={"qty_standard": "1"})
        assert form.status_code == 403 and REFUSED_FORM in form.text


async def test_every_form_route_of_the_shop_refuses_a_post_without_its_token(
    shop: Shop, unique_id: str
) -> None:
    """Structural: each POST route outside /api/ (fans' and staff's), with real ids, so a route
    that forgot the check would change something here."""
    await shop.define(unique_id)
    async with shop.browser() as buyer:
        order_link = await bought(buyer, unique_id)
        order_path, _access = split_link(order_link)
        shop.readmit(buyer)  # the purchase ended the session: back through the queue
        cart_path = await held(buyer, unique_id)
        login_page = await buyer.get("/staff/login")
        logged_in = await buyer.post(
            "/staff/login", data={"token": STAFF_TOKEN, "csrf_token": form_token(login_page)}
        )
        assert logged_in.status_code == 303
        values = {
            "event_id": unique_id,
            "hold_id": cart_path.rsplit("/", 1)[1],
            "order_id": order_path.rsplit("/", 1)[1],
        }
        form_routes = [
            route
            for route in shop_routes()
            if isinstance(route, Route)
            and "POST" in (route.methods or ())
            and not route.path.startswith("/api/")
        ]
        assert len(form_routes) >= 7
        for route in form_routes:
            path = route.path_format.format(**values)
            refused = await buyer.post(path, data={"token": STAFF_TOKEN, "code": "x"})
            assert refused.status_code == 403, (path, refused.status_code)
            assert "<html" in refused.text
        assert (await buyer.get(cart_path)).status_code == 200
        assert await order_status(shop, order_path) == "paid"
        scanner = await buyer.get("/staff/scan", params={"event": unique_id})
        assert 'name="code"' in scanner.text  # still logged in


def test_form_tokens_rotate_keys_and_reject_garbage() -> None:
    old = FormTokens(["old-key"])
    rotated = FormTokens(["old-key", "new-key"])
    secret = old.new_secret()
    cookie = old.cookie_value(secret)
    assert rotated.accepts(cookie, old.form_token(secret))
    assert not FormTokens(["new-key"]).accepts(cookie, old.form_token(secret))
    token = rotated.form_token(secret)
    for presented in (None, "", "é" * 10, "A" * 86, token + "A" * 200, token[:-4], "%%%"):
        assert not rotated.accepts(cookie, presented)
    for broken_cookie in (None, "", "x" * 300, tampered(cookie), "é"):
        assert not rotated.accepts(broken_cookie, token)
    assert rotated.accepts(cookie, token)


class _TwoDaysAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 2 * 24 * 3600


async def test_an_old_cookie_is_signed_again_and_an_expired_one_replaced(
    shop: Shop, unique_id: str
) -> None:
    await shop.define(unique_id)
    tokens = shop.runtime.form_tokens
    secret = tokens.new_secret()
    keys, signing = list(shop.settings.secret_keys), {"digest_method": hashlib.sha256}
    payload = URLSafeTimedSerializer(keys, salt=CSRF_SALT, signer_kwargs=signing).loads(
        tokens.cookie_value(secret)
    )
    old_cookie = URLSafeTimedSerializer(
        keys, salt=CSRF_SALT, signer=_TwoDaysAgo, signer_kwargs=signing
    ).dumps(payload)
    browser_secret = tokens.read_cookie(old_cookie)
    assert browser_secret is not None and browser_secret.secret == secret
    token_of_an_open_page = tokens.form_token(secret)
    async with shop.browser() as buyer:
        buyer.cookies.set("shop_csrf", old_cookie, domain="shop.test")
        page = await buyer.get(f"/events/{unique_id}")
        assert page.headers["set-cookie"].startswith("shop_csrf=")
        renewed = buyer.cookies.get("shop_csrf")
        assert renewed and renewed != old_cookie
        hold = await buyer.post(
            f"/events/{unique_id}/hold",
            data={"qty_standard": "1", "csrf_token": token_of_an_open_page},
        )
        assert hold.status_code == 303  # same secret: pages opened before still work
    short_lived = FormTokens(shop.settings.secret_keys, max_age_seconds=24 * 3600)
    assert short_lived.read_cookie(old_cookie) is None
    assert not short_lived.accepts(old_cookie, token_of_an_open_page)
