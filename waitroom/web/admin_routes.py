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
from waitroom.organizer import (
    autotune_settings,
    codes_api,
    content_api,
    content_pages,
    form_models,
    live_api,
    models,
    preview,
    queue_pages,
    stock_api,
)
from waitroom.organizer import pages as admin_pages
from waitroom.queue.autotune_store import AutotuneChange
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
            f"{ADMIN_API}/autotune",
            autotune_settings.get_autotune,
            {
                "get": _admin(
                    "Autotune settings, the site's health and the latest decisions",
                    {200: json(models.Autotune, "Autotune")},
                )
            },
        ),
        ApiRoute(
            f"{ADMIN_API}/autotune",
            autotune_settings.put_autotune,
            {
                "put": _admin(
                    "Turn autotune on or off, set its range and limits (partial update)",
                    {200: json(models.Autotune, "Autotune")},
                    unsafe=True,
                    body=Body(json=AutotuneChange),
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
    wrong_token = page("Wrong CSRF token")
    return [
        ApiRoute(
            "/admin",
            queue_pages.queues_page,
            {
                "get": Operation(
                    "Organizer queue list and the form to create a queue",
                    {200: page("Queues"), 303: redirect("Not logged in: to login")},
                    security=SESSION,
                )
            },
        ),
        ApiRoute(
            "/admin/queues",
            queue_pages.create_queue,
            {
                "post": Operation(
                    "Create a queue (opens at once or at a local date and time)",
                    {
                        303: redirect("Created: to its dashboard (or to login)"),
                        400: problem_or_page("Not created (reason shown)"),
                        403: wrong_token,
                        503: page("Unavailable"),
                    },
                    body=Body(form=form_models.QueueCreationForm),
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
            "/admin/preview",
            preview.preview_get,
            {
                "get": Operation(
                    "The fan page of a queue (or a sample) as a preview, for the iframe",
                    {200: page("Preview"), 303: to_login},
                    query=models.PreviewQuery,
                    security=SESSION,
                )
            },
        ),
        ApiRoute(
            "/admin/preview",
            preview.preview_post,
            {
                "post": Operation(
                    "The fan page with the form's draft (name, opening, content); stores nothing",
                    {
                        200: page("Preview (a draft that is not valid yet says why)"),
                        303: to_login,
                        400: problem_or_page("The form could not be read"),
                        403: wrong_token,
                    },
                    body=Body(form=form_models.PreviewForm),
                    security=SESSION,
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
                    "Dashboard form (settings, opening, pause/resume/close, autotune, codes); "
                    "close, rate 0 and opening early answer a confirmation page first",
                    {
                        200: page("Confirm first (close, rate 0, opening early)"),
                        303: redirect("Saved: back to the dashboard (or to login)"),
                        400: problem_or_page(
                            "Not saved (reason shown), or the form could not be read"
                        ),
                        403: wrong_token,
                        404: page("No such queue or code"),
                        503: page("Unavailable"),
                    },
                    body=Body(form=form_models.DashboardForm),
                    security=SESSION,
                ),
            },
        ),
        ApiRoute(
            "/admin/queues/{queue_id}/content",
            content_pages.content_page,
            {
                "get": Operation(
                    "Fan page content editor (surveys, quizzes, upsell cards)",
                    {
                        200: page("Editor with a live preview"),
                        303: to_login,
                        404: page("No such queue"),
                        503: page("Unavailable"),
                    },
                    security=SESSION,
                ),
                "post": Operation(
                    "Save and publish the content",
                    {
                        303: redirect("Saved: back to the editor (or to login)"),
                        400: problem_or_page("Not saved (what to fix is shown)"),
                        403: wrong_token,
                        404: page("No such queue"),
                        503: page("Unavailable"),
                    },
                    body=Body(form=form_models.ContentForm),
                    security=SESSION,
                ),
            },
        ),
    ]


def organizer_routes() -> list[BaseRoute]:
    return [*admin_api_routes(), *content_routes(), *admin_page_routes()]
