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
                "summary": "Organizer queue list (one queue: straight to its dashboard)",
                "security": [{"admin_session": []}],
                "responses": {"200": html("Queues"), "303": redirect("To login or dashboard")},
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
                "summary": "Dashboard form (settings, pause/resume/close, codes)",
                "parameters": [QUEUE_ID],
                "security": [{"admin_session": []}],
                "requestBody": form_body(
                    obj(
                        {
                            "csrf_token": STRING,
                            "action": {
                                "enum": [
                                    "settings",
                                    "pause",
                                    "resume",
                                    "close",
                                    "code_create",
                                    "code_revoke",
                                ]
                            },
                        },
                        ("csrf_token", "action"),
                    )
                ),
                "responses": {
                    "200": html("Saved"),
                    "303": to_login,
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
