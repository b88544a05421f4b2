"""The waiting room's OpenAPI 3.1 document, served at ``GET /openapi.json``.

Kept by hand next to the routes (paths per area in the openapi_*.py modules);
tests/test_openapi.py checks that every route is described and runs schemathesis against it
(no 500 on any generated input).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from service_kit.openapi import (
    METRICS_SECURITY_SCHEME,
    PROBLEM_SCHEMA,
    openapi_response,
    with_body_limits,
)
from waitroom.web.openapi_admin import admin_api_paths
from waitroom.web.openapi_admin_pages import admin_page_paths, operations_paths
from waitroom.web.openapi_connector import connector_paths
from waitroom.web.openapi_fairness import fairness_paths
from waitroom.web.openapi_fan import STATUS_SCHEMA, queue_paths
from waitroom.web.openapi_fan_extras import extras_paths
from waitroom.web.openapi_mail import mail_paths
from waitroom.web.openapi_proxy import proxy_paths
from waitroom.web.openapi_stock import connector_stock_paths

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


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "waitroom", "version": "1"},
        "components": {
            "securitySchemes": SECURITY_SCHEMES,
            "schemas": {"Problem": PROBLEM_SCHEMA, "Status": STATUS_SCHEMA},
        },
        "paths": with_body_limits(
            {
                **queue_paths(),
                **extras_paths(),
                **mail_paths(),
                **fairness_paths(),
                **connector_paths(),
                **admin_api_paths(),
                **admin_page_paths(),
                **operations_paths(),
                **connector_stock_paths(),
                **proxy_paths(),
            }
        ),
    }


async def openapi_endpoint(request: Request) -> Response:
    return openapi_response(document())
