"""The shop's OpenAPI 3.1 document, served at ``GET /openapi.json`` (outside the gate: it
shows no stock). Kept by hand next to :func:`sale_backend.web.app.shop_routes`; tests/sale/
test_shop_openapi.py checks that every route is described and fuzzes the shop with it."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sale_backend.web import openapi_schemas as schemas
from sale_backend.web.openapi_buyer import EVENT_ID, buyer_paths, id_parameter, page_paths
from sale_backend.web.openapi_staff_pages import staff_page_paths
from service_kit.openapi import (
    METRICS_SECURITY_SCHEME,
    PROBLEM_SCHEMA,
    health_paths,
    json_answer,
    json_body,
    metrics_path,
    openapi_response,
    problem,
    query_parameter,
    with_body_limits,
)

STAFF: list[dict[str, list[str]]] = [{"staff": []}]
STAFF_OR_SESSION: list[dict[str, list[str]]] = [{"staff": []}, {"staff_session": []}]
STAFF_ERRORS = {
    "400": problem("Malformed input"),
    "401": problem("Staff bearer token required"),
    "404": problem("No such event or order"),
    "503": problem("The sale store is unavailable"),
}


def _staff(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "security": STAFF,
        "responses": {**STAFF_ERRORS, **responses},
        **extra,
    }


def staff_paths() -> dict[str, Any]:
    staff = "/api/v1/staff"
    return {
        f"{staff}/scan": {
            "post": _staff(
                "Entry scan: accept a genuine ticket once",
                {
                    "200": json_answer("Accepted", schemas.SCAN),
                    "403": problem("Staff session without its X-CSRF-Token header"),
                    "409": problem(
                        "Rejected: reason forged, already_scanned, refunded, unknown, "
                        "wrong_event (with ticket, first_scan, scanned_at_ms)"
                    ),
                    "422": problem("A short code with a mistyped character (reason mistyped)"),
                },
                requestBody=json_body(schemas.SCAN_REQUEST),
                security=STAFF_OR_SESSION,
            )
        },
        f"{staff}/events/{{event_id}}/tickets": {
            "get": _staff(
                "Door scanners' ticket list: tickets changed after a version (hashed codes)",
                {
                    "200": json_answer("A page of the list", schemas.TICKET_LIST),
                    "403": problem("Staff session without its X-CSRF-Token header"),
                },
                parameters=[
                    EVENT_ID,
                    query_parameter(
                        "after", {"type": "integer", "minimum": 0}, "version the scanner has"
                    ),
                    query_parameter(
                        "limit", {"type": "integer", "minimum": 0, "maximum": 5000}, "page size"
                    ),
                ],
                security=STAFF_OR_SESSION,
            )
        },
        f"{staff}/events/{{event_id}}/scans": {
            "post": _staff(
                "A scanner's scans (online, and the ones made offline), each once by scan_id",
                {
                    "200": json_answer("One answer per scan", schemas.SCAN_RESULTS),
                    "403": problem("Staff session without its X-CSRF-Token header"),
                },
                parameters=[EVENT_ID],
                requestBody=json_body(schemas.SCAN_BATCH),
                security=STAFF_OR_SESSION,
            )
        },
        f"{staff}/events/{{event_id}}": {
            "put": _staff(
                "Create or update an event",
                {"200": json_answer("Event", schemas.EVENT_VIEW)},
                parameters=[EVENT_ID],
                requestBody=json_body(schemas.EVENT_DEFINITION),
            ),
            "get": _staff(
                "Any event with live stock",
                {"200": json_answer("Event", schemas.EVENT_VIEW)},
                parameters=[EVENT_ID],
            ),
        },
        f"{staff}/orders/{{order_id}}": {
            "get": _staff(
                "Any order",
                {"200": json_answer("Order", schemas.ORDER)},
                parameters=[id_parameter("order_id")],
            )
        },
        f"{staff}/orders/{{order_id}}/refund": {
            "post": _staff(
                "Refund tickets of any order",
                {
                    "200": json_answer("Refund", schemas.REFUND),
                    "409": problem("Ticket cannot be refunded"),
                },
                parameters=[id_parameter("order_id")],
                requestBody=json_body(schemas.REFUND_REQUEST, required=False),
            )
        },
    }


def operations_paths() -> dict[str, Any]:
    return {**health_paths("Sale Redis"), **metrics_path()}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "waitroom shop (sale_backend)", "version": "1"},
        "components": {
            "securitySchemes": {
                "pass": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "waiting-room pass (or cookie wr_pass_<queue_id>)",
                },
                "visitor": {"type": "apiKey", "in": "cookie", "name": "wr_vid"},
                "staff": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "WAITROOM_STAFF_TOKEN",
                },
                "staff_session": {"type": "apiKey", "in": "cookie", "name": "wr_staff"},
                "metrics": METRICS_SECURITY_SCHEME,
            },
            "schemas": {"Problem": PROBLEM_SCHEMA},
        },
        "paths": with_body_limits(
            {
                **page_paths(),
                **buyer_paths(),
                **staff_paths(),
                **staff_page_paths(),
                **operations_paths(),
            }
        ),
    }


async def openapi_endpoint(request: Request) -> Response:
    return openapi_response(document())
