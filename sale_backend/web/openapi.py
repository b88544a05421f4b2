"""The shop's OpenAPI 3.1 document, served at ``GET /openapi.json`` (outside the gate: it
shows no stock): generated from the route table (:func:`sale_backend.web.routes.shop_routes`,
each route declaring what it takes and answers) and the models, by
:func:`service_kit.openapi.openapi_document`. tests/sale/test_shop_openapi.py checks every
route is described and fuzzes the shop with it."""

from __future__ import annotations

import functools
from typing import Annotated, Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from service_kit.models import QueueOrEventId
from service_kit.openapi import METRICS_SECURITY_SCHEME, openapi_document, openapi_response

ShopItemId = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
"""A hold, order or ticket id in a path (``<event_id>~<kind letter><16 hex>``)."""
PATH_TYPES: dict[str, Any] = {
    "event_id": QueueOrEventId,
    "hold_id": ShopItemId,
    "order_id": ShopItemId,
}
SECURITY_SCHEMES = {
    "pass": {
        "type": "http",
        "scheme": "bearer",
        "description": "waiting-room pass (or the site session cookie wr_site_<queue_id>)",
    },
    "visitor": {"type": "apiKey", "in": "cookie", "name": "wr_vid"},
    "staff": {"type": "http", "scheme": "bearer", "description": "WAITROOM_STAFF_TOKEN"},
    "staff_session": {"type": "apiKey", "in": "cookie", "name": "wr_staff"},
    "metrics": METRICS_SECURITY_SCHEME,
}


@functools.cache
def document() -> dict[str, Any]:
    from sale_backend.web.routes import shop_routes  # the route table names this module

    return openapi_document(
        "waitroom shop (sale_backend)",
        shop_routes(),
        path_types=PATH_TYPES,
        security_schemes=SECURITY_SCHEMES,
    )


async def openapi_endpoint(request: Request) -> Response:
    return openapi_response(document())
