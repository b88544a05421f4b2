"""Organizer authentication over real HTTP: bearer token, browser session, CSRF, audit log."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN, SECRET_KEYS
from tests.support.admin_support import dashboard_csrf as _dashboard_csrf
from tests.support.admin_support import login as _login
from tests.support.servers import ServerProcess

ADMIN_ENDPOINTS = [
    ("GET", "/api/v1/admin/queues"),
    ("GET", "/api/v1/admin/queues/{q}"),
    ("PUT", "/api/v1/admin/queues/{q}"),
    ("GET", "/api/v1/admin/queues/{q}/live"),
    ("GET", "/api/v1/admin/queues/{q}/audit"),
    ("GET", "/api/v1/admin/queues/{q}/codes"),
    ("POST", "/api/v1/admin/queues/{q}/codes"),
    ("DELETE", "/api/v1/admin/queues/{q}/codes/0123456789abcdef01234567"),
]


def _create(server: ServerProcess, queue_id: str, headers: dict[str, str]) -> None:
    response = httpx.put(
        f"{server.base_url}/api/v1/admin/queues/{queue_id}",
        json={"rate_per_minute": 60, "name": "Auth test"},
        headers=headers,
    )
    assert response.status_code == 201


@pytest.mark.parametrize(("method", "path"), ADMIN_ENDPOINTS)
@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-token", "Bearer " + ADMIN_TOKEN[:-1], "Basic abc"]
)
def test_missing_or_wrong_token_is_401_without_leaking_config(
    waitroom_server: ServerProcess,
    unique_id: str,
    admin_headers: dict[str, str],
    method: str,
    path: str,
    authorization: str | None,
) -> None:
    _create(waitroom_server, unique_id, admin_headers)
    headers = {"authorization": authorization} if authorization else {}
    response = httpx.request(
        method,
        waitroom_server.base_url + path.format(q=unique_id),
        headers=headers,
        json={"rate_per_minute": 1},
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    text = response.text
    for secret in (ADMIN_TOKEN, *SECRET_KEYS, "shuffle_seed", "rate_per_minute", "Auth test"):
        assert secret not in text
    assert response.json()["status"] == 401


def test_login_rejects_wrong_token_and_forged_form(waitroom_server: ServerProcess) -> None:
    with httpx.Client(base_url=waitroom_server.base_url) as client:
        form = client.get("/admin/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert csrf is not None
        wrong = client.post("/admin/login", data={"token": "nope", "csrf_token": csrf.group(1)})
        assert wrong.status_code == 401
        assert "wr_admin=" not in " ".join(wrong.headers.get_list("set-cookie"))
        assert "nope" not in wrong.text
    # a cross-site form: right token, but no login cookie / wrong CSRF value
    forged = httpx.post(
        f"{waitroom_server.base_url}/admin/login",
        data={"token": ADMIN_TOKEN, "csrf_token": "guess"},
    )
    assert forged.status_code == 403
    assert "wr_admin=" not in " ".join(forged.headers.get_list("set-cookie"))


def test_session_pages_forms_and_csrf(
    waitroom_server: ServerProcess, unique_id: str, admin_headers: dict[str, str]
) -> None:
    _create(waitroom_server, unique_id, admin_headers)
    with httpx.Client(base_url=waitroom_server.base_url) as client:
        assert client.get("/admin").status_code == 303  # not logged in: to the login form
        _login(client, "alice")
        csrf = _dashboard_csrf(client, unique_id)
        page = client.get(f"/admin/queues/{unique_id}")
        assert "default-src 'self'" in page.headers["content-security-policy"]
        # form without / with a wrong CSRF token: rejected, nothing changes
        for bad in ({}, {"csrf_token": "wrong"}):
            rejected = client.post(
                f"/admin/queues/{unique_id}",
                data={"action": "settings", "rate_per_minute": "5", **bad},
            )
            assert rejected.status_code == 403
        # JSON API with the session cookie but no CSRF header: rejected
        api = f"/api/v1/admin/queues/{unique_id}"
        assert client.put(api, json={"rate_per_minute": 5}).status_code == 403
        assert client.get(api).json()["rate_per_minute"] == 60
        # with the CSRF token: accepted and audited under the session's name
        saved = client.post(
            f"/admin/queues/{unique_id}",
            data={"action": "settings", "rate_per_minute": "7", "csrf_token": csrf},
        )
        assert saved.status_code == 303  # post/redirect/get
        assert saved.headers["location"] == f"/admin/queues/{unique_id}"
        assert client.get(api).json()["rate_per_minute"] == 7
        header_ok = client.put(api, json={"rate_per_minute": 8}, headers={"x-csrf-token": csrf})
        assert header_ok.status_code == 200
        audit = client.get(f"{api}/audit").json()["entries"]
        assert [entry["changes"].get("rate_per_minute") for entry in audit[:2]] == [8, 7]
        assert audit[0]["actor"] == "session:alice"
        assert audit[-1]["action"] == "create" and audit[-1]["actor"] == "token"


def test_audit_log_records_who_what_when(
    waitroom_server: ServerProcess, unique_id: str, admin_headers: dict[str, str]
) -> None:
    _create(waitroom_server, unique_id, admin_headers)
    url = f"{waitroom_server.base_url}/api/v1/admin/queues/{unique_id}"
    headers = {**admin_headers, "x-waitroom-actor": "bob"}
    httpx.put(url, json={"state": "paused", "pause_reason": "shop restart"}, headers=headers)
    httpx.put(url, json={"state": "open"}, headers=headers)
    entries = httpx.get(f"{url}/audit", headers=admin_headers).json()["entries"]
    assert [entry["action"] for entry in entries] == ["resume", "pause", "create"]
    assert entries[0]["actor"] == "token:bob"
    assert entries[1]["changes"] == {"state": "paused", "pause_reason": "shop restart"}
    assert entries[0]["at"] >= entries[1]["at"] >= entries[2]["at"] > 1.7e9


def test_oversized_and_overfull_dashboard_forms_are_refused(
    waitroom_server: ServerProcess, unique_id: str, admin_headers: dict[str, str]
) -> None:
    """The dashboard's forms are short: 20,000 fields are refused by size (413) whether or not
    the sender is logged in, and a form within the size but with too many fields is a 400 page
    that says the form could not be read; neither changes anything."""
    _create(waitroom_server, unique_id, admin_headers)
    page = f"/admin/queues/{unique_id}"
    api = f"{waitroom_server.base_url}/api/v1/admin/queues/{unique_id}"
    crowded = "&".join(f"k{index}=v" for index in range(20_000))
    form_type = {"content-type": "application/x-www-form-urlencoded"}
    anonymous = httpx.post(waitroom_server.base_url + page, content=crowded, headers=form_type)
    assert anonymous.status_code == 413
    assert anonymous.headers["content-type"] == "application/problem+json"
    with httpx.Client(base_url=waitroom_server.base_url) as client:
        _login(client)
        csrf = _dashboard_csrf(client, unique_id)
        settings = f"action=settings&rate_per_minute=9&csrf_token={csrf}"
        too_big = client.post(page, content=f"{settings}&{crowded}", headers=form_type)
        assert too_big.status_code == 413
        too_many = "&".join(f"k{index}=v" for index in range(60))
        overfull = client.post(page, content=f"{settings}&{too_many}", headers=form_type)
        assert overfull.status_code == 400
        assert overfull.headers["content-type"].startswith("text/html")
        assert "the form could not be read" in overfull.text
    assert httpx.get(api, headers=admin_headers).json()["rate_per_minute"] == 60
