"""Redis failures seen by the fan paths: fail closed, tell clients when to come back.

Any Redis error (connection refused, timeout, server loading its data) becomes
:class:`QueueUnavailable`: joins answer 503 with ``Retry-After``, status answers say the queue
is paused and keep the fan's place, nobody is admitted and no pass is issued until Redis answers
again. redis-py reconnects by itself, so recovery needs nobody.
"""

from __future__ import annotations

from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import Response

from waitroom.problems import Unavailable, error_response

REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)
PAUSED_FOR_FAULT_REASON = "a technical problem on our side; we will resume by ourselves"


class QueueUnavailable(Unavailable):
    type_slug = "queue-unavailable"
    title = "Queue temporarily unavailable"

    def __init__(self, queue_id: str, retry_after_seconds: int, cause: str = "redis") -> None:
        super().__init__(
            "the waiting room cannot reach its store; your place is kept, try again shortly",
            queue_id=queue_id,
            cause=cause,
            retry_after_seconds=retry_after_seconds,
        )
        self.retry_after_seconds = retry_after_seconds


async def redis_error_handler(request: Request, exc: Exception) -> Response:
    """Safety net for any handler that met a Redis error: 503 + Retry-After, never a 500."""
    queue_id = str(request.path_params.get("queue_id", ""))[:64]
    runtime = getattr(request.app.state, "runtime", None)
    retry_after = runtime.protection.retry_after_seconds if runtime is not None else 5
    return error_response(QueueUnavailable(queue_id, retry_after))
