"""HTTP handlers of the code lanes (JSON API and the two small fan pages)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service_kit.errors import ServiceError
from service_kit.form_fields import decode_form
from service_kit.languages import with_language
from service_kit.request_body import form_pairs, model_response, read_json
from waitroom.admission import FanState
from waitroom.fan import lanes
from waitroom.fan import session as fan_session
from waitroom.fan.models import CodeForm, CodeRedemption
from waitroom.fan.page_context import error_page, page_language, render_page
from waitroom.web.runtime import runtime_of


async def redeem_endpoint(request: Request) -> Response:
    runtime = runtime_of(request)
    queue_id = fan_session.checked_queue_id(request.path_params["queue_id"])
    redemption = await read_json(request, CodeRedemption)
    status = await lanes.redeem(runtime, request, queue_id, redemption.code)
    return model_response(status.body())


async def lane_endpoint(request: Request) -> Response:
    runtime = runtime_of(request)
    queue_id = fan_session.checked_queue_id(request.path_params["queue_id"])
    claims, _ = fan_session.verify_for_status(runtime.codec, request, queue_id)
    status = await lanes.lane_status(runtime, claims)
    return model_response(status.body())


async def code_page(request: Request) -> Response:
    """GET shows the form; POST redeems and sends the fan to their lane page."""
    runtime = runtime_of(request)
    raw_queue_id = request.path_params["queue_id"]
    error_detail = ""
    if request.method == "POST":
        try:
            queue_id = fan_session.checked_queue_id(raw_queue_id)
            form = decode_form(await form_pairs(request), CodeForm)
            await lanes.redeem(runtime, request, queue_id, form.code)
        except ServiceError as error:
            error_detail = error.detail
        else:
            return RedirectResponse(f"/q/{queue_id}/lane", status_code=303)
    return render_page(
        request,
        "code.html",
        400 if error_detail else 200,
        queue_id=raw_queue_id[:64],
        error_detail=error_detail,
    )


async def lane_page(request: Request) -> Response:
    runtime = runtime_of(request)
    try:
        queue_id = fan_session.checked_queue_id(request.path_params["queue_id"])
        claims, _ = fan_session.verify_for_status(runtime.codec, request, queue_id)
        status = await lanes.lane_status(runtime, claims)
    except ServiceError as error:
        return error_page(request, error)
    response = render_page(request, "lane.html", 200, queue_id=queue_id, status=status.body())
    if status.state is FanState.ADMITTED and status.redirect_url:
        language = page_language(runtime, request).code
        response.headers["refresh"] = f"1; url={with_language(status.redirect_url, language)}"
    elif status.state not in {FanState.CLOSED, FanState.SOLD_OUT}:
        response.headers["refresh"] = str(lanes.LANE_POLL_MS // 1000)
    return response
