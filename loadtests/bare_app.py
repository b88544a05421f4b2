"""The reference for ceiling benchmarks: a bare Starlette app with one route and a small JSON body.

The endpoint is the idiomatic minimal Starlette JSON endpoint (``JSONResponse`` of a small dict),
with no middleware. Served with exactly the same uvicorn settings as the waiting room, so the
ratio ``status req/s / bare req/s`` says what the waiting room's own work costs.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

BARE_PATH = "/bare"


async def bare_endpoint(request: Request) -> JSONResponse:
    return JSONResponse({"state": "waiting", "position": 1234, "poll_after_ms": 5000})


def create_bare_app() -> Starlette:
    """Factory for ``uvicorn --factory loadtests.bare_app:create_bare_app``."""
    return Starlette(routes=[Route(BARE_PATH, bare_endpoint, methods=["GET", "POST"])])
