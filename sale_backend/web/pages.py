"""The shop's HTML pages: event and seat map, cart with timer and checkout (the order and its
refunds: :mod:`sale_backend.web.order_pages`).

Forms post back to the shop; every page but the order (reached by its order link) is behind the
connector, and every page shows the shopping time left (the base template). Every form carries
the browser's CSRF token (:mod:`sale_backend.web.csrf`), checked by :func:`protected_form` before
anything changes; the page then decodes the form into its model (:mod:`sale_backend.web.forms`),
and a value the model refuses shows the page again with the fan's words for what is wrong.
Domain errors become a friendly page (HTML) or a problem body (API paths and
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

from sale_backend.domain.checkout import MAX_EMAIL_CHARS, MAX_NAME_CHARS, parse_checkout
from sale_backend.domain.holds import cancel_hold, create_hold, load_hold, selection
from sale_backend.domain.order_links import ACCESS_PARAMETER
from sale_backend.settings import ShopSettings
from sale_backend.storage.keys import event_of
from sale_backend.web.csrf import CSRF_FIELD, page_form_token, require_form_token, set_form_cookie
from sale_backend.web.error_text import PageError, error_text
from sale_backend.web.forms import CheckoutForm, HoldForm, ShopForm
from sale_backend.web.language import (
    language_links,
    remember_language,
    shop_language,
)
from sale_backend.web.runtime import buyer_of, session_of, shop_runtime
from sale_backend.web.views import event_view
from service_kit.errors import InvalidInput, ServiceError, Unavailable
from service_kit.form_fields import decode_form
from service_kit.problem_responses import error_response
from service_kit.problems import error_status
from service_kit.request_body import first_value, form_pairs


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


async def protected_form(request: Request) -> list[tuple[str, str]]:
    """The posted form, once its CSRF token is found to be this browser's; raises
    :class:`~sale_backend.errors.FormTokenInvalid` (403) before anything changes. The page then
    decodes it into its model (:mod:`sale_backend.web.forms`)."""
    items = await form_pairs(request)
    require_form_token(request, first_value(items, CSRF_FIELD) or None)
    return items


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
    items = await protected_form(request)
    runtime = shop_runtime(request)
    try:
        form = decode_form(items, HoldForm)
    except InvalidInput as error:
        return await event_page(request, PageError.of_form(error))
    event = await runtime.event(request.path_params["event_id"])
    seats = list(dict.fromkeys(form.seat))  # a seat ticked twice is one seat
    try:
        hold = await create_hold(
            runtime.store,
            event,
            buyer_of(request),
            selection(event.event_id, form.quantities, seats),
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
    decode_form(await protected_form(request), ShopForm)
    runtime = shop_runtime(request)
    hold_id = request.path_params["hold_id"]
    event = await runtime.event(event_of(hold_id, "hold"))
    await cancel_hold(runtime.store, hold_id, buyer_of(request))
    runtime.reporter.changed(event)
    return RedirectResponse(f"{base_path(request)}/events/{event.event_id}", status_code=303)


async def checkout_form(request: Request) -> Response:
    items = await protected_form(request)
    runtime = shop_runtime(request)
    buyer = buyer_of(request)
    entered = {
        "name": first_value(items, "name")[:MAX_NAME_CHARS],
        "email": first_value(items, "email")[:MAX_EMAIL_CHARS],
    }
    try:
        form = decode_form(items, CheckoutForm)
    except InvalidInput as error:
        return await hold_page(request, PageError.of_form(error), entered)
    body = {
        "hold_id": request.path_params["hold_id"],
        "card_number": form.card_number,
        "name": form.name,
        "email": form.email,
    }
    try:
        # the tickets e-mail is written in the language the fan shops in
        checkout_request = parse_checkout(body, shop_language(request).code)
        event = await runtime.event(checkout_request.event_id)
        started = time.perf_counter()
        answer = await runtime.checkout.checkout(
            event, buyer, form.idempotency_key, checkout_request, body
        )
        runtime.record_checkout(event, answer, time.perf_counter() - started)
    except ServiceError as error:
        return await hold_page(request, PageError.of(error), entered)
    if answer.created:
        order = orjson.loads(answer.body)
        if not answer.replayed:
            await runtime.purchase_completed(session_of(request), event, answer)
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
