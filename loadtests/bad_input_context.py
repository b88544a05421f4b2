"""What the bad-input catalogue needs to know about the running system: every route of both
apps (from their own route tables), and real credentials so bad input reaches the code behind
the authentication (a waiting fan, an admitted fan bound to a shop session, a hold, an order,
a token of another queue, the admin and staff tokens, logged-in sessions of the organizers'
dashboard and the door scanner, and the secret keys)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.routing import BaseRoute, Mount, Route

from loadtests.chaos_event import CHAOS_EVENT_ID, STANDING_TIER
from loadtests.chaos_system import ChaosSystem
from loadtests.shop_protocol import TEST_CARD
from waitroom.fan.cookies import VISITOR_COOKIE, position_cookie_name

BODY_METHODS = ("POST", "PUT", "PATCH")
ADMITTED_TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class RouteInfo:
    path: str
    """A template such as ``/api/v1/queues/{queue_id}/join``."""
    methods: tuple[str, ...]


def route_table(routes: list[BaseRoute], prefix: str = "") -> list[RouteInfo]:
    table = []
    for route in routes:
        if isinstance(route, Route):
            table.append(RouteInfo(prefix + route.path, tuple(sorted(route.methods or ()))))
        elif isinstance(route, Mount):
            if route.routes:
                table += route_table(list(route.routes), prefix + route.path)
            else:  # static files
                table.append(RouteInfo(prefix + route.path + "/{path}", ("GET", "HEAD")))
    return table


def app_routes() -> dict[str, list[RouteInfo]]:
    """Both apps' route tables (the same lists the app factories mount)."""
    from sale_backend.web.routes import shop_routes
    from waitroom.web.app import waitroom_routes

    return {
        "waitroom": route_table(waitroom_routes()),
        "shop": route_table(shop_routes()),
    }


@dataclass(frozen=True)
class Context:
    """Names and credentials; ``fan_*`` is a fan in the queue, ``buyer_*`` an admitted fan
    whose pass is bound to a shop session."""

    queue_id: str
    other_queue_id: str
    event_id: str
    admin_token: str
    staff_token: str
    secret_keys: tuple[str, ...]
    fan_visitor: str
    fan_token: str
    other_queue_token: str
    buyer_pass: str
    buyer_cookies: str
    """The ``Cookie`` header of the buyer at the shop (visitor and shop session cookies)."""
    hold_id: str
    order_id: str
    admin_cookies: str
    """The ``Cookie`` header of an organizer logged in to the dashboard (``/admin/``)."""
    staff_cookies: str
    """The ``Cookie`` header of door staff logged in to the scanner pages (``/staff/``)."""

    def path_values(self) -> dict[str, str]:
        return {
            "queue_id": self.queue_id, "event_id": self.event_id, "hold_id": self.hold_id,
            "order_id": self.order_id, "survey_id": "s1", "upsell_id": "u1", "code_id": "c1",
            "path": "app.js",
        }

    def fan_cookie(self) -> str:
        return (f"{VISITOR_COOKIE}={self.fan_visitor}; "
                f"{position_cookie_name(self.queue_id)}={self.fan_token}")

    def credentials(self, target: str, path: str) -> list[tuple[bytes, bytes]]:
        """The headers that get a request past authentication on ``path``."""
        if target == "waitroom":
            if path.startswith("/api/v1/admin/"):
                return [(b"Authorization", f"Bearer {self.admin_token}".encode())]
            if path.startswith("/admin"):
                return [(b"Cookie", self.admin_cookies.encode())]
            if path.startswith(("/api/v1/queues/", "/q/")):
                return [(b"Authorization", f"Bearer {self.fan_token}".encode()),
                        (b"Cookie", self.fan_cookie().encode())]
            return []
        if path.startswith("/api/v1/staff/"):
            return [(b"Authorization", f"Bearer {self.staff_token}".encode())]
        if path.startswith("/staff/"):
            return [(b"Cookie", self.staff_cookies.encode())]
        if path.startswith(("/static/", "/healthz", "/readyz", "/openapi.json")):
            return []
        return [(b"Authorization", f"Bearer {self.buyer_pass}".encode()),
                (b"Cookie", self.buyer_cookies.encode())]


def _join(client: httpx.Client, base_url: str, queue_id: str) -> tuple[str, dict[str, Any]]:
    client.cookies.clear()
    response = client.post(f"{base_url}/api/v1/queues/{queue_id}/join")
    response.raise_for_status()
    return str(client.cookies[VISITOR_COOKIE]), response.json()


def _admitted(client: httpx.Client, base_url: str, queue_id: str, token: str) -> dict[str, Any]:
    deadline = time.monotonic() + ADMITTED_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        answer: dict[str, Any] = client.get(
            f"{base_url}/api/v1/queues/{queue_id}/status",
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        if answer["state"] == "admitted":
            return answer
        time.sleep(0.25)
    raise RuntimeError("the catalogue's buyer was not admitted in time")


HIDDEN_FIELD = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def _logged_in(base_url: str, login_path: str, token: str) -> str:
    """Log in through a login form (its hidden fields, the token); the ``Cookie`` header."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        form = client.get(login_path)
        form.raise_for_status()
        fields = dict(HIDDEN_FIELD.findall(form.text))
        answer = client.post(login_path, data={**fields, "token": token})
        if answer.status_code != 303:
            raise RuntimeError(f"login at {login_path} answered {answer.status_code}")
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def prepare(system: ChaosSystem) -> Context:
    """Real fans, a second queue, a hold and an order, through the public APIs."""
    waitroom, shop = system.waitroom.base_url, system.shop.base_url
    other_queue_id = system.queue_id + "x"
    with httpx.Client(timeout=10) as client:
        client.put(
            f"{waitroom}/api/v1/admin/queues/{other_queue_id}",
            json={"rate_per_minute": 0, "state": "open"}, headers=system.admin_headers,
        ).raise_for_status()
        _, other = _join(client, waitroom, other_queue_id)
        _, joined = _join(client, waitroom, system.queue_id)
        admitted = _admitted(client, waitroom, system.queue_id, joined["token"])
        fan_visitor, fan = _join(client, waitroom, system.queue_id)
    headers = {"Authorization": f"Bearer {admitted['pass']}"}
    items = {"event_id": CHAOS_EVENT_ID, "items": [{"tier_id": STANDING_TIER, "quantity": 1}]}
    with httpx.Client(base_url=shop, timeout=10, headers=headers) as buyer:
        held = buyer.post("/api/v1/holds", json=items)
        held.raise_for_status()
        bought = buyer.post(
            "/api/v1/checkout",
            json={**items, "card_number": TEST_CARD, "name": "Bad Input", "email": "b@example.com"},
            headers={"Idempotency-Key": "bad-input-setup"},
        )
        bought.raise_for_status()
        cookies = "; ".join(f"{name}={value}" for name, value in buyer.cookies.items())
    return Context(
        queue_id=system.queue_id, other_queue_id=other_queue_id, event_id=CHAOS_EVENT_ID,
        admin_token=system.admin_token, staff_token=system.staff_token,
        secret_keys=system.secret_keys, fan_visitor=fan_visitor, fan_token=fan["token"],
        other_queue_token=other["token"], buyer_pass=admitted["pass"], buyer_cookies=cookies,
        hold_id=held.json()["hold_id"], order_id=bought.json()["order_id"],
        admin_cookies=_logged_in(waitroom, "/admin/login", system.admin_token),
        staff_cookies=_logged_in(shop, "/staff/login", system.staff_token),
    )
