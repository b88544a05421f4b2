"""The door scanner pages: login with the staff token, scans of real tickets bought through the
shop, friendly 4xx pages for bad input, and sessions kept apart from the organizer's."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from sale_backend.domain.short_codes import ALPHABET
from sale_backend.storage.keys import new_id
from sale_backend.web.staff_session import STAFF_NAMES
from service_kit.browser_session import AdminSessionCodec
from tests.conftest import ADMIN_TOKEN
from tests.integration.sale.test_shop_flow import buyer_details
from tests.support.shop_fixtures import STAFF_TOKEN, Shop
from tests.support.tampering import tampered

SCAN = "/staff/scan"
HIDDEN = re.compile(r'name="(csrf_token|history|event_id)" value="([^"]*)"')


def hidden_fields(page: httpx.Response) -> dict[str, str]:
    return dict(HIDDEN.findall(page.text))


def staff_client(shop: Shop) -> httpx.AsyncClient:
    """A browser without a pass (door staff never join the queue)."""
    return shop.client("")


async def log_in(client: httpx.AsyncClient, token: str = STAFF_TOKEN) -> httpx.Response:
    form = await client.get(SCAN)
    assert form.status_code == 200 and 'action="/staff/login"' in form.text
    fields = hidden_fields(form)
    return await client.post("/staff/login", data={"token": token, **fields})


async def logged_in(
    client: httpx.AsyncClient, event_id: str, door: str = "North gate"
) -> dict[str, str]:
    """Logs ``client`` in at ``door`` and opens the scanner of ``event_id``; the scanner form's
    hidden fields."""
    form = await client.get(SCAN)
    answer = await client.post(
        "/staff/login", data={"token": STAFF_TOKEN, "door": door, **hidden_fields(form)}
    )
    assert answer.status_code == 303 and answer.headers["location"] == SCAN
    page = await client.get(SCAN, params={"event": event_id})
    assert page.status_code == 200 and 'name="code"' in page.text
    assert door in page.text
    return hidden_fields(page)


async def scan(
    client: httpx.AsyncClient, fields: dict[str, str], code: str
) -> tuple[httpx.Response, dict[str, str]]:
    page = await client.post(SCAN, data={**fields, "code": code})
    return page, hidden_fields(page) or fields


async def bought_tickets(
    shop: Shop, event_id: str, quantity: int
) -> tuple[str, list[dict[str, str]]]:
    """(order id, tickets) of a real order paid through the buyer API (the event is defined
    unless it exists)."""
    if event_id not in await shop.runtime.store.event_ids():
        await shop.define(event_id)
    async with shop.client() as buyer:
        hold = await buyer.post(
            "/api/v1/holds",
            json={"event_id": event_id, "items": [{"tier_id": "standard", "quantity": quantity}]},
        )
        assert hold.status_code == 201, hold.text
        order = await buyer.post(
            "/api/v1/checkout",
            json=buyer_details(hold_id=hold.json()["hold_id"]),
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert order.status_code == 201, order.text
    return order.json()["order_id"], order.json()["tickets"]


def scans_counted(shop: Shop, result: str) -> float:
    value = shop.runtime.metrics.scans.labels(result)._value.get()
    return float(value)


async def test_without_a_session_the_scanner_shows_the_login_form(shop: Shop) -> None:
    async with staff_client(shop) as client:
        page = await client.get(SCAN)
        assert page.status_code == 200
        assert 'name="token"' in page.text and 'name="code"' not in page.text
        assert "shop_csrf=" in page.headers["set-cookie"]
        assert page.headers["x-frame-options"] == "DENY"
        posted = await client.post(SCAN, data={"code": "anything", "csrf_token": "x"})
        assert posted.status_code == 401 and "session has ended" in posted.text
        assert 'name="token"' in posted.text


async def test_login_sets_a_strict_session_cookie_and_logout_ends_it(shop: Shop) -> None:
    async with staff_client(shop) as client:
        answer = await log_in(client)
        assert answer.status_code == 303 and answer.headers["location"] == SCAN
        cookies = answer.headers.get_list("set-cookie")
        session_cookie = next(c for c in cookies if c.startswith("wr_staff="))
        assert "HttpOnly" in session_cookie and "SameSite=Strict" in session_cookie
        assert "Secure" not in session_cookie  # plain http in tests
        assert (await client.get("/staff/login")).status_code == 303

        page = await client.get(SCAN)
        fields = hidden_fields(page)
        refused = await client.post("/staff/logout", data={"csrf_token": "wrong"})
        assert refused.status_code == 403 and "form expired" in refused.text
        assert 'action="/staff/logout"' in refused.text
        out = await client.post("/staff/logout", data={"csrf_token": fields["csrf_token"]})
        assert out.status_code == 303 and out.headers["location"] == SCAN
        assert 'name="token"' in (await client.get(SCAN)).text


async def test_wrong_token_is_refused_then_throttled(shop: Shop) -> None:
    async with staff_client(shop) as client:
        wrong = await log_in(client, "not-the-staff-token")
        assert wrong.status_code == 401 and "not accepted" in wrong.text
        assert "wr_staff=" not in wrong.headers.get("set-cookie", "")
        for _ in range(9):
            assert (await log_in(client, "still-wrong")).status_code == 401
        throttled = await log_in(client)  # even the right token, for the rest of the minute
        assert throttled.status_code == 429
        assert "Too many failed logins from this address" in throttled.text
        assert throttled.headers["retry-after"] == "60"
        client.headers["accept-language"] = "et"  # the notice in the steward's language
        estonian = await log_in(client)
        assert estonian.status_code == 429
        assert "liiga palju ebaõnnestunud sisselogimisi" in estonian.text


async def test_login_without_the_forms_token_is_forbidden(shop: Shop) -> None:
    async with staff_client(shop) as client:
        bare = await client.post("/staff/login", data={"token": STAFF_TOKEN})
        assert bare.status_code == 403 and "form expired" in bare.text
        forged = await client.post(
            "/staff/login", data={"token": STAFF_TOKEN, "csrf_token": "forged"}
        )
        assert forged.status_code == 403


async def test_a_real_ticket_is_admitted_once_then_rejected(shop: Shop, unique_id: str) -> None:
    await shop.define(unique_id, time_zone="Asia/Tokyo")
    _, tickets = await bought_tickets(shop, unique_id, 2)
    accepted_before = scans_counted(shop, "accepted")
    used_before = scans_counted(shop, "already_scanned")
    async with staff_client(shop) as client:
        fields = await logged_in(client, unique_id, door="North gate")
        first, fields = await scan(client, fields, f"  {tickets[0]['code']}  ")
        assert first.status_code == 200
        assert "ADMIT" in first.text and "Admits 1" in first.text
        assert tickets[0]["short_code"] in first.text and "Standard" in first.text
        assert "Ada Fan" in first.text  # the holder
        assert 'role="status"' in first.text and "autofocus" in first.text
        assert 'name="code" type="text" required autofocus' in first.text  # empty again

        second, fields = await scan(client, fields, tickets[0]["short_code"].lower())
        assert second.status_code == 409 and "REJECTED" in second.text
        found = re.search(r"already scanned: first at (\d\d:\d\d:\d\d) at North gate", second.text)
        assert found is not None
        assert tickets[0]["short_code"] in second.text  # which ticket
        scanned = await shop.runtime.store.ticket_states(unique_id, [tickets[0]["ticket_id"]])
        used_ms = int(str(scanned[0]).partition(":")[2])
        tokyo = datetime.fromtimestamp(used_ms / 1000, ZoneInfo("Asia/Tokyo"))
        assert found.group(1) == tokyo.strftime("%H:%M:%S")  # the venue's clock, not UTC
        assert "times in <span" in second.text and "Asia/Tokyo" in second.text

        third, fields = await scan(client, fields, tickets[1]["short_code"].replace("-", " "))
        assert third.status_code == 200
        history = third.text.split("Earlier scans", 1)[1]
        assert history.count("<li") == 2 and "REJECTED" in history and "ADMIT" in history
    assert scans_counted(shop, "accepted") == accepted_before + 2
    assert scans_counted(shop, "already_scanned") == used_before + 1


async def test_a_mistyped_short_code_is_refused_before_any_lookup(
    shop: Shop, unique_id: str
) -> None:
    await shop.define(unique_id)
    _, tickets = await bought_tickets(shop, unique_id, 1)
    code = tickets[0]["short_code"].replace("-", "")
    typo = code[:3] + next(c for c in ALPHABET if c != code[3]) + code[4:]
    async with staff_client(shop) as client:
        fields = await logged_in(client, unique_id)
        refused, fields = await scan(client, fields, typo)
        assert refused.status_code == 422 and "REJECTED" in refused.text
        assert "mistyped" in refused.text
        wrong_letter, fields = await scan(client, fields, code[:-1] + "O")
        assert wrong_letter.status_code == 422 and "has no O" in wrong_letter.text
        short, fields = await scan(client, fields, code[:-1])
        assert short.status_code == 422 and "10 characters, not 9" in short.text
    states = await shop.runtime.store.ticket_states(unique_id, [tickets[0]["ticket_id"]])
    assert states == ["valid"]  # nothing was scanned


async def test_refunded_and_unknown_codes_are_rejected_in_words(shop: Shop, unique_id: str) -> None:
    order_id, tickets = await bought_tickets(shop, unique_id, 1)
    async with shop.staff() as staff:
        refund = await staff.post(f"/api/v1/staff/orders/{order_id}/refund")
        assert refund.status_code == 200, refund.text
    other_event = unique_id + "-b"
    _, other_tickets = await bought_tickets(shop, other_event, 1)
    async with staff_client(shop) as client:
        fields = await logged_in(client, unique_id)
        refunded, fields = await scan(client, fields, tickets[0]["code"])
        assert refunded.status_code == 409 and "REJECTED" in refunded.text
        assert "refunded" in refunded.text and tickets[0]["short_code"] in refunded.text
        forged, fields = await scan(client, fields, tampered(tickets[0]["code"]))
        assert forged.status_code == 409 and "not a ticket of this shop" in forged.text
        never_sold = shop.runtime.codes.code(new_id(unique_id, "t"))
        unknown, fields = await scan(client, fields, never_sold)
        assert unknown.status_code == 409 and "not a ticket of this event" in unknown.text
        elsewhere, fields = await scan(client, fields, other_tickets[0]["code"])
        assert elsewhere.status_code == 409 and "for another event" in elsewhere.text
        short_elsewhere, fields = await scan(client, fields, other_tickets[0]["short_code"])
        assert short_elsewhere.status_code == 409
        assert "not a ticket of this event" in short_elsewhere.text
    states = await shop.runtime.store.ticket_states(other_event, [other_tickets[0]["ticket_id"]])
    assert states == ["valid"]


async def test_bad_input_gives_friendly_4xx_pages(shop: Shop, unique_id: str) -> None:
    await shop.define(unique_id)
    async with staff_client(shop) as client:
        fields = await logged_in(client, unique_id)
        empty, _ = await scan(client, fields, "   ")
        assert empty.status_code == 400 and "Scan or type a ticket code" in empty.text
        huge, _ = await scan(client, fields, "A" * 5000)
        assert huge.status_code == 400 and "too long" in huge.text
        enormous, _ = await scan(client, fields, "A" * 100_000)
        assert enormous.status_code == 413  # the body limit layer, before the page reads it
        assert enormous.json()["type"].endswith("/body-too-large")
        no_csrf = await client.post(SCAN, data={"code": "abc", "event_id": unique_id})
        assert no_csrf.status_code == 403 and "form expired" in no_csrf.text
        bad_csrf = await client.post(
            SCAN, data={"code": "abc", "csrf_token": "nope", "event_id": unique_id}
        )
        assert bad_csrf.status_code == 403
        no_event = await client.post(SCAN, data={**fields, "code": "abc", "event_id": "nope!"})
        assert no_event.status_code == 400 and "Choose the event" in no_event.text
        for name in ("event_id", "time_zone"):  # longer than the scan form's model takes
            too_long = await client.post(SCAN, data={**fields, "code": "abc", name: "e" * 65})
            assert too_long.status_code == 400 and "Nothing scanned" in too_long.text
            assert "Expected" not in too_long.text
        broken = await client.post(
            SCAN, content=b"--x\r\nbroken", headers={"content-type": "multipart/form-data"}
        )
        assert broken.status_code == 400 and "<html" in broken.text
        forged_history = await client.post(
            SCAN, data={**fields, "code": "abc", "history": "forged.history"}
        )
        assert forged_history.status_code == 422 and "Earlier scans" in forged_history.text
        assert "<li" not in forged_history.text.split("Earlier scans", 1)[1]
        unknown_event = await client.get(SCAN, params={"event": "no-such-event"})
        assert unknown_event.status_code == 404 and "no such event" in unknown_event.text


async def test_staff_choose_the_event_of_their_door(shop: Shop, unique_id: str) -> None:
    await shop.define(unique_id, name="First night")
    await shop.define(unique_id + "-2", name="Second night")
    async with staff_client(shop) as client:
        await logged_in(client, unique_id)
        chooser = await client.get(SCAN, params={"event": ""})
        assert chooser.status_code == 200 and "Which event does this door scan?" in chooser.text
        assert f'href="/staff/scan?event={unique_id}"' in chooser.text
        assert "First night" in chooser.text and "Second night" in chooser.text
        second = await client.get(SCAN, params={"event": unique_id + "-2"})
        assert "Second night" in second.text and hidden_fields(second)["event_id"] == (
            unique_id + "-2"
        )


async def test_expired_or_foreign_session_cookies_do_not_open_the_scanner(shop: Shop) -> None:
    secret_keys = shop.settings.secret_keys
    admin_cookie, _ = AdminSessionCodec(secret_keys, ADMIN_TOKEN).issue("organizer")
    same_token_admin, _ = AdminSessionCodec(secret_keys, STAFF_TOKEN).issue("organizer")
    staff_cookie, _ = AdminSessionCodec(secret_keys, STAFF_TOKEN, STAFF_NAMES).issue("staff")
    async with staff_client(shop) as client:
        for value in (admin_cookie, same_token_admin, "garbage"):
            client.cookies.set("wr_admin", admin_cookie)
            client.cookies.set("wr_staff", value)
            page = await client.get(SCAN)
            assert page.status_code == 200 and 'name="code"' not in page.text
        client.cookies.set("wr_staff", staff_cookie)
        assert 'action="/staff/logout"' in (await client.get(SCAN)).text
    # a staff session is not an organizer session either
    assert AdminSessionCodec(secret_keys, STAFF_TOKEN).verify(staff_cookie) is None


async def test_scanner_is_outside_the_fan_gate_but_the_shop_is_not(shop: Shop) -> None:
    async with staff_client(shop) as client:
        assert (await client.get(SCAN)).status_code == 200
        assert (await client.get("/staff/login")).status_code == 200
        gated = await client.get("/")
        assert gated.status_code in (302, 303, 307) and "/q/" in gated.headers["location"]


async def test_scanner_works_where_the_shop_is_mounted(shop: Shop) -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    outer = Starlette(routes=[Mount("/shop", app=shop.app)])
    transport = httpx.ASGITransport(app=outer)
    async with httpx.AsyncClient(transport=transport, base_url="http://demo.test") as client:
        await shop.define("mounted-scanner-test")
        form = await client.get("/shop/staff/scan")
        assert 'action="/shop/staff/login"' in form.text
        answer = await client.post(
            "/shop/staff/login", data={"token": STAFF_TOKEN, **hidden_fields(form)}
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/shop/staff/scan"
        assert "Path=/shop" in answer.headers["set-cookie"]
        page = await client.get("/shop/staff/scan", params={"event": "mounted-scanner-test"})
        assert 'action="/shop/staff/scan"' in page.text
        assert 'src="/shop/static/scanner.js"' in page.text
