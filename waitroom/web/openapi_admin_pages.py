"""OpenAPI paths of the organizer pages (session cookie, forms) and of operations."""

from __future__ import annotations

from typing import Any

from service_kit.openapi import (
    STRING,
    form_body,
    health_paths,
    html,
    metrics_path,
    obj,
    problem,
    problem_or_page,
    redirect,
)
from waitroom.web.openapi_fan import QUEUE_ID


def admin_page_paths() -> dict[str, Any]:
    to_login = redirect("No session: to /admin/login")
    return {
        "/admin": {
            "get": {
                "summary": "Organizer queue list and the form to create a queue",
                "security": [{"admin_session": []}],
                "responses": {"200": html("Queues"), "303": redirect("Not logged in: to login")},
            }
        },
        "/admin/login": {
            "get": {"summary": "Login form", "responses": {"200": html("Form")}},
            "post": {
                "summary": "Log in with the admin token (double-submit CSRF token)",
                "requestBody": form_body(
                    obj(
                        {"token": STRING, "name": STRING, "csrf_token": STRING},
                        ("token", "csrf_token"),
                    )
                ),
                "responses": {
                    "303": redirect("Logged in: to /admin"),
                    "400": problem("The form could not be read"),
                    "401": html("Token not accepted"),
                    "403": html("Form expired or forged"),
                    "429": html("Too many failed logins"),
                },
            },
        },
        "/admin/logout": {
            "post": {
                "summary": "Log out",
                "requestBody": form_body(obj({"csrf_token": STRING}), required=False),
                "responses": {
                    "303": redirect("To /admin/login"),
                    "400": problem("The form could not be read"),
                },
            }
        },
        "/admin/queues": {
            "post": {
                "summary": "Create a queue (opens at once or at a local date and time)",
                "security": [{"admin_session": []}],
                "requestBody": form_body(
                    obj(
                        {
                            "csrf_token": STRING,
                            "queue_id": STRING,
                            "name": STRING,
                            "rate_per_minute": STRING,
                            "active_shopper_cap": STRING,
                            "redirect_url": STRING,
                            "start": {"enum": ["now", "schedule"]},
                            "opens_at_local": STRING,
                            "time_zone": STRING,
                        },
                        ("csrf_token", "queue_id"),
                    )
                ),
                "responses": {
                    "303": redirect("Created: to its dashboard (or to login)"),
                    "400": problem_or_page("Not created (reason shown)"),
                    "403": html("Wrong CSRF token"),
                    "503": html("Unavailable"),
                },
            }
        },
        "/admin/preview": {
            "get": {
                "summary": "The fan page of a queue (or a sample) as a preview, for the iframe",
                "security": [{"admin_session": []}],
                "parameters": [
                    {
                        "name": "queue_id",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "maxLength": 64},
                    }
                ],
                "responses": {"200": html("Preview"), "303": to_login},
            },
            "post": {
                "summary": "The fan page with the form's draft (name, opening, content); stores "
                "nothing",
                "security": [{"admin_session": []}],
                "requestBody": form_body(obj({"csrf_token": STRING}, ("csrf_token",))),
                "responses": {
                    "200": html("Preview (a draft that is not valid yet says why)"),
                    "303": to_login,
                    "400": problem_or_page("The form could not be read"),
                    "403": html("Wrong CSRF token"),
                },
            },
        },
        "/admin/queues/{queue_id}/content": {
            "get": {
                "summary": "Fan page content editor (surveys, quizzes, upsell cards)",
                "parameters": [QUEUE_ID],
                "security": [{"admin_session": []}],
                "responses": {
                    "200": html("Editor with a live preview"),
                    "303": to_login,
                    "404": html("No such queue"),
                    "503": html("Unavailable"),
                },
            },
            "post": {
                "summary": "Save and publish the content",
                "parameters": [QUEUE_ID],
                "security": [{"admin_session": []}],
                "requestBody": form_body(obj({"csrf_token": STRING}, ("csrf_token",))),
                "responses": {
                    "303": redirect("Saved: back to the editor (or to login)"),
                    "400": problem_or_page("Not saved (what to fix is shown)"),
                    "403": html("Wrong CSRF token"),
                    "404": html("No such queue"),
                    "503": html("Unavailable"),
                },
            },
        },
        "/admin/queues/{queue_id}": {
            "get": {
                "summary": "Live dashboard of a queue",
                "parameters": [QUEUE_ID],
                "security": [{"admin_session": []}],
                "responses": {
                    "200": html("Dashboard"),
                    "303": to_login,
                    "404": html("No such queue"),
                    "503": html("Unavailable"),
                },
            },
            "post": {
                "summary": "Dashboard form (settings, opening, pause/resume/close, autotune, "
                "codes); close, rate 0 and opening early answer a confirmation page first",
                "parameters": [QUEUE_ID],
                "security": [{"admin_session": []}],
                "requestBody": form_body(
                    obj(
                        {
                            "csrf_token": STRING,
                            "action": {
                                "enum": [
                                    "settings",
                                    "schedule",
                                    "open_now",
                                    "pause",
                                    "resume",
                                    "close",
                                    "autotune",
                                    "code_create",
                                    "code_revoke",
                                ]
                            },
                            "confirm": {"enum": ["yes"]},
                        },
                        ("csrf_token", "action"),
                    )
                ),
                "responses": {
                    "200": html("Confirm first (close, rate 0, opening early)"),
                    "303": redirect("Saved: back to the dashboard (or to login)"),
                    "400": problem_or_page(
                        "Not saved (reason shown), or the form could not be read"
                    ),
                    "403": html("Wrong CSRF token"),
                    "404": html("No such queue or code"),
                    "503": html("Unavailable"),
                },
            },
        },
    }


def operations_paths() -> dict[str, Any]:
    return {
        **health_paths("Redis"),
        **metrics_path(),
    }
