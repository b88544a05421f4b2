"""Organizer JSON API for the fan page content (bearer admin token).

``PUT``/``GET /api/v1/admin/queues/{queue_id}/surveys``, ``/upsells`` (with click counts),
``/profile-form`` (tier choices, quantity cap) and ``GET .../survey-results`` (aggregates).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from service_kit.request_body import read_json
from waitroom.fan.content import FanContent, surveys_document, upsells_document
from waitroom.fan.profile import ProfileFormDocument, parse_profile_form
from waitroom.fan.session import checked_queue_id
from waitroom.fan.survey_definitions import SurveysDocument, parse_surveys
from waitroom.fan.upsell_clicks import click_counts
from waitroom.fan.upsell_definitions import UpsellsDocument, parse_upsells
from waitroom.organizer.actions import save_content
from waitroom.organizer.api import _json
from waitroom.organizer.auth import require_admin
from waitroom.organizer.survey_results import survey_results
from waitroom.web.runtime import Runtime, runtime_of

T = TypeVar("T")


async def _admin_queue(request: Request) -> tuple[Runtime, str, str]:
    """The runtime, the queue id and the actor (raises for a bad token or unknown queue)."""
    runtime = runtime_of(request)
    actor = require_admin(request)
    queue_id = checked_queue_id(request.path_params["queue_id"])
    await runtime.views.get(queue_id)  # raises QueueNotFound for unknown queues
    return runtime, queue_id, actor


async def _put(
    request: Request, kind: str, model: type[T], to_document: Callable[[T], dict[str, Any]]
) -> Response:
    runtime, queue_id, actor = await _admin_queue(request)
    document = to_document(await read_json(request, model))
    await save_content(runtime, queue_id, actor, kind, document)
    return _json(document)


async def _get(request: Request, to_document: Callable[[FanContent], dict[str, Any]]) -> Response:
    runtime, queue_id, _ = await _admin_queue(request)
    content = await runtime.fan.content.get(queue_id)
    return _json(to_document(content))


async def put_surveys(request: Request) -> Response:
    return await _put(
        request,
        "surveys",
        SurveysDocument,
        lambda raw: surveys_document(parse_surveys(raw), include_correct=True),
    )


async def get_surveys(request: Request) -> Response:
    return await _get(request, lambda content: surveys_document(content.surveys, True))


async def put_upsells(request: Request) -> Response:
    return await _put(
        request, "upsells", UpsellsDocument, lambda raw: upsells_document(parse_upsells(raw))
    )


async def get_upsells(request: Request) -> Response:
    runtime, queue_id, _ = await _admin_queue(request)
    content = await runtime.fan.content.get(queue_id)
    counts = await click_counts(runtime.redis, queue_id, content.upsells)
    cards = [
        {**upsell.document(), "clicks": counts[upsell.id][0], "fans": counts[upsell.id][1]}
        for upsell in content.upsells
    ]
    return _json({"upsells": cards})


async def put_profile_form(request: Request) -> Response:
    return await _put(
        request,
        "profile_form",
        ProfileFormDocument,
        lambda raw: parse_profile_form(raw).document(),
    )


async def get_profile_form(request: Request) -> Response:
    return await _get(request, lambda content: content.profile_form.document())


async def get_survey_results(request: Request) -> Response:
    runtime, queue_id, _ = await _admin_queue(request)
    content = await runtime.fan.content.get(queue_id)
    results = await survey_results(runtime.redis, queue_id, content.surveys)
    return _json({"queue_id": queue_id, "surveys": results})
