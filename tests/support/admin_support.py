"""Organizer sessions over HTTP for tests: the login form, and a page's CSRF token."""

from __future__ import annotations

import re

import httpx

from tests.conftest import ADMIN_TOKEN


def login(client: httpx.Client, name: str = "alice") -> None:
    """Logs in through the form (checks the session cookie's attributes)."""
    form = client.get("/admin/login")
    login_csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert login_csrf is not None
    response = client.post(
        "/admin/login",
        data={"token": ADMIN_TOKEN, "name": name, "csrf_token": login_csrf.group(1)},
    )
    assert response.status_code == 303
    assert "wr_admin" in client.cookies
    set_cookie = response.headers.get_list("set-cookie")
    session_cookie = next(value for value in set_cookie if value.startswith("wr_admin="))
    assert "HttpOnly" in session_cookie and "SameSite=Strict" in session_cookie


def dashboard_csrf(client: httpx.Client, queue_id: str) -> str:
    page = client.get(f"/admin/queues/{queue_id}")
    assert page.status_code == 200
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)
