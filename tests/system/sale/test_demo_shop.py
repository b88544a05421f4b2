"""``waitroom demo`` wiring under a real uvicorn: fan joins, is admitted, buys at /shop."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import httpx

from sale_backend.domain.payments import CARD_SUCCEEDS
from tests.conftest import ADMIN_TOKEN, server_environment
from tests.support.servers import ServerProcess
from waitroom.storage.embedded_redis import EmbeddedRedis


def reported_stock(base_url: str, queue_id: str) -> dict[str, Any]:
    """The stock organizers see, once the shop's first report arrived."""
    deadline = time.monotonic() + 10
    while True:
        queue = httpx.get(
            f"{base_url}/api/v1/admin/queues/{queue_id}",
            headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
        ).json()
        if queue.get("stock") or time.monotonic() > deadline:
            stock: dict[str, Any] = queue["stock"]
            return stock
        time.sleep(0.05)


def test_fan_goes_from_queue_to_shop_and_buys() -> None:
    with EmbeddedRedis(appendfsync_always=True) as redis_server:
        server = ServerProcess(
            "waitroom.demo:create_demo_app_from_environ",
            server_environment(redis_server.url, WAITROOM_STAFF_TOKEN="demo-staff-token-0123456"),
        ).start()
        try:
            # the shop reports its stock at start, through the connector
            stock = reported_stock(server.base_url, "demo")
            assert stock["remaining_total"] == stock["capacity_total"] == 326
            [event] = stock["events"]
            vip = next(tier for tier in event["tiers"] if tier["tier_id"] == "vip")
            assert event["event_id"] == "demo-concert" and vip["capacity"] == 16
            with httpx.Client(base_url=server.base_url) as fan:
                blocked = fan.get("/shop/", headers={"accept": "text/html"})
                assert blocked.status_code == 303 and blocked.headers["location"] == "/q/demo"
                assert fan.get("/shop/api/v1/events").status_code == 401
                joined = fan.post("/api/v1/queues/demo/join")
                assert joined.status_code == 201, joined.text
                # the queue page's profile form offers the event's ticket types
                token = {"authorization": f"Bearer {joined.json()['token']}"}
                form = fan.get("/api/v1/queues/demo/content", headers=token).json()
                offered = [tier["id"] for tier in form["profile_form"]["tiers"]]
                assert offered == ["standard", "child", "group4", "bundle"]
                assert form["profile_form"]["max_quantity"] == 6
                saved = fan.put(
                    "/api/v1/queues/demo/profile",
                    json={
                        "name": "Demo Fan",
                        "email": "fan@example.org",
                        "tier_id": "child",
                        "quantity": 3,
                    },
                    headers=token,
                )
                assert saved.status_code == 200, saved.text
                deadline = time.monotonic() + 15
                while True:
                    status = fan.get(
                        "/api/v1/queues/demo/status",
                        headers={"authorization": f"Bearer {joined.json()['token']}"},
                    ).json()
                    if status["state"] != "waiting" or time.monotonic() > deadline:
                        break
                    time.sleep(0.25)  # the demo admits 30 fans per minute
                assert status["state"] == "admitted", status
                assert status["redirect_url"] == f"/shop/?waitroom_pass={status['pass']}"
                fan.headers["authorization"] = f"Bearer {status['pass']}"
                shop_page = fan.get("/shop/")
                assert shop_page.status_code == 200 and "Demo concert" in shop_page.text
                event = fan.get("/shop/api/v1/events").json()["events"][0]
                assert event["queue_id"] == "demo" and len(event["tiers"]) == 5
                event_page = fan.get(f"/shop/events/{event['event_id']}").text
                assert event_page.count('name="seat"') == 16
                assert re.search(r'name="qty_child"[^>]*value="3"', event_page)  # from the profile
                assert re.search(r'name="qty_standard"[^>]*value="0"', event_page)
                order = fan.post(
                    "/shop/api/v1/checkout",
                    json={
                        "event_id": event["event_id"],
                        "items": [{"tier_id": "standard", "quantity": 2}],
                        "card_number": CARD_SUCCEEDS,
                        "name": "Demo Fan",
                        "email": "fan@example.org",
                    },
                    headers={"Idempotency-Key": str(uuid.uuid4())},
                )
                assert order.status_code == 201, order.text
                assert order.json()["amount_minor"] == 9000
                css = httpx.get(f"{server.base_url}/shop/static/shop.css")
                assert css.status_code == 200
                scan = httpx.post(
                    f"{server.base_url}/shop/api/v1/staff/scan",
                    json={"code": order.json()["tickets"][0]["code"]},
                    headers={"authorization": "Bearer demo-staff-token-0123456"},
                )
                assert scan.status_code == 200 and scan.json()["accepted"] is True
        finally:
            server.stop()
