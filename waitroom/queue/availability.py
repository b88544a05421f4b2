"""Redis failures seen by the fan paths: fail closed, tell clients when to come back.

Any Redis error (connection refused, timeout, server loading its data) becomes
:class:`QueueUnavailable`: joins answer 503 with ``Retry-After``, status answers say the queue
is paused and keep the fan's place, nobody is admitted and no pass is issued until Redis answers
again. redis-py reconnects by itself, so recovery needs nobody.
"""

from __future__ import annotations

from redis.exceptions import RedisError

REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)
PAUSED_FOR_FAULT_REASON = "a technical problem on our side; we will resume by ourselves"

