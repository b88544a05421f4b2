"""Fan endpoints of the e-mail features (only when SMTP is configured):

- the your-turn opt-in rides on the profile form (:mod:`waitroom.fan.your_turn_choice`);
- ``GET``/``POST``/``DELETE /api/v1/queues/{queue_id}/waitlist``: the waiting list after
  sell-out (``POST`` takes JSON or a form: ``{"email"}``);
- ``GET /q/{queue_id}/return?t=``: the your-turn e-mail's link (sets the place's cookies,
  then the queue page claims the pass);
- ``GET /q/{queue_id}/offer?t=``: a waiting-list offer's link (hands the offer's pass to the
  site, like the queue page's "Go to the shop").
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service_kit.errors import InvalidInput, ServiceError
from service_kit.problem_responses import error_response
from service_kit.request_body import is_form, model_response, read_json_or_form
from service_kit.text_input import clean_text
from waitroom.admission import QueueState
from waitroom.connector.passes import PassClaims
from waitroom.connector.signing import visitor_hash
from waitroom.errors import MailNotOffered, TokenError, WaitlistClosed
from waitroom.fan import models
from waitroom.fan import session as fan_session
from waitroom.fan.extras_api import fan_claims
from waitroom.fan.forms import back_to_page, failure
from waitroom.fan.mail_links import OfferLinkInvalid, verify_offer
from waitroom.fan.page_context import error_page, page_language, render_page
from waitroom.fan.passes import redirect_with_pass
from waitroom.fan.profile import EMAIL_PATTERN, MAX_EMAIL_CHARS
from waitroom.queue.waitlist import WaitlistEntry
from waitroom.tokens import derive_pass_id
from waitroom.web.runtime import runtime_of

OFFER_LINK_GRACE_SECONDS = 24 * 3600
"""An offer link's signature stays good this long past the offer time (the pass record's
expiry decides whether the offer still stands)."""


def entry_document(entry: WaitlistEntry | None) -> models.WaitlistEntryView | None:
    if entry is None:
        return None
    return models.WaitlistEntryView(
        status=entry.status,  # type: ignore[arg-type]
        email=entry.email,
        place_on_list=entry.place_on_list,
        offer_expires_at=entry.expires_at,
    )


def parse_email(submission: models.WaitlistSubmission) -> str:
    email = clean_text(submission.email, "email", MAX_EMAIL_CHARS)
    if not EMAIL_PATTERN.match(email):
        raise InvalidInput("email does not look like an e-mail address", field="email")
    return email


async def waitlist_join_endpoint(request: Request) -> Response:
    """``POST /api/v1/queues/{queue_id}/waitlist``: a fan still waiting in a queue sold out by
    stock leaves an e-mail for returned tickets (201; 200 when already on the list)."""
    runtime = runtime_of(request)
    try:
        if not runtime.settings.mail_enabled:
            raise MailNotOffered("this waiting room sends no e-mail")
        queue_id, claims = await fan_claims(runtime, request)
        submission = await read_json_or_form(
            request, models.WaitlistSubmission, models.WaitlistSubmission
        )
        email = parse_email(submission)
        view = await runtime.views.get(queue_id)
        config = view.snapshot.config
        if config.state is not QueueState.SOLD_OUT or not config.sold_out_by_stock:
            raise WaitlistClosed("the waiting list opens when the tickets are sold out")
        position = await runtime.store.position_of(queue_id, claims.visitor_id) or 0
        if position <= view.snapshot.serving:
            raise WaitlistClosed("only fans still waiting in the queue can join the list")
        pass_id = derive_pass_id(queue_id, claims.epoch, position, claims.visitor_id)
        before = await runtime.waitlist.entry(queue_id, claims.visitor_id)
        language = page_language(runtime, request).code
        entry = await runtime.waitlist.join(
            queue_id, claims.visitor_id, position, pass_id, email, language
        )
    except ServiceError as error:
        return failure(request, error)
    if is_form(request):
        return back_to_page(queue_id, "waitlist")
    return model_response(models.WaitlistAnswer(entry_document(entry)), 200 if before else 201)


async def waitlist_get_endpoint(request: Request) -> Response:
    """``GET /api/v1/queues/{queue_id}/waitlist``: the fan's entry (null when none)."""
    runtime = runtime_of(request)
    try:
        queue_id, claims = await fan_claims(runtime, request)
        entry = await runtime.waitlist.entry(queue_id, claims.visitor_id)
    except ServiceError as error:
        return error_response(error)
    answer = models.WaitlistAnswer(entry_document(entry), runtime.settings.mail_enabled)
    return model_response(answer, 200)


async def waitlist_leave_endpoint(request: Request) -> Response:
    """``DELETE /api/v1/queues/{queue_id}/waitlist``: off the list (while still waiting)."""
    runtime = runtime_of(request)
    try:
        queue_id, claims = await fan_claims(runtime, request)
        removed = await runtime.waitlist.leave(queue_id, claims.visitor_id)
    except ServiceError as error:
        return error_response(error)
    return model_response(models.WaitlistRemoved(removed), 200)


async def return_link_endpoint(request: Request) -> Response:
    """``GET /q/{queue_id}/return?t=<position token>``: the your-turn e-mail's link."""
    runtime = runtime_of(request)
    try:
        queue_id = fan_session.checked_queue_id(request.path_params["queue_id"])
    except ServiceError as error:
        return error_page(request, error)
    try:
        claims = runtime.codec.verify_position(request.query_params.get("t"), queue_id=queue_id)
    except TokenError:
        _ = page_language(runtime, request).translate
        detail = _("This link is not valid any more. Open the queue page instead.")
        return render_page(request, "mail_link.html", 400, queue_id=queue_id, detail=detail)
    token = runtime.codec.issue_position(claims._replace(issued_at=int(time.time())))
    language = page_language(runtime, request).code
    response = RedirectResponse(
        f"/q/{queue_id}?lang={language}", status_code=303, headers={"cache-control": "no-store"}
    )
    for cookie in fan_session.cookie_headers(runtime, request, queue_id, token, claims.visitor_id):
        response.headers.append("set-cookie", cookie)
    return response


async def offer_link_endpoint(request: Request) -> Response:
    """``GET /q/{queue_id}/offer?t=<offer token>``: a waiting-list offer's link: 303 to the
    site with the offer's pass, or a page saying why the offer no longer stands."""
    runtime = runtime_of(request)
    settings = runtime.settings
    _ = page_language(runtime, request).translate
    try:
        queue_id = fan_session.checked_queue_id(request.path_params["queue_id"])
        pass_id = verify_offer(
            settings.secret_keys,
            request.query_params.get("t", ""),
            queue_id,
            settings.waitlist_offer_seconds + OFFER_LINK_GRACE_SECONDS,
            settings.clock_leeway_seconds,
        )
        found = await runtime.waitlist.offered_pass(queue_id, pass_id)
        view = await runtime.views.get(queue_id)
    except ServiceError as error:
        return error_page(request, error)
    except OfferLinkInvalid:
        detail = _("This link is not valid. Open the queue page instead.")
        return render_page(request, "mail_link.html", 400, queue_id=queue_id, detail=detail)
    now = time.time()
    reason = "pass_expired" if found is None else found[0].closed_reason(now)
    if found is None or reason is not None:
        if reason == "purchase_completed":
            detail = _("You have completed your purchase. Thank you!")
        else:
            detail = _(
                "This offer has run out, so the ticket went to the next person on the "
                "waiting list."
            )
        return render_page(request, "mail_link.html", 410, queue_id=queue_id, detail=detail)
    record, visitor_id = found
    buyer = visitor_hash(settings.secret_keys, visitor_id)
    token = runtime.passes.issue(PassClaims(queue_id, buyer, pass_id, record.expires_at))
    runtime.metrics.passes_issued.labels(queue_id).inc()
    target = redirect_with_pass(view.snapshot.config.redirect_url, token)
    return RedirectResponse(target, status_code=303, headers={"cache-control": "no-store"})
