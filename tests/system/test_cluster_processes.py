"""Several waiting-room processes (uvicorn workers and independent servers) on one Redis Cluster.

Two independent servers (one with two uvicorn workers, as two hosts would run them) share a
three-master cluster. Queues live on different masters. Fans join and poll through both
servers; admission must stay exactly at the organizer's rate, never run ahead of the serving
pointer, and the Prometheus counters of the multi-worker server must add up over its workers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from tests.conftest import METRICS_HEADERS, server_environment
from tests.integration.test_admission_invariants import assert_exact_rate
from tests.support.cluster import queue_ids_on_distinct_masters
from tests.support.servers import ServerProcess
from waitroom.admission import AdmissionStore

FANS_PER_QUEUE = 90
RATE_PER_MINUTE = 1200  # 20 per second per queue
FACTORY = "waitroom.web.app:create_app_from_environ"


@pytest.fixture(scope="module")
def cluster_servers(
    cluster_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[ServerProcess]]:
    """Server A: two uvicorn workers sharing a Prometheus multiprocess directory; server B: one."""
    started: list[ServerProcess] = []
    try:
        for name, workers in (("a", 2), ("b", 1)):
            metrics_dir: Path = tmp_path_factory.mktemp(f"prometheus-{name}")
            environment = server_environment(
                cluster_url, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)
            )
            started.append(ServerProcess(FACTORY, environment, workers=workers).start())
        yield started
    finally:
        for server in started:
            server.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """No cookie jar: every join is a new fan, identified by its bearer token afterwards."""
    no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    async with httpx.AsyncClient(cookies=no_cookies, timeout=20) as client:
        yield client


async def join_fans(
    http: httpx.AsyncClient, servers: list[ServerProcess], queue_id: str
) -> dict[int, str]:
    async def one(index: int) -> tuple[int, str]:
        server = servers[index % len(servers)]
        response = await http.post(f"{server.base_url}/api/v1/queues/{queue_id}/join")
        assert response.status_code == 201, response.text
        body = response.json()
        return int(body["position"]), str(body["token"])

    joined = await asyncio.gather(*(one(index) for index in range(FANS_PER_QUEUE)))
    tokens = dict(joined)
    assert sorted(tokens) == list(range(1, FANS_PER_QUEUE + 1)), "places must be unique"
    return tokens


async def poll_round(
    http: httpx.AsyncClient, servers: list[ServerProcess], queue_id: str, tokens: dict[int, str]
) -> set[int]:
    """Poll every fan once (alternating servers); returns the admitted positions."""

    async def one(position: int, token: str) -> int | None:
        server = servers[position % len(servers)]
        response = await http.get(
            f"{server.base_url}/api/v1/queues/{queue_id}/status",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        if body["state"] != "admitted":
            return None
        assert body["pass"] and body["redirect_url"]
        return position

    answers = await asyncio.gather(*(one(p, t) for p, t in tokens.items()))
    return {position for position in answers if position is not None}


async def admin_put(
    http: httpx.AsyncClient, server: ServerProcess, queue_id: str, body: dict[str, object],
    admin_headers: dict[str, str],
) -> None:
    response = await http.put(
        f"{server.base_url}/api/v1/admin/queues/{queue_id}", json=body, headers=admin_headers
    )
    assert response.status_code in {200, 201}, response.text


@pytest.mark.slow
async def test_processes_on_a_cluster_admit_exactly_at_the_rate(
    cluster_servers: list[ServerProcess],
    cluster_redis: Redis,
    http: httpx.AsyncClient,
    admin_headers: dict[str, str],
) -> None:
    server_a, server_b = cluster_servers
    store = AdmissionStore(cluster_redis, default_burst=10)
    queue_ids = await queue_ids_on_distinct_masters(cluster_redis, 3, "proc")
    for queue_id in queue_ids:
        await admin_put(http, server_a, queue_id, {"rate_per_minute": 0, "burst": 100_000},
                        admin_headers)
    tokens = {q: await join_fans(http, cluster_servers, q) for q in queue_ids}

    for queue_id in queue_ids:  # the rate is set through the other server
        await admin_put(http, server_b, queue_id, {"rate_per_minute": RATE_PER_MINUTE},
                        admin_headers)
    starts = [await store.snapshot(queue_id) for queue_id in queue_ids]
    admitted_seen: dict[str, set[int]] = {queue_id: set() for queue_id in queue_ids}
    until = time.monotonic() + 2.5
    while time.monotonic() < until:
        for queue_id in queue_ids:
            admitted = await poll_round(http, cluster_servers, queue_id, tokens[queue_id])
            latest = await store.snapshot(queue_id)
            assert admitted <= set(range(1, latest.serving + 1)), "admitted ahead of the pointer"
            admitted_seen[queue_id] |= admitted
    ends = [await store.snapshot(queue_id) for queue_id in queue_ids]
    for start, end in zip(starts, ends, strict=True):
        assert_exact_rate(start, end, RATE_PER_MINUTE)
        assert end.serving - start.serving >= 20, "2.5 s at 20 per second"

    # Pause: the pointer stops; once every process's cached view is older than its refresh
    # interval, each fan up to the pointer is admitted and nobody beyond it.
    for queue_id in queue_ids:
        await admin_put(http, server_a, queue_id, {"state": "paused"}, admin_headers)
    frozen = [await store.snapshot(queue_id) for queue_id in queue_ids]
    await asyncio.sleep(0.4)
    for queue_id, snapshot in zip(queue_ids, frozen, strict=True):
        admitted = await poll_round(http, cluster_servers, queue_id, tokens[queue_id])
        expected = set(range(1, min(snapshot.serving, FANS_PER_QUEUE) + 1))
        assert admitted == expected
        assert admitted_seen[queue_id] <= expected
        assert (await store.snapshot(queue_id)).serving == snapshot.serving


async def test_metrics_of_a_multi_worker_server_add_up_over_its_workers(
    cluster_servers: list[ServerProcess],
    cluster_redis: Redis,
    http: httpx.AsyncClient,
    admin_headers: dict[str, str],
) -> None:
    server_a = cluster_servers[0]
    (queue_id,) = await queue_ids_on_distinct_masters(cluster_redis, 1, "metric")
    await admin_put(http, server_a, queue_id, {"rate_per_minute": 600_000, "burst": 100_000},
                    admin_headers)
    tokens = await join_fans(http, [server_a], queue_id)
    await asyncio.sleep(0.3)
    rounds = 4
    admitted_answers = 0
    for _ in range(rounds):
        admitted_answers += len(await poll_round(http, [server_a], queue_id, tokens))
    assert admitted_answers == rounds * FANS_PER_QUEUE

    text = (await http.get(f"{server_a.base_url}/metrics", headers=METRICS_HEADERS)).text
    assert metric_sum(text, "waitroom_joins_total", f'queue="{queue_id}"') == FANS_PER_QUEUE
    passes = metric_sum(text, "waitroom_passes_issued_total", f'queue="{queue_id}"')
    # every admitted status answer carried a pass; a join may carry one too
    assert admitted_answers <= passes <= admitted_answers + FANS_PER_QUEUE
    status_route = 'route="/api/v1/queues/{queue_id}/status"'
    assert metric_sum(
        text, "waitroom_http_request_duration_seconds_count", status_route
    ) >= rounds * FANS_PER_QUEUE
    metrics_dir = Path(server_a.environment["PROMETHEUS_MULTIPROC_DIR"])
    # both workers served requests, and the one /metrics answer summed both
    assert len(counter_writer_pids(metrics_dir)) == 2


def metric_sum(exposition: str, name: str, label_fragment: str) -> float:
    total = 0.0
    for line in exposition.splitlines():
        if line.startswith(name + "{") and label_fragment in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def counter_writer_pids(metrics_dir: Path) -> set[str]:
    """Process ids that wrote Prometheus counter files (``counter_<pid>.db``)."""
    return {path.stem.rsplit("_", 1)[1] for path in metrics_dir.glob("counter_*.db")}
