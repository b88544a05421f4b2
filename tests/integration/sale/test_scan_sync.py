"""The staff API behind the door scanners: the event's ticket list (hashed codes, what the door
shows, pages of changes after a version) and batches of scans, online and offline, each
recorded once by its scan id, with the device's clock error corrected; tickets let in twice are
flagged. Real tickets bought through the shop, real Redis."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest

from sale_backend.domain.short_codes import format_short_code, parse_short_code
from sale_backend.domain.ticket_list import SHORT, SIGNED, code_hash
from sale_backend.domain.tickets import TicketCodes
from tests.conftest import SECRET_KEYS
from tests.integration.sale.test_staff_scanner import bought_tickets, hidden_fields, staff_client
from tests.support.shop_fixtures import STAFF_TOKEN, Shop
from tests.support.tampering import tampered


def scans_path(event_id: str) -> str:
    return f"/api/v1/staff/events/{event_id}/scans"


def offline_scan(code: str, at_ms: int, decision: str = "admitted") -> dict[str, Any]:
    return {
        "scan_id": uuid.uuid4().hex,
        "code": code,
        "scanned_at_ms": at_ms,
        "decision": decision,
    }


async def send(
    staff: httpx.AsyncClient,
    event_id: str,
    scans: list[dict[str, Any]],
    device: str = "device-north",
    door: str = "North gate",
    **extra: Any,
) -> list[dict[str, Any]]:
    answer = await staff.post(
        scans_path(event_id),
        json={"device_id": device, "door": door, "scans": scans, **extra},
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json()["results"])


async def ticket_list(staff: httpx.AsyncClient, event_id: str, **params: Any) -> dict[str, Any]:
    answer = await staff.get(f"/api/v1/staff/events/{event_id}/tickets", params=params)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_the_list_has_hashed_codes_and_what_the_door_shows(
    shop: Shop, unique_id: str
) -> None:
    await shop.define(unique_id, time_zone="Europe/Tallinn")
    _, tickets = await bought_tickets(shop, unique_id, 3)
    async with shop.staff() as staff:
        page = await ticket_list(staff, unique_id)
    assert page["event"]["time_zone"] == "Europe/Tallinn" and page["more"] is False
    listed = {ticket["ticket_id"]: ticket for ticket in page["tickets"]}
    assert set(listed) == {ticket["ticket_id"] for ticket in tickets}
    old_key_codes = TicketCodes(SECRET_KEYS[:1])
    for ticket in tickets:
        entry = listed[ticket["ticket_id"]]
        short = parse_short_code(ticket["short_code"])
        assert short is not None and format_short_code(short) == ticket["short_code"]
        assert code_hash(unique_id, SIGNED, ticket["code"]) in entry["code_hashes"]
        # a ticket printed before the newest key was added still matches offline
        old_code = old_key_codes.code(ticket["ticket_id"])
        assert code_hash(unique_id, SIGNED, old_code) in entry["code_hashes"]
        assert entry["short_code_hash"] == code_hash(unique_id, SHORT, short)
        assert entry["short_code_hint"] == ticket["short_code"][:4] + "-…"
        assert ticket["code"] not in str(page) and short not in str(page)  # hashes only
        assert entry["tier_name"] == "Standard" and entry["holder"] == "Ada Fan"
        assert entry["state"] == "valid" and entry["first_scan"] is None
    assert page["version"] == max(entry["version"] for entry in page["tickets"])


async def test_the_list_comes_in_pages_and_then_only_changes(shop: Shop, unique_id: str) -> None:
    order_id, tickets = await bought_tickets(shop, unique_id, 5)
    async with shop.staff() as staff:
        first = await ticket_list(staff, unique_id, limit=2)
        second = await ticket_list(staff, unique_id, limit=2, after=first["version"])
        third = await ticket_list(staff, unique_id, limit=2, after=second["version"])
        assert (first["more"], second["more"], len(third["tickets"])) == (True, True, 1)
        seen = [t["ticket_id"] for page in (first, second, third) for t in page["tickets"]]
        assert sorted(seen) == sorted(ticket["ticket_id"] for ticket in tickets)
        version = third["version"]
        assert (await ticket_list(staff, unique_id, after=version))["tickets"] == []

        await send(staff, unique_id, [offline_scan(tickets[0]["code"], int(time.time() * 1000))])
        refund = await staff.post(
            f"/api/v1/staff/orders/{order_id}/refund",
            json={"ticket_ids": [tickets[1]["ticket_id"]]},
        )
        assert refund.status_code == 200
        changes = await ticket_list(staff, unique_id, after=version)
        states = {ticket["ticket_id"]: ticket["state"] for ticket in changes["tickets"]}
        assert states == {tickets[0]["ticket_id"]: "used", tickets[1]["ticket_id"]: "refunded"}
        scanned = next(t for t in changes["tickets"] if t["ticket_id"] == tickets[0]["ticket_id"])
        assert scanned["first_scan"]["door"] == "North gate" and scanned["admissions"] == 1

        for params in ({"after": "-1"}, {"after": "x"}, {"limit": "5001"}, {"after": "9" * 30}):
            bad = await staff.get(f"/api/v1/staff/events/{unique_id}/tickets", params=params)
            assert bad.status_code == 400, params
        missing = await staff.get("/api/v1/staff/events/no-such-event/tickets")
        assert missing.status_code == 404


async def test_offline_scans_sync_in_order_and_replays_change_nothing(
    shop: Shop, unique_id: str
) -> None:
    _, tickets = await bought_tickets(shop, unique_id, 2)
    now = int(time.time() * 1000)
    batch = [
        offline_scan(tickets[0]["code"], now - 3000),
        offline_scan(tickets[1]["short_code"].lower(), now - 2000),
        offline_scan(tickets[0]["short_code"], now - 1000, "rejected"),
    ]
    async with shop.staff() as staff:
        results = await send(staff, unique_id, batch)
        assert [r["outcome"] for r in results] == ["admitted", "admitted", "already_scanned"]
        assert [r["scanned_at_ms"] for r in results] == [now - 3000, now - 2000, now - 1000]
        assert results[2]["first_scan"] == {
            "at_ms": now - 3000,
            "door": "North gate",
            "device": "device-north",
        }
        assert results[0]["ticket"]["holder"] == "Ada Fan" and results[0]["flagged"] is False
        again = await send(staff, unique_id, batch)
        assert [r["outcome"] for r in again] == [r["outcome"] for r in results]
        listed = {t["ticket_id"]: t for t in (await ticket_list(staff, unique_id))["tickets"]}
    entries = listed[tickets[0]["ticket_id"]]["entries"]
    assert [e["outcome"] for e in entries] == ["admitted", "already_scanned"]  # once each
    assert all(entry["offline"] for entry in entries)
    states = await shop.runtime.store.ticket_states(unique_id, [tickets[0]["ticket_id"]])
    assert states == [f"used:{now - 3000}"]


async def test_one_ticket_let_in_by_two_offline_scanners_is_flagged(
    shop: Shop, unique_id: str
) -> None:
    _, tickets = await bought_tickets(shop, unique_id, 1)
    now = int(time.time() * 1000)
    async with shop.staff() as staff:
        # the south door synced first, but the north door let the ticket in earlier
        south = await send(
            staff,
            unique_id,
            [offline_scan(tickets[0]["code"], now - 1000)],
            device="device-south",
            door="South gate",
        )
        north = await send(staff, unique_id, [offline_scan(tickets[0]["code"], now - 5000)])
        assert south[0]["outcome"] == "admitted" and north[0]["outcome"] == "duplicate"
        assert north[0]["flagged"] is True and north[0]["admissions"] == 2
        assert north[0]["first_scan"]["door"] == "North gate"  # the earlier one counts first
        listed = (await ticket_list(staff, unique_id))["tickets"][0]
        assert listed["admissions"] == 2 and listed["first_scan"]["at_ms"] == now - 5000
        online = await send(
            staff, unique_id, [{"scan_id": uuid.uuid4().hex, "code": tickets[0]["code"]}]
        )
        assert online[0]["outcome"] == "already_scanned" and online[0]["flagged"] is True


async def test_device_clock_error_is_corrected_and_times_kept_sane(
    shop: Shop, unique_id: str
) -> None:
    _, tickets = await bought_tickets(shop, unique_id, 2)
    hour_ms = 3600 * 1000
    device_now = int(time.time() * 1000) + hour_ms  # this phone's clock is an hour fast
    async with shop.staff() as staff:
        results = await send(
            staff,
            unique_id,
            [
                offline_scan(tickets[0]["code"], device_now - 60_000),
                offline_scan(tickets[1]["code"], device_now + 10 * hour_ms),
            ],
            device_clock_ms=device_now,
        )
    server_now = int(time.time() * 1000)
    assert abs(results[0]["scanned_at_ms"] - (server_now - 60_000)) < 5_000
    assert server_now - 5_000 < results[1]["scanned_at_ms"] <= server_now  # never in the future


async def test_refunded_ticket_let_in_offline_is_flagged(shop: Shop, unique_id: str) -> None:
    order_id, tickets = await bought_tickets(shop, unique_id, 1)
    async with shop.staff() as staff:
        await staff.post(f"/api/v1/staff/orders/{order_id}/refund")
        results = await send(
            staff, unique_id, [offline_scan(tickets[0]["code"], int(time.time() * 1000))]
        )
    assert results[0]["outcome"] == "refunded" and results[0]["flagged"] is True


async def test_codes_that_are_no_ticket_are_answered_per_scan(shop: Shop, unique_id: str) -> None:
    _, tickets = await bought_tickets(shop, unique_id, 1)
    _, elsewhere = await bought_tickets(shop, unique_id + "-x", 1)
    code = tickets[0]["short_code"].replace("-", "")
    now = int(time.time() * 1000)
    async with shop.staff() as staff:
        results = await send(
            staff,
            unique_id,
            [
                offline_scan(code[:-1] + ("2" if code[-1] != "2" else "3"), now, "rejected"),
                offline_scan(tampered(tickets[0]["code"]), now, "rejected"),
                offline_scan(elsewhere[0]["code"], now, "rejected"),
                offline_scan(elsewhere[0]["short_code"], now, "rejected"),
            ],
        )
    assert [r["outcome"] for r in results] == ["mistyped", "forged", "wrong_event", "unknown"]
    assert "mistyped" in results[0]["detail"]


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"scans": []},
        {"device_id": "short", "scans": [{"scan_id": "a" * 8, "code": "x"}]},
        {"device_id": "device-1", "scans": []},
        {"device_id": "device-1", "scans": [{"scan_id": "bad id!", "code": "x"}]},
        {"device_id": "device-1", "scans": [{"scan_id": "a" * 8, "code": ""}]},
        {"device_id": "device-1", "scans": [{"scan_id": "a" * 8, "code": "x" * 301}]},
        {"device_id": "device-1", "scans": [{"scan_id": "a" * 8, "code": "x", "decision": "?"}]},
        {
            "device_id": "device-1",
            "scans": [{"scan_id": "a" * 8, "code": "x", "scanned_at_ms": -1}],
        },
        {"device_id": "device-1", "scans": ["x"]},
        {"device_id": "device-1", "device_clock_ms": "now", "scans": [{"scan_id": "a" * 8}]},
        {"device_id": "device-1", "scans": [{"scan_id": "a" * 8, "code": "x"}] * 201},
    ],
)
async def test_malformed_batches_are_400_problems(shop: Shop, unique_id: str, body: Any) -> None:
    await shop.define(unique_id)
    async with shop.staff() as staff:
        answer = await staff.post(scans_path(unique_id), json=body)
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"


async def test_the_scanner_page_session_opens_the_api_with_its_csrf_token(
    shop: Shop, unique_id: str
) -> None:
    _, tickets = await bought_tickets(shop, unique_id, 1)
    async with staff_client(shop) as client:
        form = await client.get("/staff/scan")
        await client.post(
            "/staff/login",
            data={"token": STAFF_TOKEN, "door": "Side\ndoor \x07 3", **hidden_fields(form)},
        )
        page = await client.get("/staff/scan", params={"event": unique_id})
        csrf = hidden_fields(page)["csrf_token"]
        body = {
            "device_id": "browser-1",
            "door": "forged door",
            "scans": [{"scan_id": uuid.uuid4().hex, "code": tickets[0]["code"]}],
        }
        without = await client.post(scans_path(unique_id), json=body)
        assert without.status_code == 403
        assert (await client.get(f"/api/v1/staff/events/{unique_id}/tickets")).status_code == 403
        wrong = await client.post(scans_path(unique_id), json=body, headers={"x-csrf-token": "x"})
        assert wrong.status_code == 403
        answer = await client.post(scans_path(unique_id), json=body, headers={"x-csrf-token": csrf})
        assert answer.status_code == 200, answer.text
        result = answer.json()["results"][0]
        assert result["outcome"] == "admitted"
        assert result["entries"][0]["door"] == "Side door 3"  # the session's door, cleaned
        listed = await client.get(
            f"/api/v1/staff/events/{unique_id}/tickets", headers={"x-csrf-token": csrf}
        )
        assert listed.status_code == 200
    async with shop.client() as buyer:  # a fan's pass opens none of it
        assert (await buyer.get(f"/api/v1/staff/events/{unique_id}/tickets")).status_code == 401


async def test_single_scan_api_takes_short_codes_at_an_events_door(
    shop: Shop, unique_id: str
) -> None:
    _, tickets = await bought_tickets(shop, unique_id, 1)
    async with shop.staff() as staff:
        no_event = await staff.post("/api/v1/staff/scan", json={"code": tickets[0]["short_code"]})
        assert no_event.status_code == 409 and no_event.json()["reason"] == "unknown"
        accepted = await staff.post(
            "/api/v1/staff/scan",
            json={"code": tickets[0]["short_code"], "event_id": unique_id, "door": "Gate 7"},
        )
        assert accepted.status_code == 200 and accepted.json()["accepted"] is True
        assert accepted.json()["ticket"]["short_code"] == tickets[0]["short_code"]
        again = await staff.post("/api/v1/staff/scan", json={"code": tickets[0]["code"]})
        problem = again.json()
        assert again.status_code == 409 and problem["reason"] == "already_scanned"
        assert problem["first_scan"]["door"] == "Gate 7"
        assert problem["scanned_at_ms"] == problem["first_scan"]["at_ms"]
        assert problem["ticket"]["tier_name"] == "Standard"
        unknown_event = await staff.post(
            "/api/v1/staff/scan", json={"code": tickets[0]["code"], "event_id": "nope"}
        )
        assert unknown_event.status_code == 404


async def test_a_valid_ticket_turned_away_offline_stays_valid(shop: Shop, unique_id: str) -> None:
    """A ticket sold after the scanner's last download is not in its list: turned away offline.
    The sync says it was valid, and it still admits its holder."""
    _, tickets = await bought_tickets(shop, unique_id, 1)
    now = int(time.time() * 1000)
    async with shop.staff() as staff:
        (turned_away,) = await send(
            staff, unique_id, [offline_scan(tickets[0]["code"], now - 2000, "rejected")]
        )
        assert turned_away["outcome"] == "not_admitted" and turned_away["state"] == "valid"
        (later,) = await send(staff, unique_id, [offline_scan(tickets[0]["code"], now)])
        assert later["outcome"] == "admitted" and later["flagged"] is False
