"""Organizer endpoints for priority/invite codes (bearer token or admin session + CSRF):
``POST``/``GET /api/v1/admin/queues/{id}/codes`` and ``DELETE .../codes/{code_id}`` (revoke).
Every change is written to the audit log; the plain code appears only in the creation answer."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from service_kit.request_body import read_json
from waitroom.fan.session import checked_queue_id
from waitroom.organizer import actions as admin_actions
from waitroom.organizer.api import _json
from waitroom.organizer.auth import require_admin
from waitroom.queue.codes import CodeRequest, CodeStore, validate_code_request
from waitroom.web.runtime import runtime_of


async def create_code(request: Request) -> Response:
    runtime = runtime_of(request)
    actor = require_admin(request)
    queue_id = checked_queue_id(request.path_params["queue_id"])
    kind, max_uses, label, chosen = validate_code_request(await read_json(request, CodeRequest))
    plain, document = await admin_actions.create_code(
        runtime, queue_id, actor, kind, max_uses, label, chosen
    )
    return _json({**document, "code": plain}, 201)


async def list_codes(request: Request) -> Response:
    runtime = runtime_of(request)
    require_admin(request)
    queue_id = checked_queue_id(request.path_params["queue_id"])
    codes = await CodeStore(runtime.store.scripts).list(queue_id)
    return _json({"queue_id": queue_id, "codes": codes})


async def revoke_code(request: Request) -> Response:
    runtime = runtime_of(request)
    actor = require_admin(request)
    queue_id = checked_queue_id(request.path_params["queue_id"])
    code_id = str(request.path_params["code_id"])
    document = await admin_actions.revoke_code(runtime, queue_id, actor, code_id)
    return _json(document)
