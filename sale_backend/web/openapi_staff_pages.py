"""OpenAPI paths of the door scanner pages (outside the fan gate, staff session cookie)."""

from __future__ import annotations

from typing import Any

from service_kit.openapi import STRING, form_body, html, obj, query_parameter, redirect

STAFF_SESSION: list[dict[str, list[str]]] = [{"staff_session": []}]
FORM_ERRORS = {
    "400": html("The form could not be read, or no usable code (friendly page)"),
    "403": html(
        "Form expired or forged: the shop's CSRF token missing or not this browser's, or sent "
        "from another site or origin (friendly page)"
    ),
    "503": html("The sale store is unavailable (friendly page)"),
}


def staff_page_paths() -> dict[str, Any]:
    return {
        "/staff/scan": {
            "get": {
                "summary": "Door scanner of ?event= (no staff session: the login form)",
                "security": STAFF_SESSION,
                "parameters": [
                    query_parameter(
                        "event", STRING, "the door's event (none: the only one, or a choice)"
                    )
                ],
                "responses": {
                    "200": html("Scanner, the list of events to choose from, or the login form"),
                    "404": html("No such event: the list of events"),
                },
            },
            "post": {
                "summary": "Scan one ticket code and show ADMIT or REJECTED",
                "security": STAFF_SESSION,
                "requestBody": form_body(
                    obj(
                        {
                            "code": STRING,
                            "event_id": STRING,
                            "csrf_token": STRING,
                            "history": STRING,
                            "time_zone": STRING,
                        },
                        ("code", "event_id", "csrf_token"),
                    )
                ),
                "responses": {
                    "200": html("ADMIT"),
                    "401": html("No staff session: the login form"),
                    "409": html("REJECTED: used before, refunded or not a ticket of this event"),
                    "422": html("REJECTED: a short code with a mistyped character"),
                    **FORM_ERRORS,
                },
            },
        },
        "/staff/login": {
            "get": {
                "summary": "Login form (with a session: on to the scanner)",
                "responses": {"200": html("Form"), "303": redirect("To /staff/scan")},
            },
            "post": {
                "summary": "Log in with the staff token (the shop's CSRF token)",
                "requestBody": form_body(
                    obj(
                        {"token": STRING, "door": STRING, "csrf_token": STRING},
                        ("token", "csrf_token"),
                    )
                ),
                "responses": {
                    "303": redirect("Logged in: to /staff/scan"),
                    "400": html("The form could not be read"),
                    "401": html("Token not accepted"),
                    "403": html("Form expired or forged"),
                    "429": html("Too many failed logins"),
                },
            },
        },
        "/staff/scanner-sw.js": {
            "get": {
                "summary": "The scanner page's service worker (the page loads offline)",
                "responses": {
                    "200": {
                        "description": "JavaScript",
                        "content": {"text/javascript": {"schema": STRING}},
                    }
                },
            }
        },
        "/staff/logout": {
            "post": {
                "summary": "Log out (CSRF-checked)",
                "security": STAFF_SESSION,
                "requestBody": form_body(obj({"csrf_token": STRING}, ("csrf_token",))),
                "responses": {"303": redirect("To /staff/scan"), **FORM_ERRORS},
            }
        },
    }
