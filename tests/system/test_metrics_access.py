"""``/metrics`` answers Prometheus' bearer token only: without it, nothing about the queues."""

from __future__ import annotations

import httpx

from tests.conftest import ADMIN_TOKEN, METRICS_HEADERS
from tests.support.servers import ServerProcess


def test_metrics_need_the_metrics_token(
    waitroom_server: ServerProcess, unique_id: str, admin_headers: dict[str, str]
) -> None:
    base = waitroom_server.base_url
    created = httpx.put(
        f"{base}/api/v1/admin/queues/{unique_id}",
        json={"rate_per_minute": 5},
        headers=admin_headers,
    )
    assert created.status_code == 201
    for headers in (
        {},
        {"Authorization": "Bearer not-the-metrics-token"},
        {"Authorization": f"Bearer {ADMIN_TOKEN}"},  # the admin token is not the scraper's
    ):
        refused = httpx.get(f"{base}/metrics", headers=headers)
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert refused.json()["type"].endswith("/metrics-token-required")
        assert unique_id not in refused.text
    scraped = httpx.get(f"{base}/metrics", headers=METRICS_HEADERS)
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    assert f'waitroom_admission_rate_per_minute{{queue="{unique_id}"}} 5.0' in scraped.text
