"""The protected sites' routes with what each takes and answers: the connector API (site
authentication, docs/connector.md section 6; stock reports, section 5) and the reverse-proxy
connector (the auth endpoint and ``/.waitroom/*``). The OpenAPI document is generated from
these."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from starlette.routing import BaseRoute

from service_kit.models import QueueOrEventId
from service_kit.openapi import (
    Answer,
    ApiRoute,
    Body,
    Operation,
    empty,
    header,
    json,
    page,
    page_or_problem,
    problem,
    query,
    redirect,
)
from waitroom.queue.site_health import HealthReportBody
from waitroom.queue.stock_reports import StockReport
from waitroom.sites import connector_api, models, session_batches
from waitroom.sites.proxy_api import (
    AUTH_PATH,
    PROXY_PREFIX,
    AuthEndpoint,
    DeniedEndpoint,
    EndEndpoint,
    EnterEndpoint,
)

SITE = ({"site": ()},)
SESSIONS = "/api/v1/connector/queues/{queue_id}/sessions"
SESSION_BATCHES = "/api/v1/connector/queues/{queue_id}/session-batches"
SITE_ERRORS = {
    400: problem("Bad input"),
    401: problem("Site token missing or not valid (site-auth-rejected)"),
    404: problem("No such queue or session"),
    503: problem("Store unreachable"),
}
QUEUE_HEADER = header(
    "X-Waitroom-Queue", "The queue the site stands behind (set by the proxy)", QueueOrEventId, True
)
ORIGINAL_URI = header("X-Original-URI", "The fan's request path and query at the site (nginx)")
FORWARDED_URI = header(
    "X-Forwarded-Uri", "The fan's request path and query at the site (Caddy, Traefik)"
)
refusal = page_or_problem

REFUSALS = {
    303: redirect("A browser without a session: the queue page"),
    400: problem("Bad input (queue id, original URI)"),
    401: refusal("Refused: an explaining page, or a problem body for API clients"),
    409: refusal("The pass is in use in another browser or app"),
    410: refusal("The session ended (purchase completed, or ended by the site)"),
    503: refusal("The waiting room cannot check the session now (try again)"),
}
ANY_METHOD = ("get", "post", "put", "patch", "delete", "options")


def _site(summary: str, answers: Mapping[int, Answer], body: Body | None = None) -> Operation:
    return Operation(summary, {**SITE_ERRORS, **answers}, body=body, security=SITE)


def connector_routes() -> list[BaseRoute]:
    session = f"{SESSIONS}/{{pass_id}}"
    return [
        ApiRoute(
            SESSIONS,
            connector_api.claim_endpoint,
            {
                "post": _site(
                    "Claim a pass for one site session",
                    {
                        200: json(models.Session, "Already this session's"),
                        201: json(models.Session, "Bound now"),
                        409: problem("pass-in-use"),
                        410: problem("pass-ended (closed_reason)"),
                    },
                    Body(json=models.Claim),
                )
            },
        ),
        ApiRoute(
            SESSION_BATCHES,
            session_batches.batch_endpoint,
            {
                "post": _site(
                    "Claims and ends of one site process together, each answered as its own "
                    "endpoint answers it (status and body)",
                    {200: json(models.SessionAnswers, "One answer per call, in order")},
                    Body(json=models.SessionCalls),
                )
            },
        ),
        ApiRoute(
            session,
            connector_api.state_endpoint,
            {"get": _site("The session's state", {200: json(models.SessionState, "State")})},
        ),
        ApiRoute(
            f"{session}/extend",
            connector_api.extend_endpoint,
            {
                "post": _site(
                    "Extend the session (at most the session maximum after the claim)",
                    {
                        200: json(models.Deadline, "The granted deadline"),
                        410: problem("session-ended or session-expired"),
                    },
                    Body(json=models.Extension),
                )
            },
        ),
        ApiRoute(
            f"{session}/end",
            connector_api.end_endpoint,
            {
                "post": _site(
                    "End the session (idempotent): the active-shopper slot is freed at once",
                    {200: json(models.Ended, "Ended")},
                    Body(json=models.Ending, required=False),
                )
            },
        ),
        ApiRoute(
            f"{session}/profile",
            connector_api.profile_endpoint,
            {
                "get": _site(
                    "The fan's pre-checkout profile ({} when none)",
                    {200: json(models.SiteProfile, "The profile")},
                )
            },
        ),
        ApiRoute(
            "/api/v1/connector/queues/{queue_id}/events/{event_id}/stock",
            connector_api.stock_endpoint,
            {
                "put": _site(
                    "A protected site reports one event's stock (docs/connector.md 5)",
                    {
                        200: json(models.StockAnswer, "Stored"),
                        400: problem("Malformed report (the problem names the field)"),
                        409: problem("The organizer removed this event from the queue"),
                    },
                    Body(json=StockReport),
                )
            },
        ),
        ApiRoute(
            "/api/v1/connector/queues/{queue_id}/health",
            connector_api.health_endpoint,
            {
                "put": _site(
                    "One site process's recent latency and errors per operation "
                    "(docs/connector.md 7)",
                    {
                        200: json(models.HealthAccepted, "Stored"),
                        400: problem("Malformed report (the problem names the field)"),
                    },
                    Body(json=HealthReportBody),
                )
            },
        ),
    ]


def proxy_routes() -> list[BaseRoute]:
    enter = Operation(
        "The handoff: a request carrying ?waitroom_pass=, rewritten by nginx",
        {**REFUSALS, 303: redirect("The original URL without the pass (the cookie is set)")},
        parameters=(QUEUE_HEADER, ORIGINAL_URI),
    )
    end = Operation(
        "End the session (the slot is freed at once), then go to next",
        {
            200: page("A GET from another site: asks first (a form)"),
            303: redirect("Ended (the cookie cleared): to next"),
            400: problem("Bad input (next not a path of the site, reason)"),
            503: page("The waiting room cannot reach its store (try again)"),
        },
        parameters=(
            QUEUE_HEADER,
            query("next", "A path of the site (default: the queue)"),
            query(
                "reason",
                "Why the session ends (default purchase_completed)",
                models.EndReason,
            ),
        ),
    )
    return [
        ApiRoute(
            AUTH_PATH,
            AuthEndpoint(),
            {
                "get": Operation(
                    "Asked by the reverse proxy before each request to the site",
                    {
                        **REFUSALS,
                        204: empty(
                            "Let through",
                            (
                                ("X-Waitroom-Pass-Id", str),
                                ("X-Waitroom-Buyer", str),
                                ("X-Waitroom-Deadline", int),
                            ),
                        ),
                        303: redirect(
                            "forward: the handoff (cookie set, pass dropped) or the queue page"
                        ),
                        401: empty(
                            "Refused (nginx: X-Waitroom-Reason; forward: the page or problem "
                            "body itself)",
                            (("X-Waitroom-Reason", str),),
                        ),
                    },
                    parameters=(
                        query("queue", "The site's queue", required=True),
                        query(
                            "proxy",
                            "forward: Caddy forward_auth / Traefik ForwardAuth (refusals are "
                            "the answer itself; a pass in X-Forwarded-Uri is handed off in "
                            "place)",
                            Literal["forward"],
                        ),
                        ORIGINAL_URI,
                        FORWARDED_URI,
                    ),
                )
            },
        ),
        ApiRoute(f"{PROXY_PREFIX}/enter", EnterEndpoint(), dict.fromkeys(ANY_METHOD, enter)),
        ApiRoute(f"{PROXY_PREFIX}/end", EndEndpoint(), {"get": end, "post": end}),
        ApiRoute(
            f"{PROXY_PREFIX}/denied",
            DeniedEndpoint(),
            {
                "get": Operation(
                    "What nginx shows for a refused request (error_page 401)",
                    REFUSALS,
                    parameters=(QUEUE_HEADER, ORIGINAL_URI),
                )
            },
        ),
    ]


def site_routes() -> list[BaseRoute]:
    return [*connector_routes(), *proxy_routes()]
