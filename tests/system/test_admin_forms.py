"""The organizer's forms over real HTTP: creating a queue, editing the fan page content and its
preview: bad input is a 400 page saying what to fix (nothing stored), good input redirects
(post/redirect/get), and everything that changes something is in the audit log."""

from __future__ import annotations

import re

import httpx

from tests.support.admin_support import dashboard_csrf, login
from tests.support.servers import ServerProcess

DRAFT = {
    "s0-title": "Warm-up",
    "s0-kind": "survey",
    "s0-q0-text": "Where are you from?",
    "s0-q0-type": "single",
    "s0-q0-options": "Tallinn\nTartu\n* Pärnu",
    "s0-q0-required": "on",
    "u0-title": "Tour poster",
    "u0-link_url": "https://shop.example.org/poster",
    "u0-price": "12,50",
    "u0-currency": "EUR",
}


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def test_creating_a_queue_from_the_dashboard(
    waitroom_server: ServerProcess, unique_id: str, admin_headers: dict[str, str]
) -> None:
    base = waitroom_server.base_url
    with httpx.Client(base_url=base) as client:
        login(client, "fiona")
        csrf = _csrf(client.get("/admin"))
        form = {"csrf_token": csrf, "name": "Winter tour", "rate_per_minute": "90"}
        bad = client.post("/admin/queues", data={**form, "queue_id": "Not An Id"})
        assert bad.status_code == 400 and "Not created: queue id: 1-64 of a-z" in bad.text
        assert 'value="Winter tour"' in bad.text  # the form comes back as typed
        scheduled = {
            **form,
            "queue_id": unique_id,
            "start": "schedule",
            "opens_at_local": "2032-03-01T18:30",
            "time_zone": "Europe/Tallinn",
        }
        created = client.post("/admin/queues", data=scheduled)
        assert created.status_code == 303
        assert created.headers["location"] == f"/admin/queues/{unique_id}"
        assert "Queue Winter tour created." in client.get(created.headers["location"]).text
        again = client.post("/admin/queues", data=scheduled)
        assert again.status_code == 400 and "exists already" in again.text
    queue = httpx.get(f"{base}/api/v1/admin/queues/{unique_id}", headers=admin_headers).json()
    assert queue["name"] == "Winter tour" and queue["rate_per_minute"] == 90
    assert queue["prequeue"] is True and queue["opens_at"] == 1961771400.0  # 16:30 UTC
    entries = httpx.get(
        f"{base}/api/v1/admin/queues/{unique_id}/audit", headers=admin_headers
    ).json()["entries"]
    assert [(entry["action"], entry["actor"]) for entry in entries] == [("create", "session:fiona")]


def test_content_form_saves_what_the_preview_showed(
    waitroom_server: ServerProcess, unique_id: str, admin_headers: dict[str, str]
) -> None:
    base = waitroom_server.base_url
    admin = f"{base}/api/v1/admin/queues/{unique_id}"
    httpx.put(admin, json={"rate_per_minute": 30, "name": "Content"}, headers=admin_headers)
    with httpx.Client(base_url=base) as client:
        assert client.post("/admin/preview", data=DRAFT).status_code == 303  # no session
        login(client)
        csrf = dashboard_csrf(client, unique_id)
        assert client.post("/admin/preview", data=DRAFT).status_code == 403  # no CSRF token
        draft = {**DRAFT, "csrf_token": csrf, "queue_id": unique_id, "content_form": "1"}
        preview = client.post("/admin/preview", data=draft)
        assert preview.status_code == 200
        assert "frame-ancestors 'self'" in preview.headers["content-security-policy"]
        assert "script-src 'none'" in preview.headers["content-security-policy"]
        assert "Where are you from?" in preview.text and "Tour poster" in preview.text
        assert "€12.50" in preview.text and "<script" not in preview.text
        assert httpx.get(f"{admin}/upsells", headers=admin_headers).json()["upsells"] == []

        refused = client.post(
            f"/admin/queues/{unique_id}/content", data={**draft, "u0-link_url": "ftp://x"}
        )
        assert refused.status_code == 400
        assert "Not saved: card 1, link: a path or an http(s) URL" in refused.text
        assert 'value="ftp://x"' in refused.text  # shown again as typed
        assert httpx.get(f"{admin}/upsells", headers=admin_headers).json()["upsells"] == []

        saved = client.post(f"/admin/queues/{unique_id}/content", data=draft)
        assert saved.status_code == 303
        assert "Saved: 1 survey(s) and 1 card(s)" in client.get(saved.headers["location"]).text
    surveys = httpx.get(f"{admin}/surveys", headers=admin_headers).json()["surveys"]
    question = surveys[0]["questions"][0]
    assert [option["label"] for option in question["options"]] == ["Tallinn", "Tartu", "Pärnu"]
    assert not any(option["correct"] for option in question["options"])  # a survey, not a quiz
    (card,) = httpx.get(f"{admin}/upsells", headers=admin_headers).json()["upsells"]
    assert card["price_minor"] == 1250 and card["id"] == "tour-poster"
    actions = [
        entry["action"]
        for entry in httpx.get(f"{admin}/audit", headers=admin_headers).json()["entries"]
    ]
    assert actions[:2] == ["content_update", "content_update"]
