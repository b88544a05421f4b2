"""Shutting the shop down never waits forever on its background loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis

from sale_backend.domain.payments import TestPaymentProvider
from sale_backend.settings import ShopSettings
from sale_backend.web.background import BackgroundWork
from sale_backend.web.language import load_shop_catalogs
from sale_backend.web.runtime import ShopRuntime
from service_kit.redis_client import redis_from_url
from tests.support.shop_fixtures import ShopFactory
from waitroom.connector import ConnectorSettings, WaitroomConnector
from waitroom.settings import Settings


@pytest.fixture
async def silent_redis_url() -> AsyncIterator[str]:
    """A TCP server that accepts connections and never answers (a hung Redis)."""
    connections: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        for writer in connections:
            writer.close()
        server.close()
        await server.wait_closed()



def refuse(request: httpx.Request) -> httpx.Response:
    """This test never calls the waiting room (background work only)."""
    return httpx.Response(503)


async def test_the_background_loop_stops_between_rounds(
    shop_factory: ShopFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async with shop_factory(sweep_interval_seconds=0.05) as shop:
        await asyncio.sleep(0.3)  # a few rounds against the real Redis
        background = BackgroundWork(shop.runtime)
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await background.stop()
        assert time.monotonic() - started < 2
        assert "still running at shutdown" not in caplog.text


async def test_a_round_stuck_in_redis_does_not_hold_the_shutdown(
    settings: Settings, silent_redis_url: str, unique_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    silent: Redis = redis_from_url(silent_redis_url)
    shop_settings = ShopSettings(
        connector=ConnectorSettings(settings.secret_keys, unique_id),
        sale_redis_url=silent_redis_url,
        sweep_interval_seconds=0.01,
    )
    connector = WaitroomConnector(shop_settings.connector, httpx.MockTransport(refuse))
    runtime = ShopRuntime.build(
        shop_settings, silent, TestPaymentProvider(silent), connector, load_shop_catalogs()
    )
    try:
        background = BackgroundWork(runtime)
        await asyncio.sleep(0.2)  # the first round now waits on a Redis that never answers
        started = time.monotonic()
        await background.stop(timeout_seconds=0.5)
        assert time.monotonic() - started < 2
        assert "still running at shutdown" in caplog.text
    finally:
        await silent.aclose()
