"""The waiting room's OpenAPI 3.1 document, served at ``GET /openapi.json``: generated from the
route table (:func:`waitroom.web.app.waitroom_routes`, each route declaring what it takes and
answers) and the models, by :func:`service_kit.openapi.openapi_document`.

tests/test_openapi.py checks every route is described and runs schemathesis against it (no
5xx, answers that match their schemas)."""

from __future__ import annotations

import functools
from typing import Annotated, Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from service_kit.models import QueueOrEventId
from service_kit.openapi import METRICS_SECURITY_SCHEME, openapi_document, openapi_response
from waitroom.queue.stock_reports import EVENT_ID_PATTERN
from waitroom.sites.models import PassId

ItemId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
PATH_TYPES: dict[str, Any] = {
    "queue_id": QueueOrEventId,
    "survey_id": ItemId,
    "upsell_id": ItemId,
    "code_id": ItemId,
    "event_id": Annotated[str, msgspec.Meta(pattern=EVENT_ID_PATTERN.pattern)],
    "pass_id": PassId,
}
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer"},
    "admin_session": {"type": "apiKey", "in": "cookie", "name": "wr_admin"},
    "site": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "Site <token> (docs/connector.md, section 6)",
    },
    "metrics": METRICS_SECURITY_SCHEME,
}


@functools.cache
def document() -> dict[str, Any]:
    from waitroom.web.app import waitroom_routes  # the route table names this module's endpoint

    return openapi_document(
        "waitroom",
        waitroom_routes(),
        path_types=PATH_TYPES,
        security_schemes=SECURITY_SCHEMES,
    )


async def openapi_endpoint(request: Request) -> Response:
    return openapi_response(document())
