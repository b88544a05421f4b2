"""Python's garbage collector tuned for a server process (both apps, every worker).

With the default thresholds (700, 10, 10) a worker holding a thousand requests in flight runs
a young collection every few requests and promotes their live objects again and again; in the
sell-out race the collector took about a third of the shop's CPU (162 µs per sold-out refusal,
108 µs tuned) and its full collections stopped a worker for 75-120 ms at a time, the tail of
the race's latency (docs/benchmarks.md, "The garbage collector"). Tuned:

- what start-up made (settings, catalogs, compiled templates, connection pools) is frozen
  (``gc.freeze``): it lives as long as the process, and no collection scans it again;
- collections run far less often: a young one every ``GEN0_THRESHOLD`` net allocations, so the
  objects of requests already answered are freed by reference counting before any collection
  sees them, and only cycles wait (a few MB at most) for the next one.

Applied after the app's start-up by the production factories (``waitroom serve``, ``waitroom
demo`` and ``uvicorn --factory``); tests that build apps in their own process leave the
collector alone.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator

from starlette.applications import Starlette

GEN0_THRESHOLD = 50_000
GEN1_THRESHOLD = 20
GEN2_THRESHOLD = 100


def tune_collector() -> None:
    """Collect start-up's garbage once, freeze what is left, and collect less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GEN0_THRESHOLD, GEN1_THRESHOLD, GEN2_THRESHOLD)


def serving(app: Starlette) -> Starlette:
    """``app`` whose lifespan tunes the collector once its start-up is done."""
    started = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: Starlette) -> AsyncIterator[None]:
        async with started(application):
            tune_collector()
            yield

    app.router.lifespan_context = lifespan
    return app
