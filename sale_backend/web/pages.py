"""The shop's HTML pages: event and seat map, cart with timer and checkout, order with QR codes.

Forms post back to the shop; every page but the order (reached by its order link) is behind the
connector, and every page shows the shopping time left (the base template). Every form carries
the browser's CSRF token (:mod:`sale_backend.web.csrf`), checked by :func:`protected_form` before
anything changes. Domain errors become a friendly page (HTML) or a problem body (API paths and
JSON clients) in :func:`error_handler`.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import orjson
from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from sale_backend.domain.checkout import parse_checkout
from sale_backend.domain.holds import HoldRequest, cancel_hold, create_hold, load_hold
from sale_backend.domain.order_links import ACCESS_PARAMETER
from sale_backend.domain.orders import load_order, public_order
from sale_backend.domain.tickets import qr_svg
from sale_backend.errors import TicketNotRefundable
from sale_backend.settings import ShopSettings
from sale_backend.storage.keys import event_of
from sale_backend.web.csrf import CSRF_FIELD, page_form_token, require_form_token, set_form_cookie
from sale_backend.web.error_text import PageError, error_text
from sale_backend.web.language import (
    language_links,
    remember_language,
    shop_language,
)
from sale_backend.web.runtime import buyer_of, session_of, shop_runtime
from sale_backend.web.views import event_view
from service_kit.errors import InvalidInput, ServiceError, Unavailable
from service_kit.models import to_builtins
from service_kit.problem_responses import error_response
from service_kit.problems import error_status

MAX_FORM_FIELDS = 200


def base_path(request: Request) -> str:
    return str(request.scope.get("root_path", ""))


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A shop page in the fan's language; its forms get the browser's CSRF token as
    ``csrf_token``; an ``error`` in the context is shown in the fan's language."""
    environment: Environment = request.app.state.templates
    csrf_token, new_cookie = page_form_token(request)
    session = request.scope.get("state", {}).get("waitroom_session")
    language = shop_language(request)
    if isinstance(context.get("error"), PageError):
        context["error"] = error_text(context["error"], language.code, language.translate)
    html = environment.get_template(template).render(
        base=base_path(request),
        csrf_token=csrf_token,
        session=session,
        now=time.time(),
        _=language.translate,
        ngettext=language.plural,
        lang=language.html_tag,
        language_code=language.code,
        languages=language_links(request, language.code),
        **context,
    )
    response = HTMLResponse(html, status_code=status_code, headers={"cache-control": "no-store"})
    if new_cookie is not None:
        set_form_cookie(request, response, new_cookie)
    remember_language(request, response, language)
    return response


def _is_api(request: Request) -> bool:
    """API paths, and JSON clients (``Accept`` JSON and not HTML) on any path."""
    relative = request.url.path[len(base_path(request)) :]
    if relative.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


async def error_handler(request: Request, exc: Exception) -> Response:
    """The shop's one answer to an error: a problem body (API paths, JSON clients) or a page."""
    assert isinstance(exc, ServiceError)
    if _is_api(request):
        return error_response(exc)
    page = PageError.of(exc)
    return render(request, "error.html", page.status, error=page)


async def unavailable_handler(request: Request, exc: Exception) -> Response:
    """The sale store is unreachable (a Redis or socket error met by any handler)."""
    settings: ShopSettings = request.app.state.settings
    error = Unavailable(
        "the sale store is unavailable, please retry in a moment",
        retry_after_seconds=settings.redis_retry_after_seconds,
    )
    if _is_api(request):
        return error_response(error)
    status = error_status(error)
    failure = PageError(status, "Please retry", error.detail, error.type_slug)
    page = render(request, "error.html", status, error=failure)
    page.headers["retry-after"] = str(settings.redis_retry_after_seconds)
    return page


async def read_form(request: Request) -> dict[str, list[str]]:
    try:
        form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    except Exception:
        raise InvalidInput("the form could not be read") from None
    values: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            values.setdefault(key, []).append(value)
    return values


async def protected_form(request: Request) -> dict[str, list[str]]:
    """The posted form, once its CSRF token is found to be this browser's; raises
    :class:`~sale_backend.errors.FormTokenInvalid` (403) before anything changes."""
    form = await read_form(request)
    presented = form.get(CSRF_FIELD)
    require_form_token(request, presented[0] if presented else None)
    return form


async def index(request: Request) -> Response:
    runtime = shop_runtime(request)
    language = shop_language(request).code
    return render(request, "index.html", events=await runtime.event_views(language))


async def event_page(request: Request, error: PageError | None = None) -> Response:
    runtime = shop_runtime(request)
    event = await runtime.event(request.path_params["event_id"])
    language = shop_language(request).code
    view = event_view(event, await runtime.store.stock(event.event_id), language=language)
    seats = await runtime.store.seat_states(event.event_id)
    profile = await runtime.profile(session_of(request))
    return render(
        request,
        "event.html",
        error.status if error else 200,
        event=view,
        seats=seats,
        profile=profile,
        error=error,
    )


async def hold_form(request: Request) -> Response:
    form = await protected_form(request)
    runtime = shop_runtime(request)
    event = await runtime.event(request.path_params["event_id"])
    quantities: dict[str, int] = {}
    for tier in event.tiers:
        raw = (form.get(f"qty_{tier.tier_id}") or ["0"])[0].strip() or "0"
        if not raw.isdigit() or int(raw) > 100:
            raise InvalidInput("quantities must be whole numbers", field="quantity")
        if int(raw):
            quantities[tier.tier_id] = int(raw)
    seats = tuple(dict.fromkeys(form.get("seat", [])))
    try:
        hold = await create_hold(
            runtime.store,
            event,
            buyer_of(request),
            HoldRequest(event.event_id, quantities, seats),
            runtime.settings.hold_ttl_seconds,
            time.time(),
        )
    except ServiceError as error:
        return await event_page(request, PageError.of(error))
    runtime.reporter.changed(event)
    await runtime.cart_held(session_of(request), hold)
    return RedirectResponse(f"{base_path(request)}/holds/{hold.hold_id}", status_code=303)


async def hold_page(
    request: Request, error: PageError | None = None, entered: dict[str, str] | None = None
) -> Response:
    """The cart; after a refused checkout, with the name and e-mail the fan typed (``entered``)."""
    runtime = shop_runtime(request)
    buyer = buyer_of(request)
    hold = await load_hold(runtime.store, request.path_params["hold_id"], buyer)
    event = await runtime.event(hold.event_id)
    now_ms = int(time.time() * 1000)
    language = shop_language(request)
    places = {
        line.seat_id: place.words(language.code, language.translate)
        for line in hold.data.lines
        if line.seat_id and (place := event.seat_place(line.seat_id))
    }
    return render(
        request,
        "hold.html",
        error.status if error else 200,
        event=event_view(event, {}, language=language.code),
        tier_names={tier.tier_id: tier.name.text(language.code) for tier in event.tiers},
        places=places,
        hold=hold.view(now_ms),
        profile=entered or await runtime.profile(session_of(request)),
        idempotency_key=secrets.token_urlsafe(16),
        error=error,
    )


async def cancel_form(request: Request) -> Response:
    await protected_form(request)
    runtime = shop_runtime(request)
    hold_id = request.path_params["hold_id"]
    event = await runtime.event(event_of(hold_id, "hold"))
    await cancel_hold(runtime.store, hold_id, buyer_of(request))
    runtime.reporter.changed(event)
    return RedirectResponse(f"{base_path(request)}/events/{event.event_id}", status_code=303)


async def checkout_form(request: Request) -> Response:
    form = await protected_form(request)
    runtime = shop_runtime(request)
    buyer = buyer_of(request)
    body = {
        "hold_id": request.path_params["hold_id"],
        "card_number": (form.get("card_number") or [""])[0],
        "name": (form.get("name") or [""])[0],
        "email": (form.get("email") or [""])[0],
    }
    key = (form.get("idempotency_key") or [""])[0]
    entered = {"name": body["name"], "email": body["email"]}
    try:
        # the tickets e-mail is written in the language the fan shops in
        checkout_request = parse_checkout(body, shop_language(request).code)
        event = await runtime.event(checkout_request.event_id)
        if not key:
            raise InvalidInput("the form is missing its idempotency key; reload the page")
        started = time.perf_counter()
        answer = await runtime.checkout.checkout(event, buyer, key, checkout_request, body)
        runtime.record_checkout(event, answer, time.perf_counter() - started)
    except ServiceError as error:
        return await hold_page(request, PageError.of(error), entered)
    if answer.created:
        order = orjson.loads(answer.body)
        if not answer.replayed:
            await runtime.purchase_completed(session_of(request))
        location = (
            f"{base_path(request)}/orders/{order['order_id']}"
            f"?{ACCESS_PARAMETER}={order['access_key']}"
        )
        return RedirectResponse(location, status_code=303)
    problem = orjson.loads(answer.body)
    failure = PageError(
        answer.status,
        str(problem["title"]),
        str(problem["detail"]),
        str(problem["type"]).rsplit("/", 1)[-1],
        str(problem.get("field", "")),
    )
    try:
        return await hold_page(request, failure, entered)
    except ServiceError:
        return render(request, "error.html", answer.status, error=failure)


async def _order_view(request: Request, access_key: str | None) -> dict[str, Any]:
    """The buyer's order (reached by its order link: the access key) with each ticket's place in
    the order, seat in words and the accessible name of its QR code."""
    runtime = shop_runtime(request)
    order = await load_order(runtime.store, request.path_params["order_id"], None)
    runtime.links.check(order, access_key)
    event = await runtime.event(order.event_id, any_queue=True)
    language = shop_language(request)
    _ = language.translate
    view: dict[str, Any] = to_builtins(public_order(order, runtime.codes, runtime.links))
    view["event_name"] = event.name.text(language.code)
    count = len(view["tickets"])
    for number, ticket in enumerate(view["tickets"], start=1):
        tier = event.tier(ticket["tier_id"]) if ticket.get("tier_id") else None
        if tier is not None:
            ticket["tier_name"] = tier.name.text(language.code)
        place = event.seat_place(ticket["seat_id"]) if ticket.get("seat_id") else None
        ticket["number"] = number
        ticket["seat_label"] = (
            place.words(language.code, _) if place else ticket.get("seat_id") or ""
        )
        ticket["title"] = ", ".join(
            part
            for part in (
                _("Ticket %(number)s of %(count)s", number=number, count=count),
                ticket["tier_name"],
                ticket["seat_label"],
            )
            if part
        )
        ticket["qr_label"] = ticket["title"] + (
            _(", code %(code)s", code=ticket["short_code"]) if ticket["short_code"] else ""
        )
    return view


async def order_page(request: Request) -> Response:
    view = await _order_view(request, request.query_params.get(ACCESS_PARAMETER))
    for ticket in view["tickets"]:
        if ticket["state"] != "refunded":
            ticket["qr_svg"] = qr_svg(ticket["code"])
    return render(request, "order.html", order=view)


def _refund_choice(view: dict[str, Any], ticket_ids: list[str]) -> list[dict[str, Any]]:
    """The valid tickets a refund would take (all valid ones when none is named)."""
    for ticket_id in ticket_ids:
        event_of(ticket_id, "ticket")
    chosen = [
        ticket
        for ticket in view["tickets"]
        if ticket["state"] == "valid" and (not ticket_ids or ticket["ticket_id"] in ticket_ids)
    ]
    if not chosen or (ticket_ids and len(chosen) != len(set(ticket_ids))):
        raise TicketNotRefundable("no ticket of this order can be refunded any more")
    return chosen


async def refund_confirmation(request: Request) -> Response:
    """``GET /orders/{id}/refund?access=...[&ticket_id=...]``: the second step of a refund."""
    return await _refund_confirmation(
        request,
        request.query_params.get(ACCESS_PARAMETER),
        [value for value in request.query_params.getlist("ticket_id") if value],
    )


async def _refund_confirmation(
    request: Request, access_key: str | None, ticket_ids: list[str]
) -> Response:
    """What would be refunded, for how much, and one button that does it (no script needed)."""
    view = await _order_view(request, access_key)
    chosen = _refund_choice(view, ticket_ids)
    return render(
        request,
        "refund_confirm.html",
        order=view,
        chosen=chosen,
        whole_order=not ticket_ids,
        amount_minor=sum(int(ticket["price_minor"]) for ticket in chosen),
    )


async def refund_form(request: Request) -> Response:
    """Refunds only with ``confirm=yes`` (sent by the confirmation page); without it, the
    confirmation page. The order link's access key comes with the form."""
    form = await protected_form(request)
    runtime = shop_runtime(request)
    order_id = request.path_params["order_id"]
    event = await runtime.event(event_of(order_id, "order"))
    order = await load_order(runtime.store, order_id, None)
    key = (form.get(ACCESS_PARAMETER) or [""])[0]
    runtime.links.check(order, key)
    ticket_ids = [value for value in form.get("ticket_id", []) if value]
    if (form.get("confirm") or [""])[0] != "yes":
        return await _refund_confirmation(request, key, ticket_ids)
    for ticket_id in ticket_ids:
        event_of(ticket_id, "ticket")
    record = await runtime.refunds.refund(event, order_id, ticket_ids, order.buyer)
    runtime.metrics.tickets_refunded.labels(event.event_id).inc(len(record.ticket_ids))
    location = f"{base_path(request)}/orders/{order_id}?{ACCESS_PARAMETER}={key}"
    return RedirectResponse(location, status_code=303)
