"""OpenAPI paths of the door scanner pages (outside the fan gate, staff session cookie)."""

from __future__ import annotations

from typing import Any

from waitroom.openapi_common import STRING, form_body, html, obj, redirect

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
                "summary": "Door scanner (no staff session: the login form)",
                "security": STAFF_SESSION,
                "responses": {"200": html("Scanner, or the login form")},
            },
            "post": {
                "summary": "Scan one ticket code and show ADMIT or REJECTED",
                "security": STAFF_SESSION,
                "requestBody": form_body(
                    obj(
                        {"code": STRING, "csrf_token": STRING, "history": STRING},
                        ("code", "csrf_token"),
                    )
                ),
                "responses": {
                    "200": html("ADMIT"),
                    "401": html("No staff session: the login form"),
                    "409": html("REJECTED: already scanned, refunded or not a ticket of this shop"),
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
                    obj({"token": STRING, "csrf_token": STRING}, ("token", "csrf_token"))
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
        "/staff/logout": {
            "post": {
                "summary": "Log out (CSRF-checked)",
                "security": STAFF_SESSION,
                "requestBody": form_body(obj({"csrf_token": STRING}, ("csrf_token",))),
                "responses": {"303": redirect("To /staff/scan"), **FORM_ERRORS},
            }
        },
    }
