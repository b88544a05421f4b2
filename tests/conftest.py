"""Shared fixtures: a real Redis (embedded redis-server, or REDIS_URL) and real uvicorn servers."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis as sync_redis
from redis.asyncio import Redis

from service_kit.redis_client import redis_from_url
from tests.support.servers import ServerProcess
from waitroom.settings import Settings
from waitroom.storage.embedded_redis import EmbeddedRedis, free_port

ADMIN_TOKEN = "test-admin-token-" + "x" * 16
SECRET_KEYS = ("test-secret-key-old-0123456789", "test-secret-key-new-0123456789")
METRICS_TOKEN = "test-metrics-token-" + "m" * 16
METRICS_HEADERS = {"Authorization": f"Bearer {METRICS_TOKEN}"}
"""What Prometheus sends to ``/metrics`` (``WAITROOM_METRICS_TOKEN``)."""

pytest_plugins = ("tests.support.cluster", "tests.support.parallel", "tests.support.shop_fixtures")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """REDIS_URL when set (any Redis/Valkey >= 6.2), else an embedded redis-server."""
    external = os.environ.get("REDIS_URL")
    if external:
        yield external
        return
    with EmbeddedRedis() as server:
        yield server.url


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    """A redis-server of the test's own (AOF, fsync always, data kept in tmp_path) that the
    test may kill, restart or empty: fault tests."""
    server = EmbeddedRedis(port=free_port(), data_dir=tmp_path / "redis", appendfsync_always=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def unique_id() -> str:
    """A fresh queue/event id per test, so tests never share Redis keys."""
    return "t" + secrets.token_hex(5)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = redis_from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def sync_redis_client(redis_url: str) -> Iterator[sync_redis.Redis]:
    client = sync_redis.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def settings(redis_url: str) -> Settings:
    return Settings.from_environ(
        {
            "REDIS_URL": redis_url,
            "WAITROOM_ADMIN_TOKEN": ADMIN_TOKEN,
            "WAITROOM_METRICS_TOKEN": METRICS_TOKEN,
            "WAITROOM_SECRET_KEYS": ",".join(SECRET_KEYS),
            "WAITROOM_QUEUE_VIEW_REFRESH_SECONDS": "0.25",
        }
    )


NO_WAITING_ROOM = {"WAITROOM_CONNECTOR_URL": "http://127.0.0.1:9"}
"""For a shop started alone (staff API, limits, recovery): its connector points at a closed
port, so a fan would be refused with 503 (the shop fails closed), while the rest works."""


def server_environment(redis_url: str, **extra: str) -> dict[str, str]:
    return {
        "REDIS_URL": redis_url,
        "WAITROOM_ADMIN_TOKEN": ADMIN_TOKEN,
        "WAITROOM_METRICS_TOKEN": METRICS_TOKEN,
        "WAITROOM_SECRET_KEYS": ",".join(SECRET_KEYS),
        "WAITROOM_QUEUE_VIEW_REFRESH_SECONDS": "0.25",
        # where the reverse-proxy connector sends fans (the queue pages' host)
        "WAITROOM_PUBLIC_BASE_URL": "http://127.0.0.1",
        **extra,
    }


@pytest.fixture(scope="session")
def waitroom_server(redis_url: str) -> Iterator[ServerProcess]:
    """One real uvicorn process serving the waiting room for the whole session."""
    with waitroom_process(redis_url) as server:
        yield server


@pytest.fixture(scope="session")
def second_waitroom_server(redis_url: str) -> Iterator[ServerProcess]:
    """A second, independent waiting-room process on the same Redis (multi-process checks)."""
    with waitroom_process(redis_url) as server:
        yield server


def waitroom_process(redis_url: str, **environment: str) -> ServerProcess:
    return ServerProcess(
        "waitroom.web.app:create_app_from_environ", server_environment(redis_url, **environment)
    )


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
