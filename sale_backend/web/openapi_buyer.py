"""OpenAPI paths of the shop's buyer side (behind the gate): pages and the JSON API."""

from __future__ import annotations

from typing import Any

from sale_backend.web import openapi_schemas as schemas
from service_kit.openapi import (
    ID_PATTERN,
    STRING,
    form_body,
    header_parameter,
    html,
    json_answer,
    json_body,
    obj,
    path_parameter,
    problem,
    query_parameter,
    redirect,
)

EVENT_ID = path_parameter("event_id", ID_PATTERN)
PASS: list[dict[str, list[str]]] = [{"pass": [], "visitor": []}]
"""The waiting room's pass (bearer, or the ``wr_pass_<queue>`` cookie) and the visitor cookie
it is bound to; the gate also keeps one session per pass (cookie ``wr_sess_<queue>``)."""
GATE_ERRORS = {
    "401": problem("No valid pass (join the waiting room)"),
    "403": problem(
        "Pass of another visitor, or in use in another session; or (no bearer) a request "
        "that the browser marks as sent from another site or origin"
    ),
    "503": problem("The sale store or the pass check is unavailable"),
}
PAGE_ERRORS = {
    "303": redirect("No valid pass: to the waiting room (or on after a form)"),
    "400": html("Bad input (friendly page)"),
    "404": html("Not found (friendly page)"),
    "409": html("Conflict: sold out, seat taken, limit reached, ... (friendly page)"),
    "503": html("Unavailable (friendly page)"),
}


def id_parameter(name: str) -> dict[str, Any]:
    return path_parameter(name, max_length=100)


def _buyer(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "security": PASS,
        "responses": {
            "400": problem("Malformed input"),
            "404": problem("No such event (of this shop's queue), hold or order"),
            **GATE_ERRORS,
            **responses,
        },
        **extra,
    }


def _page(summary: str, parameters: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    responses = {"200": html(summary), **PAGE_ERRORS}
    if "requestBody" in extra:
        responses.pop("200")
        responses["403"] = html(
            "CSRF token (csrf_token) missing or not this browser's, or a form sent from another "
            "site or origin: nothing changed (friendly page; problem JSON for JSON clients)"
        )
    return {
        "summary": summary,
        "parameters": parameters,
        "security": PASS,
        "responses": responses,
        **extra,
    }


def page_paths() -> dict[str, Any]:
    """Every form carries ``csrf_token``, the page's token of the ``shop_csrf`` cookie."""
    form = obj({"csrf_token": STRING}, ("csrf_token",))
    form["additionalProperties"] = STRING
    return {
        "/": {"get": _page("Events on sale", [])},
        "/events/{event_id}": {"get": _page("Tiers and seat map", [EVENT_ID])},
        "/events/{event_id}/hold": {
            "post": _page(
                "Hold tickets (fields qty_<tier_id>, seat)", [EVENT_ID], requestBody=form_body(form)
            )
        },
        "/holds/{hold_id}": {
            "get": _page("Cart with timer and checkout form", [id_parameter("hold_id")])
        },
        "/holds/{hold_id}/cancel": {
            "post": _page(
                "Cancel the hold", [id_parameter("hold_id")], requestBody=form_body(form)
            )
        },
        "/holds/{hold_id}/checkout": {
            "post": _page(
                "Pay (card_number, name, email, idempotency_key)",
                [id_parameter("hold_id")],
                requestBody=form_body(form),
            )
        },
        "/orders/{order_id}": {"get": _page("E-tickets with QR codes", [id_parameter("order_id")])},
        "/orders/{order_id}/refund": {
            "get": _page(
                "Refund confirmation: what ?ticket_id= (none: the whole order) would refund",
                [
                    id_parameter("order_id"),
                    query_parameter("ticket_id", STRING, "a ticket of the order (repeatable)"),
                ],
            ),
            "post": _page(
                "Refund tickets (fields ticket_id, confirm=yes; without confirm: the "
                "confirmation page)",
                [id_parameter("order_id")],
                requestBody=form_body(form, False),
            ),
        },
    }


def buyer_paths() -> dict[str, Any]:
    api = "/api/v1"
    return {
        f"{api}/events": {
            "get": _buyer(
                "Events of this shop's queue",
                {
                    "200": json_answer(
                        "Events", obj({"events": schemas.array(schemas.EVENT_VIEW)}, ("events",))
                    )
                },
            )
        },
        f"{api}/events/{{event_id}}": {
            "get": _buyer(
                "An event with live stock",
                {"200": json_answer("Event", schemas.EVENT_VIEW)},
                parameters=[EVENT_ID],
            )
        },
        f"{api}/events/{{event_id}}/seats": {
            "get": _buyer(
                "Seat states",
                {
                    "200": json_answer(
                        "Seats",
                        obj(
                            {
                                "event_id": STRING,
                                "seats": {
                                    "type": "object",
                                    "additionalProperties": {"enum": ["free", "held", "sold"]},
                                },
                            },
                            ("event_id", "seats"),
                        ),
                    )
                },
                parameters=[EVENT_ID],
            )
        },
        f"{api}/events/{{event_id}}/profile": {
            "get": _buyer(
                "The buyer's pre-checkout profile from the waiting room",
                {
                    "200": json_answer(
                        "Profile (empty when none)",
                        obj(
                            {
                                "profile": obj(
                                    {
                                        "name": STRING,
                                        "email": STRING,
                                        "tier_id": STRING,
                                        "quantity": STRING,
                                    }
                                )
                            },
                            ("profile",),
                        ),
                    )
                },
                parameters=[EVENT_ID],
            )
        },
        f"{api}/holds": {
            "post": _buyer(
                "Hold tickets or seats (the cart timer starts)",
                {
                    "201": json_answer("Hold", schemas.HOLD),
                    "409": problem("Sold out, seat taken, buyer limit, or sale not open"),
                },
                requestBody=json_body(schemas.HOLD_REQUEST),
            )
        },
        f"{api}/holds/{{hold_id}}": {
            "get": _buyer(
                "A hold of this buyer",
                {"200": json_answer("Hold", schemas.HOLD)},
                parameters=[id_parameter("hold_id")],
            ),
            "delete": _buyer(
                "Cancel a hold (tickets back to stock)",
                {
                    "204": {"description": "Cancelled"},
                    "409": problem("The hold is being paid"),
                },
                parameters=[id_parameter("hold_id")],
            ),
        },
        f"{api}/checkout": {
            "post": _buyer(
                "Pay a hold (or express: a selection) into an order",
                {
                    "201": json_answer(
                        "Order (replays send Idempotent-Replayed: true)", schemas.ORDER
                    ),
                    "402": problem("Payment declined"),
                    "409": problem("Sold out, seat taken, limit, hold expired, key busy, ..."),
                    "422": problem("Idempotency-Key reused with another body"),
                    "428": problem("Idempotency-Key missing"),
                    "503": problem(
                        "Payment status unknown (settled later), store or pass check unavailable"
                    ),
                    "504": problem("Payment provider timed out (nothing charged)"),
                },
                parameters=[
                    header_parameter(
                        "Idempotency-Key",
                        "1-255 visible ASCII characters, unique per attempt",
                        required=True,
                        schema={"type": "string", "pattern": "^[!-~]{1,255}$"},
                    )
                ],
                requestBody=json_body(schemas.CHECKOUT_REQUEST),
            )
        },
        f"{api}/orders/{{order_id}}": {
            "get": _buyer(
                "An order of this buyer, live ticket states",
                {"200": json_answer("Order", schemas.ORDER)},
                parameters=[id_parameter("order_id")],
            )
        },
        f"{api}/orders/{{order_id}}/refund": {
            "post": _buyer(
                "Refund tickets (none listed: every valid ticket)",
                {
                    "200": json_answer("Refund", schemas.REFUND),
                    "409": problem("Ticket cannot be refunded"),
                },
                parameters=[id_parameter("order_id")],
                requestBody=json_body(schemas.REFUND_REQUEST, required=False),
            )
        },
    }
