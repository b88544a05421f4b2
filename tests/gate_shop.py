"""A tiny shop wrapped in waitroom.gate, served by uvicorn in the gate tests."""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from waitroom.gate import WaitroomGate
from waitroom.runtime import codec_for
from waitroom.settings import Settings


async def home(request: Request) -> PlainTextResponse:
    claims = request.state.waitroom_pass
    return PlainTextResponse(f"welcome {claims.visitor_id}")


async def stock(request: Request) -> JSONResponse:
    return JSONResponse({"remaining": 10})


def create_gated_shop() -> WaitroomGate:
    settings = Settings.from_environ()
    queue_id = os.environ["GATE_QUEUE_ID"]
    shop = Starlette(routes=[Route("/", home), Route("/api/stock", stock)])
    return WaitroomGate(shop, codec_for(settings), queue_id=queue_id, queue_url=f"/q/{queue_id}")
