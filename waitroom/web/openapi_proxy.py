"""OpenAPI paths of the reverse-proxy connector: the auth endpoint and ``/.waitroom/*``."""

from __future__ import annotations

from typing import Any

from service_kit.openapi import (
    ID_PATTERN,
    STRING,
    header_parameter,
    html,
    problem,
    query_parameter,
    redirect,
)

QUEUE_HEADER = header_parameter(
    "X-Waitroom-Queue",
    "The queue the site stands behind (set by the proxy)",
    required=True,
    schema={"type": "string", "pattern": ID_PATTERN},
)
ORIGINAL_URI = header_parameter(
    "X-Original-URI", "The fan's request path and query at the site (nginx)"
)
FORWARDED_URI = header_parameter(
    "X-Forwarded-Uri", "The fan's request path and query at the site (Caddy, Traefik)"
)
SESSION_HEADERS = {
    "X-Waitroom-Pass-Id": {"schema": STRING},
    "X-Waitroom-Buyer": {"schema": STRING},
    "X-Waitroom-Deadline": {"schema": {"type": "integer"}},
}
REFUSALS = {
    "303": redirect("A browser without a session: the queue page"),
    "400": problem("Bad input (queue id, original URI)"),
    "401": html("Refused: an explaining page, or a problem body for API clients"),
    "409": html("The pass is in use in another browser or app"),
    "410": html("The session ended (purchase completed, or ended by the site)"),
    "503": html("The waiting room cannot check the session now (try again)"),
}


def proxy_paths() -> dict[str, Any]:
    return {
        "/api/v1/connector/auth": {
            "get": {
                "summary": "Asked by the reverse proxy before each request to the site",
                "parameters": [
                    {**query_parameter("queue", {"type": "string"}, "The site's queue"),
                     "required": True},
                    query_parameter(
                        "proxy",
                        {"type": "string", "enum": ["forward"]},
                        "forward: Caddy forward_auth / Traefik ForwardAuth (refusals are the "
                        "answer itself; a pass in X-Forwarded-Uri is handed off in place)",
                    ),
                    ORIGINAL_URI,
                    FORWARDED_URI,
                ],
                "responses": {
                    "204": {"description": "Let through", "headers": SESSION_HEADERS},
                    **REFUSALS,
                    "401": {
                        "description": "Refused (nginx: X-Waitroom-Reason; forward: the page "
                        "or problem body itself)",
                        "headers": {"X-Waitroom-Reason": {"schema": STRING}},
                    },
                    "303": redirect(
                        "forward: the handoff (cookie set, pass dropped) or the queue page"
                    ),
                },
            }
        },
        "/.waitroom/enter": {
            method: {
                "summary": "The handoff: a request carrying ?waitroom_pass=, rewritten by nginx",
                "parameters": [QUEUE_HEADER, ORIGINAL_URI],
                "responses": {
                    **REFUSALS,
                    "303": redirect("The original URL without the pass (the cookie is set)"),
                },
            }
            for method in ("get", "post", "put", "patch", "delete", "options")
        },
        "/.waitroom/end": {
            method: {
                "summary": "End the session (the slot is freed at once), then go to next",
                "parameters": [
                    QUEUE_HEADER,
                    query_parameter("next", STRING, "A path of the site (default: the queue)"),
                    query_parameter(
                        "reason",
                        {"type": "string", "enum": ["purchase_completed", "session_ended"]},
                        "Why the session ends (default purchase_completed)",
                    ),
                ],
                "responses": {
                    "200": html("A GET from another site: asks first (a form)"),
                    "303": redirect("Ended (the cookie cleared): to next"),
                    "400": problem("Bad input (next not a path of the site, reason)"),
                    "503": html("The waiting room cannot reach its store (try again)"),
                },
            }
            for method in ("get", "post")
        },
        "/.waitroom/denied": {
            "get": {
                "summary": "What nginx shows for a refused request (error_page 401)",
                "parameters": [QUEUE_HEADER, ORIGINAL_URI],
                "responses": REFUSALS,
            }
        },
    }
