"""Every bad input is a 4xx problem (or a friendly page), never a 500; the gate guards all."""

from __future__ import annotations

import random
import uuid
from typing import Any

from starlette.routing import Route

from sale_backend.domain.payments import CARD_SUCCEEDS
from sale_backend.web.app import PUBLIC_PREFIXES
from sale_backend.web.routes import shop_routes
from service_kit.throttle import BEARER_FAILURES
from tests.sale.conftest import Shop


def bad_requests(event_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    details = {"card_number": CARD_SUCCEEDS, "name": "A", "email": "a@example.org"}
    hold = {"event_id": event_id, "items": [{"tier_id": "standard", "quantity": 1}]}
    return [
        ("GET", "/api/v1/events/NOPE", {}),
        ("GET", f"/api/v1/events/{'x' * 300}", {}),
        ("GET", "/api/v1/events/missing-event/seats", {}),
        ("POST", "/api/v1/holds", {"content": b"{not json"}),
        ("POST", "/api/v1/holds", {"content": b"\xff\xfe"}),
        ("POST", "/api/v1/holds", {"json": []}),
        ("POST", "/api/v1/holds", {"json": {"event_id": 7}}),
        ("POST", "/api/v1/holds", {"json": {**hold, "items": "many"}}),
        ("POST", "/api/v1/holds", {"json": {**hold, "items": [{"tier_id": "standard"}]}}),
        ("POST", "/api/v1/holds", {"json": {**hold, "items": [{"tier_id": "x", "quantity": 1}]}}),
        (
            "POST",
            "/api/v1/holds",
            {"json": {**hold, "items": [{"tier_id": "standard", "quantity": -1}]}},
        ),
        (
            "POST",
            "/api/v1/holds",
            {"json": {**hold, "items": [{"tier_id": "standard", "quantity": 10**30}]}},
        ),
        ("POST", "/api/v1/holds", {"json": {**hold, "items": [{"tier_id": "vip", "quantity": 1}]}}),
        ("POST", "/api/v1/holds", {"json": {"event_id": event_id, "seats": ["Z-9-9"]}}),
        ("POST", "/api/v1/holds", {"json": {"event_id": event_id, "seats": ["A-1-1", "A-1-1"]}}),
        ("POST", "/api/v1/holds", {"json": {"event_id": event_id, "seats": [1, 2]}}),
        ("POST", "/api/v1/holds", {"json": {"event_id": event_id}}),
        ("POST", "/api/v1/holds", {"json": {"event_id": "no-such-event", "items": []}}),
        ("POST", "/api/v1/holds", {"content": b"[" * 100000}),
        ("GET", "/api/v1/holds/garbage", {}),
        ("GET", f"/api/v1/holds/{event_id}~h0123456789abcdef", {}),
        ("DELETE", f"/api/v1/holds/{event_id}~h0123456789abcdef", {}),
        ("POST", "/api/v1/checkout", {"json": {**details, **hold}}),
        (
            "POST",
            "/api/v1/checkout",
            {"json": {**details, **hold}, "headers": {"Idempotency-Key": "a b"}},
        ),
        (
            "POST",
            "/api/v1/checkout",
            {"json": {**details, **hold}, "headers": {"Idempotency-Key": "k" * 300}},
        ),
        (
            "POST",
            "/api/v1/checkout",
            {
                "json": {**hold, "card_number": "abc", "name": "A", "email": "a@b.cd"},
                "headers": {"Idempotency-Key": "k1"},
            },
        ),
        (
            "POST",
            "/api/v1/checkout",
            {"json": {**hold, **details, "email": "nope"}, "headers": {"Idempotency-Key": "k2"}},
        ),
        (
            "POST",
            "/api/v1/checkout",
            {"json": {**hold, **details, "name": ""}, "headers": {"Idempotency-Key": "k3"}},
        ),
        (
            "POST",
            "/api/v1/checkout",
            {"json": {**details, "hold_id": "x~y"}, "headers": {"Idempotency-Key": "k4"}},
        ),
        (
            "POST",
            "/api/v1/checkout",
            {"json": {**details, "hold_id": 5}, "headers": {"Idempotency-Key": "k5"}},
        ),
        (
            "POST",
            "/api/v1/checkout",
            {
                "json": {**details, "hold_id": f"{event_id}~h0123456789abcdef"},
                "headers": {"Idempotency-Key": "k6"},
            },
        ),
        ("POST", "/api/v1/checkout", {"content": b"null", "headers": {"Idempotency-Key": "k7"}}),
        ("GET", "/api/v1/orders/nothing", {}),
        ("GET", f"/api/v1/orders/{event_id}~o0123456789abcdef", {}),
        ("POST", f"/api/v1/orders/{event_id}~o0123456789abcdef/refund", {}),
        (
            "POST",
            f"/api/v1/orders/{event_id}~o0123456789abcdef/refund",
            {"json": {"ticket_ids": "all"}},
        ),
        (
            "POST",
            f"/api/v1/orders/{event_id}~o0123456789abcdef/refund",
            {"json": {"ticket_ids": ["bad"]}},
        ),
        ("GET", "/api/v1/nowhere", {}),
        ("PUT", "/api/v1/events", {}),
        ("GET", "/events/NOPE", {}),
        ("GET", "/holds/garbage", {}),
        ("GET", "/orders/garbage", {}),
        ("POST", f"/events/{event_id}/hold", {"data": {"qty_standard": "lots"}}),
        ("POST", f"/events/{event_id}/hold", {"data": {"seat": "Z-1-1"}}),
        ("POST", f"/events/{event_id}/hold", {"data": {}}),
        ("POST", "/holds/garbage/checkout", {"data": {"idempotency_key": "x"}}),
        ("POST", "/orders/garbage/refund", {"data": {}}),
    ]


async def test_every_bad_input_is_a_4xx(shop: Shop, unique_id: str) -> None:
    await shop.define(unique_id)
    async with shop.client() as buyer:
        for method, path, options in bad_requests(unique_id):
            response = await buyer.request(method, path, **options)
            assert 400 <= response.status_code < 500, (method, path, response.text)
            if path.startswith("/api/"):
                assert response.headers["content-type"].startswith("application/problem+json")
                assert response.json()["status"] == response.status_code


async def test_staff_token_guesses_are_throttled(shop: Shop) -> None:
    """Wrong staff bearer tokens are counted per address; once over the limit even the right
    token waits (the app's own throttle: each test's shop is a new app)."""
    async with shop.client("", authorization="Bearer wrong") as guesser, shop.staff() as staff:
        staff_path = "/api/v1/staff/orders/unknown-order"
        assert (await staff.get(staff_path)).status_code == 400  # past the token: the id
        for _ in range(BEARER_FAILURES.amount):
            assert (await guesser.get(staff_path)).status_code == 401
        blocked = await staff.get(staff_path)
        assert blocked.status_code == 429
        assert blocked.json()["type"].endswith("/too-many-attempts")


async def test_staff_endpoints_need_the_staff_token(shop: Shop, unique_id: str) -> None:
    await shop.define(unique_id)
    async with shop.client() as buyer, shop.client("", authorization="Bearer wrong") as wrong:
        for client in (buyer, wrong):
            scan = await client.post("/api/v1/staff/scan", json={"code": "x"})
            assert scan.status_code == 401
            put = await client.put(f"/api/v1/staff/events/{unique_id}", json={})
            assert put.status_code == 401
    async with shop.staff() as staff:
        for code in (None, 5, "", "x" * 1000, "abc.def", "ü"):
            response = await staff.post("/api/v1/staff/scan", json={"code": code})
            # 422: meant as a short code but mistyped; 409: no ticket
            assert response.status_code in {400, 409, 422}, response.text
        assert (await staff.post("/api/v1/staff/scan", content=b"nope")).status_code == 400
        invalid_events: list[Any] = [
            [],
            {"queue_id": "UPPER"},
            {"queue_id": "q", "tiers": []},
            {"queue_id": "q", "tiers": [{"tier_id": "a", "price_minor": -1, "capacity": 1}]},
            {"queue_id": "q", "tiers": [{"tier_id": "a", "price_minor": 1, "capacity": 1}] * 2},
            {
                "queue_id": "q",
                "currency": "euro",
                "tiers": [{"tier_id": "a", "price_minor": 1, "capacity": 1}],
            },
            {
                "queue_id": "q",
                "tiers": [{"tier_id": "a", "price_minor": 1, "capacity": 1}],
                "phases": [{"phase_id": "p", "starts_at": 10, "ends_at": 5}],
            },
            {
                "queue_id": "q",
                "tiers": [{"tier_id": "a", "price_minor": 1, "capacity": 1}],
                "sections": [
                    {"section_id": "S", "tier_id": "zzz", "rows": [{"row_id": "1", "seats": 2}]}
                ],
            },
        ]
        for event in invalid_events:
            response = await staff.put("/api/v1/staff/events/new-event", json=event)
            assert response.status_code == 400, (event, response.text)
        bad_id = await staff.put("/api/v1/staff/events/Bad_ID", json={"queue_id": "q"})
        assert bad_id.status_code == 400


async def test_no_pass_no_access(shop: Shop, unique_id: str) -> None:
    await shop.define(unique_id)
    async with shop.client("") as anonymous:
        for path in (
            "/api/v1/events",
            f"/api/v1/events/{unique_id}",
            f"/api/v1/events/{unique_id}/seats",
        ):
            response = await anonymous.get(path)
            assert response.status_code == 401
        checkout = await anonymous.post(
            "/api/v1/checkout", json={}, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        assert checkout.status_code == 401
        page = await anonymous.get(f"/events/{unique_id}", headers={"accept": "text/html"})
        assert page.status_code == 303 and page.headers["location"] == f"/q/{unique_id}"
        css = await anonymous.get("/static/shop.css")
        assert css.status_code == 200
    async with shop.client("", authorization="Bearer forged.token.value") as forged:
        forged.cookies.set("wr_vid", "visitor-0123456789")
        assert (await forged.get(f"/api/v1/events/{unique_id}")).status_code == 401


def random_json(rng: random.Random, depth: int = 0) -> Any:
    """A random JSON value, sometimes shaped like a real request (seeded: reproducible)."""
    choice = rng.randrange(9 if depth < 3 else 6)
    scalars: list[Any] = [None, True, 0, -1, 10**20, 1.5, "", "standard", "A-1-1"]
    if choice < 5:
        return rng.choice(scalars)
    if choice == 5:
        return "".join(rng.choice("ab~-_0é{}") for _ in range(rng.randrange(12)))
    if choice == 6:
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = [
        "event_id",
        "items",
        "seats",
        "hold_id",
        "tier_id",
        "quantity",
        "card_number",
        "name",
        "email",
        "x",
    ]
    return {rng.choice(keys): random_json(rng, depth + 1) for _ in range(rng.randrange(6))}


async def test_random_json_bodies_never_cause_a_500(shop: Shop, unique_id: str) -> None:
    await shop.define(unique_id)
    rng = random.Random(20240601)
    async with shop.client() as buyer:
        for index in range(150):
            payload = random_json(rng)
            if isinstance(payload, dict) and rng.random() < 0.5:
                payload["event_id"] = unique_id
            for path in ("/api/v1/holds", "/api/v1/checkout"):
                response = await buyer.post(
                    path, json=payload, headers={"Idempotency-Key": f"fuzz-{index}"}
                )
                assert response.status_code < 500, (path, payload, response.text)


async def test_every_shop_route_is_behind_the_gate(shop: Shop, unique_id: str) -> None:
    await shop.define(unique_id)
    params = {
        "event_id": unique_id,
        "hold_id": f"{unique_id}~h0123456789abcdef",
        "order_id": f"{unique_id}~o0123456789abcdef",
    }
    checked = 0
    async with shop.client("") as anonymous:
        for route in shop_routes():
            if not isinstance(route, Route) or route.path.startswith(PUBLIC_PREFIXES):
                continue
            path = route.path.format(**params)
            for method in sorted((route.methods or set()) - {"HEAD"}):
                response = await anonymous.request(method, path, headers={"accept": "text/html"})
                if path.startswith("/api/"):
                    assert response.status_code == 401, (method, path)
                else:
                    assert response.status_code == 303, (method, path)
                    assert response.headers["location"] == f"/q/{unique_id}"
                checked += 1
    assert checked >= 14  # 6 pages and 8 buyer API routes (orders: by their order link)
