"""The organizers' routes with what each takes and answers: the JSON API (bearer admin token
or the dashboard's session), the fan page content, and the dashboard pages. The OpenAPI
document is generated from these."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.routing import BaseRoute

from service_kit.openapi import (
    BEARER,
    Answer,
    ApiRoute,
    Body,
    Operation,
    header,
    json,
    page,
    problem,
    problem_or_page,
    redirect,
)
from waitroom.admission import QueueSettings
from waitroom.fan.profile import ProfileFormDocument
from waitroom.fan.survey_definitions import SurveysDocument
from waitroom.fan.upsell_definitions import UpsellsDocument
from waitroom.organizer import api as admin_api
from waitroom.organizer import codes_api, content_api, live_api, models, stock_api
from waitroom.organizer import pages as admin_pages
from waitroom.queue.codes import CodeRequest

ADMIN_API = "/api/v1/admin/queues/{queue_id}"
ADMIN = (*BEARER, {"admin_session": ()})
"""The admin bearer token, or the dashboard's session cookie (plus X-CSRF-Token to change)."""
SESSION = ({"admin_session": ()},)
CSRF = header("X-CSRF-Token", "the session's CSRF token (session cookie callers)")
ADMIN_ERRORS = {
    400: problem("Malformed input"),
    401: problem("Admin token or session required"),
    403: problem("Missing or wrong CSRF token (session callers)"),
    404: problem("No such queue"),
    429: problem("Too many failed admin tokens from this address"),
    503: problem("Store unreachable"),
}


def _admin(
    summary: str,
    answers: Mapping[int, Answer],
    *,
    unsafe: bool = False,
    body: Body | None = None,
    query: Any = None,
) -> Operation:
    return Operation(
        summary,
        {**ADMIN_ERRORS, **answers},
        body=body,
        parameters=(CSRF,) if unsafe else (),
        query=query,
        security=ADMIN,
    )


def _content(
    what: str, model: Any, answer: Any, get_endpoint: Any, put_endpoint: Any, path: str
) -> list[BaseRoute]:
    return [
        ApiRoute(
            path,
            put_endpoint,
            {
                "put": _admin(
                    f"Replace the {what} (validated)",
                    {200: json(model, f"The stored {what}")},
                    unsafe=True,
                    body=Body(json=model),
                )
            },
        ),
        ApiRoute(
            path,
            get_endpoint,
            {"get": _admin(f"The {what}", {200: json(answer, what.capitalize())})},
        ),
    ]


def admin_api_routes() -> list[BaseRoute]:
    code = json(models.Code, "The code")
    return [
        ApiRoute(
            "/api/v1/admin/queues",
            admin_api.list_queues,
            {
                "get": Operation(
                    "Known queue ids",
                    {
                        200: json(models.QueueIds, "Queue ids"),
                        401: problem("Admin token required"),
                        429: problem("Too many failed admin tokens"),
                        503: problem("Store unreachable"),
                    },
                    security=ADMIN,
                )
            },
        ),
        ApiRoute(
            ADMIN_API,
            admin_api.put_queue,
            {
                "put": _admin(
                    "Create or update a queue",
                    {
                        200: json(models.QueueDocument, "Updated"),
                        201: json(models.QueueDocument, "Created"),
                    },
                    unsafe=True,
                    body=Body(json=QueueSettings),
                )
            },
        ),
        ApiRoute(
            ADMIN_API,
            admin_api.get_queue,
            {
                "get": _admin(
                    "Queue config, live figures and protection figures",
                    {200: json(models.QueueDocument, "Queue")},
                )
            },
        ),
        ApiRoute(
            f"{ADMIN_API}/live",
            live_api.live_endpoint,
            {
                "get": _admin(
                    "Every figure of the dashboard in one answer",
                    {200: json(models.LiveFigures, "Live figures")},
                )
            },
        ),
        ApiRoute(
            f"{ADMIN_API}/audit",
            admin_api.get_audit,
            {
                "get": _admin(
                    "The audit log, newest first",
                    {200: json(models.AuditLog, "Entries")},
                    query=models.AuditQuery,
                )
            },
        ),
        ApiRoute(
            f"{ADMIN_API}/codes",
            codes_api.create_code,
            {
                "post": _admin(
                    "Create a priority or bypass code (plain code shown once)",
                    {
                        201: json(models.Code, "Created"),
                        409: problem("Code already exists, or too many codes"),
                    },
                    unsafe=True,
                    body=Body(json=CodeRequest),
                )
            },
        ),
        ApiRoute(
            f"{ADMIN_API}/codes",
            codes_api.list_codes,
            {
                "get": _admin(
                    "The queue's codes (never the plain codes)",
                    {200: json(models.Codes, "Codes")},
                )
            },
        ),
        ApiRoute(
            f"{ADMIN_API}/codes/{{code_id}}",
            codes_api.revoke_code,
            {
                "delete": _admin(
                    "Revoke a code",
                    {200: code, 404: problem("No such queue or code")},
                    unsafe=True,
                )
            },
        ),
        ApiRoute(
            f"{ADMIN_API}/events/{{event_id}}",
            stock_api.remove_event,
            {
                "delete": _admin(
                    "Remove an event from the queue (its later reports are refused)",
                    {200: json(models.EventRemoved, "Removed")},
                    unsafe=True,
                )
            },
        ),
        ApiRoute(
            f"{ADMIN_API}/events/{{event_id}}/restore",
            stock_api.restore_event,
            {
                "post": _admin(
                    "Accept a removed event's reports again",
                    {200: json(models.EventRestored, "Restored (false: it was not removed)")},
                    unsafe=True,
                )
            },
        ),
    ]


def content_routes() -> list[BaseRoute]:
    return [
        *_content(
            "surveys and quizzes",
            SurveysDocument,
            SurveysDocument,
            content_api.get_surveys,
            content_api.put_surveys,
            f"{ADMIN_API}/surveys",
        ),
        ApiRoute(
            f"{ADMIN_API}/survey-results",
            content_api.get_survey_results,
            {
                "get": _admin(
                    "Aggregated survey answers", {200: json(models.SurveyResults, "Results")}
                )
            },
        ),
        *_content(
            "upsell cards (with click counts)",
            UpsellsDocument,
            models.UpsellCards,
            content_api.get_upsells,
            content_api.put_upsells,
            f"{ADMIN_API}/upsells",
        ),
        *_content(
            "profile form settings",
            ProfileFormDocument,
            ProfileFormDocument,
            content_api.get_profile_form,
            content_api.put_profile_form,
            f"{ADMIN_API}/profile-form",
        ),
    ]


def admin_page_routes() -> list[BaseRoute]:
    to_login = redirect("No session: to /admin/login")
    return [
        ApiRoute(
            "/admin",
            admin_pages.queues_page,
            {
                "get": Operation(
                    "Organizer queue list (one queue: straight to its dashboard)",
                    {200: page("Queues"), 303: redirect("To login or dashboard")},
                    security=SESSION,
                )
            },
        ),
        ApiRoute(
            "/admin/login",
            admin_pages.login,
            {
                "get": Operation("Login form", {200: page("Form")}),
                "post": Operation(
                    "Log in with the admin token (double-submit CSRF token)",
                    {
                        303: redirect("Logged in: to /admin"),
                        400: problem("The form could not be read"),
                        401: page("Token not accepted"),
                        403: page("Form expired or forged"),
                        429: page("Too many failed logins"),
                    },
                    body=Body(form=models.LoginForm),
                ),
            },
        ),
        ApiRoute(
            "/admin/logout",
            admin_pages.logout,
            {
                "post": Operation(
                    "Log out",
                    {
                        303: redirect("To /admin/login"),
                        400: problem("The form could not be read"),
                    },
                    body=Body(form=models.LogoutForm, required=False),
                )
            },
        ),
        ApiRoute(
            "/admin/queues/{queue_id}",
            admin_pages.dashboard_page,
            {
                "get": Operation(
                    "Live dashboard of a queue",
                    {
                        200: page("Dashboard"),
                        303: to_login,
                        404: page("No such queue"),
                        503: page("Unavailable"),
                    },
                    security=SESSION,
                ),
                "post": Operation(
                    "Dashboard form (settings, pause/resume/close, codes)",
                    {
                        200: page("Saved"),
                        303: to_login,
                        400: problem_or_page(
                            "Not saved (reason shown), or the form could not be read"
                        ),
                        403: page("Wrong CSRF token"),
                        404: page("No such queue or code"),
                        503: page("Unavailable"),
                    },
                    body=Body(form=models.DashboardForm),
                    security=SESSION,
                ),
            },
        ),
    ]


def organizer_routes() -> list[BaseRoute]:
    return [*admin_api_routes(), *content_routes(), *admin_page_routes()]

