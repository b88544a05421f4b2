"""Prometheus metrics with several uvicorn workers (multiprocess mode) and naming rules."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import METRICS_HEADERS, server_environment
from tests.support.servers import ServerProcess
from waitroom.web.metrics_multiprocess import prepare_multiprocess_directory


@pytest.fixture(scope="module")
def two_worker_server(
    redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    directory = tmp_path_factory.mktemp("prometheus")
    (directory / "counter_1.db").write_bytes(b"left over from an earlier run")
    environment = {"PROMETHEUS_MULTIPROC_DIR": str(directory)}
    assert prepare_multiprocess_directory(2, environment) == directory
    assert not list(directory.glob("*.db"))
    server = ServerProcess(
        "waitroom.web.app:create_app_from_environ",
        server_environment(redis_url, **environment),
        workers=2,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _sample(text: str, name: str, labels: str) -> float:
    found = re.search(rf"^{name}\{{{labels}\}} (\S+)$", text, re.M)
    assert found is not None, f"{name}{{{labels}}} missing"
    return float(found.group(1))


def test_counters_are_summed_across_workers(
    two_worker_server: ServerProcess, unique_id: str, admin_headers: dict[str, str]
) -> None:
    base = two_worker_server.base_url
    created = httpx.put(
        f"{base}/api/v1/admin/queues/{unique_id}",
        json={"rate_per_minute": 0},
        headers=admin_headers,
    )
    assert created.status_code == 201
    joins = 30
    for _ in range(joins):  # fresh connections: the kernel spreads them over both workers
        assert httpx.post(f"{base}/api/v1/queues/{unique_id}/join").status_code == 201
    labels = f'outcome="new",queue="{unique_id}"'
    time.sleep(0.3)  # queue gauges come from each worker's view cache (refreshed every 0.25 s)
    for _ in range(6):  # whichever worker answers, it reports the merged total
        text = httpx.get(f"{base}/metrics", headers=METRICS_HEADERS).text
        assert _sample(text, "waitroom_joins_total", labels) == joins
        assert (
            _sample(text, "waitroom_admin_changes_total", f'action="create",queue="{unique_id}"')
            == 1
        )
        assert _sample(text, "waitroom_queue_length", f'queue="{unique_id}"') == joins
        assert _sample(text, "waitroom_active_shopper_cap", f'queue="{unique_id}"') == 0


def test_metric_names_follow_prometheus_conventions(waitroom_server: ServerProcess) -> None:
    text = httpx.get(f"{waitroom_server.base_url}/metrics", headers=METRICS_HEADERS).text
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    assert types, "no metrics exposed"
    for name, kind in types.items():
        if not name.startswith("waitroom_"):
            continue
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name)
        if kind == "counter":
            assert name.endswith("_total")
        if kind == "histogram":
            assert name.endswith("_seconds")
        if kind == "gauge":
            assert not name.endswith("_total")


def test_directory_is_prepared_and_emptied(tmp_path: Path) -> None:
    environment: dict[str, str] = {}
    assert prepare_multiprocess_directory(1, environment) is None
    created = prepare_multiprocess_directory(3, environment)
    assert created is not None and environment["PROMETHEUS_MULTIPROC_DIR"] == str(created)
    (created / "counter_123.db").write_bytes(b"stale")
    again = prepare_multiprocess_directory(3, environment)
    assert again == created and not list(created.glob("*.db"))
    created.rmdir()
