"""``/admin/queues/{queue_id}/content``: the fan page's surveys, quizzes and upsell cards,
edited in a form next to a live preview of the fan page (:mod:`waitroom.organizer.preview`).

Saving checks the whole form with the admin API's validators and stores both documents
(:func:`waitroom.organizer.actions.save_content`, audited); a refused form is shown again as
typed, with what to fix in the form's own words. Post/redirect/get like every dashboard form.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service_kit.errors import InvalidInput, NotAuthenticated, ServiceError
from service_kit.problems import error_status
from waitroom.fan.content import surveys_document, upsells_document
from waitroom.fan.session import checked_queue_id
from waitroom.organizer.actions import save_content
from waitroom.organizer.auth import (
    CONTENT_FORM_MAX_FIELDS,
    admin_session,
    require_admin_form,
)
from waitroom.organizer.content_forms import (
    MAX_QUESTION_SLOTS,
    MAX_SURVEY_SLOTS,
    MAX_UPSELL_SLOTS,
    content_form,
    content_of,
    draft_survey_rows,
    draft_upsell_rows,
    survey_rows,
    upsell_rows,
)
from waitroom.organizer.content_languages import (
    surveys_keeping_languages,
    upsells_keeping_languages,
)
from waitroom.organizer.flash import Flash, redirect_with_flash, take_flash
from waitroom.organizer.form_words import message_of
from waitroom.organizer.pages import flash_codec, page, with_flash
from waitroom.web.runtime import runtime_of

EMPTY_QUESTION: dict[str, Any] = {
    "id": "",
    "text": "",
    "type": "single",
    "required": True,
    "max_length": 200,
    "options": "",
}


def with_blank_slots(
    surveys: list[dict[str, Any]], upsells: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One empty question per survey, one empty survey and one empty card to fill in."""
    filled = [
        {**survey, "questions": [*survey["questions"], EMPTY_QUESTION][:MAX_QUESTION_SLOTS]}
        for survey in surveys
    ]
    blank_survey = {"id": "", "title": "", "kind": "survey", "questions": [EMPTY_QUESTION]}
    blank_card = {"id": "", "title": "", "description": "", "image_url": "", "price": "",
                  "currency": "EUR", "link_url": ""}  # fmt: skip
    return (
        [*filled, blank_survey][:MAX_SURVEY_SLOTS],
        [*upsells, blank_card][:MAX_UPSELL_SLOTS],
    )


async def _render(
    request: Request,
    queue_id: str,
    surveys: list[dict[str, Any]],
    upsells: list[dict[str, Any]],
    notice: str,
    status_code: int,
) -> Response:
    runtime = runtime_of(request)
    session = admin_session(request)
    config = (await runtime.views.get(queue_id)).snapshot.config
    survey_slots, upsell_slots = with_blank_slots(surveys, upsells)
    return page(
        request,
        "admin_content.html",
        status_code,
        queue_id=queue_id,
        queue_name=config.display_name("en") or queue_id,
        surveys=survey_slots,
        upsells=upsell_slots,
        session=session,
        csrf_token=session.csrf_token if session else "",
        notice=notice,
    )


async def content_page(request: Request) -> Response:
    if admin_session(request) is None:
        return RedirectResponse("/admin/login", status_code=303)
    runtime = runtime_of(request)
    try:
        queue_id = checked_queue_id(request.path_params["queue_id"])
        if request.method == "POST":
            return await _save(request, queue_id)
        content = await runtime.fan.content.get(queue_id)
        flash = take_flash(flash_codec(request), request)
        response = await _render(
            request,
            queue_id,
            survey_rows(content.surveys),
            upsell_rows(content.upsells),
            flash.notice if flash else "",
            200,
        )
    except NotAuthenticated:
        return RedirectResponse("/admin/login", status_code=303)
    except ServiceError as error:
        return page(request, "error.html", error_status(error), detail=error.detail)
    return with_flash(request, response, flash)


async def _save(request: Request, queue_id: str) -> Response:
    runtime = runtime_of(request)
    actor, form = await require_admin_form(request, CONTENT_FORM_MAX_FIELDS)
    await runtime.views.get(queue_id)  # QueueNotFound for an unknown queue
    try:
        stored = await runtime.fan.content.get(queue_id)
        surveys, upsells = content_of(content_form(form))
        surveys = surveys_keeping_languages(surveys, stored.surveys)
        upsells = upsells_keeping_languages(upsells, stored.upsells)
    except InvalidInput as error:
        return await _render(
            request,
            queue_id,
            draft_survey_rows(form),
            draft_upsell_rows(form),
            f"Not saved: {message_of(error)}",
            400,
        )
    await save_content(
        runtime, queue_id, actor, "surveys", surveys_document(surveys, include_correct=True)
    )
    await save_content(runtime, queue_id, actor, "upsells", upsells_document(upsells))
    return redirect_with_flash(
        flash_codec(request),
        f"/admin/queues/{queue_id}/content",
        Flash(
            f"Saved: {len(surveys)} survey(s) and {len(upsells)} card(s). Fans see them within "
            "a few seconds."
        ),
        runtime.cookie_secure(request),
    )
