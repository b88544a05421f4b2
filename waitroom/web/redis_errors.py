"""The safety net for Redis errors in any handler: 503 with ``Retry-After``, never a 500."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from service_kit.problem_responses import error_response
from service_kit.shared_settings import REDIS_RETRY_AFTER
from waitroom.errors import QueueUnavailable


async def redis_error_handler(request: Request, exc: Exception) -> Response:
    """Safety net for any handler that met a Redis error: 503 + Retry-After, never a 500."""
    queue_id = str(request.path_params.get("queue_id", ""))[:64]
    runtime = getattr(request.app.state, "runtime", None)
    # without a runtime (before start-up finished, after shutdown began): the default
    retry_after = (
        runtime.protection.retry_after_seconds if runtime is not None else REDIS_RETRY_AFTER.default
    )
    return error_response(QueueUnavailable(queue_id, retry_after))
