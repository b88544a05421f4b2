"""The waiting room's OpenAPI 3.1 document, served at ``GET /openapi.json``.

Kept by hand next to the routes; tests/test_openapi.py checks that every route is described
and runs schemathesis against it (no 500 on any generated input).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

QUEUE_ID = {
    "name": "queue_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$"},
}
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": PROBLEM}},
    }


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


STATUS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["state", "position", "ahead", "eta_seconds", "poll_after_ms"],
    "properties": {
        "state": {
            "enum": ["prequeue", "waiting", "admitted", "paused", "sold_out", "closed"]
        },
        "position": {"type": "integer", "minimum": 0},
        "ahead": {"type": "integer", "minimum": 0},
        "eta_seconds": {"type": ["integer", "null"]},
        "poll_after_ms": {"type": "integer", "minimum": 0},
        "token": {"type": "string"},
        "pass": {"type": "string"},
        "redirect_url": {"type": "string"},
        "degraded": {"type": "boolean"},
    },
}
COMMON_ERRORS = {
    "400": _problem("Malformed input"),
    "404": _problem("No such queue"),
    "503": _problem("The store is unreachable (fail closed); see Retry-After"),
}


def document() -> dict[str, Any]:
    queue_config = {
        "type": "object",
        "properties": {
            "rate_per_minute": {"type": "integer", "minimum": 0},
            "state": {"enum": ["open", "paused", "closed", "sold_out"]},
            "opens_at": {"type": "number", "minimum": 0},
            "burst": {"type": "integer", "minimum": 1},
            "redirect_url": {"type": "string"},
            "name": {"type": "string"},
            "pause_reason": {"type": "string"},
            "event_id": {"type": "string"},
            "active_shopper_cap": {"type": "integer", "minimum": 0},
            "abandon_after_seconds": {"type": "integer", "minimum": 0},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "waitroom", "version": "1"},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Problem": {
                    "type": "object",
                    "required": ["type", "title", "status", "detail"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                    },
                },
                "Status": STATUS_SCHEMA,
            },
        },
        "paths": {
            "/q/{queue_id}": {
                "get": {
                    "summary": "The fan's queue page (joins on first visit)",
                    "parameters": [QUEUE_ID],
                    "responses": {
                        "200": {"description": "Queue page", "content": {"text/html": {}}},
                        "404": {"description": "No such queue", "content": {"text/html": {}}},
                        "428": {"description": "Challenge", "content": {"text/html": {}}},
                        "429": {"description": "Too many joins", "content": {"text/html": {}}},
                        "503": {"description": "Unavailable", "content": {"text/html": {}}},
                    },
                }
            },
            "/api/v1/queues/{queue_id}/join": {
                "post": {
                    "summary": "Join the queue (or get the place already held)",
                    "parameters": [
                        QUEUE_ID,
                        {"name": "Waitroom-Pow-Challenge", "in": "header", "required": False,
                         "schema": {"type": "string"}},
                        {"name": "Waitroom-Pow-Solution", "in": "header", "required": False,
                         "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": _json("The place already held", STATUS_SCHEMA),
                        "201": _json("A new place", STATUS_SCHEMA),
                        "401": _problem("Bearer token not valid"),
                        "409": _problem("Queue closed or sold out"),
                        "428": _problem("Proof of work required"),
                        "429": _problem("Too many joins from this address or network"),
                        **COMMON_ERRORS,
                    },
                }
            },
            "/api/v1/queues/{queue_id}/status": {
                "get": {
                    "summary": "The fan's status (poll at poll_after_ms)",
                    "parameters": [QUEUE_ID],
                    "security": [*BEARER, {}],
                    "responses": {
                        "200": _json("Status", STATUS_SCHEMA),
                        "401": _problem("Missing or invalid position token"),
                        **COMMON_ERRORS,
                    },
                }
            },
            "/api/v1/queues/{queue_id}/challenge": {
                "get": {
                    "summary": "A proof-of-work challenge for joining",
                    "parameters": [QUEUE_ID],
                    "responses": {
                        "200": _json("Challenge", {"type": "object", "required": [
                            "challenge", "difficulty_bits", "required"]}),
                        "404": _problem("Invalid queue id"),
                    },
                }
            },
            "/api/v1/admin/queues": {
                "get": {
                    "summary": "Known queue ids",
                    "security": BEARER,
                    "responses": {
                        "200": _json("Queue ids", {"type": "object"}),
                        "401": _problem("Admin token required"),
                        "503": _problem("Store unreachable"),
                    },
                }
            },
            "/api/v1/admin/queues/{queue_id}": {
                "get": {
                    "summary": "Queue config and live figures",
                    "parameters": [QUEUE_ID],
                    "security": BEARER,
                    "responses": {
                        "200": _json("Queue", {"type": "object"}),
                        "401": _problem("Admin token required"),
                        **COMMON_ERRORS,
                    },
                },
                "put": {
                    "summary": "Create or update a queue",
                    "parameters": [QUEUE_ID],
                    "security": BEARER,
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": queue_config}},
                    },
                    "responses": {
                        "200": _json("Updated", {"type": "object"}),
                        "201": _json("Created", {"type": "object"}),
                        "401": _problem("Admin token required"),
                        **COMMON_ERRORS,
                    },
                },
            },
            "/openapi.json": {
                "get": {"responses": {"200": _json("This document", {"type": "object"})}}
            },
            "/healthz": {"get": {"responses": {"200": _json("Alive", {"type": "object"})}}},
            "/readyz": {
                "get": {
                    "responses": {
                        "200": _json("Ready", {"type": "object"}),
                        "503": _json("Redis unreachable", {"type": "object"}),
                    }
                }
            },
            "/metrics": {
                "get": {"responses": {"200": {"description": "Prometheus text format",
                                              "content": {"text/plain": {}}}}}
            },
        },
    }


async def openapi_endpoint(request: Request) -> Response:
    return Response(
        orjson.dumps(document()),
        media_type="application/json",
        headers={"cache-control": "public, max-age=300"},
    )
