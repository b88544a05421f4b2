"""The production factories tune the garbage collector once the app has started: start-up's
objects frozen, collections less often (service_kit.collector)."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator, Iterator

import pytest
from starlette.applications import Starlette

from service_kit.collector import GEN0_THRESHOLD, GEN1_THRESHOLD, GEN2_THRESHOLD, serving


@pytest.fixture
def collector_restored() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


async def test_the_collector_is_tuned_after_start_up(collector_restored: None) -> None:
    seen: list[tuple[int, ...]] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        seen.append(gc.get_threshold())  # during start-up: untouched
        app.state.catalog = [{"made": ["at start-up"]} for _ in range(1000)]
        yield

    gc.set_threshold(700, 10, 10)
    app = serving(Starlette(lifespan=lifespan))
    async with app.router.lifespan_context(app):
        assert seen == [(700, 10, 10)]
        assert gc.get_threshold() == (GEN0_THRESHOLD, GEN1_THRESHOLD, GEN2_THRESHOLD)
        assert gc.get_freeze_count() >= 1000  # start-up's objects are frozen
        assert gc.is_tracked(app.state.catalog[0])
