"""The waiting room's errors: one module, subclasses of :mod:`service_kit.errors`'s kinds.

Plain errors that carry data (``extra``) and know nothing of HTTP; the web layer answers them
through :func:`service_kit.problems.error_problem`. The connector, which a protected site imports
on its own, keeps its errors in :mod:`waitroom.connector.errors` (the same tree).
"""

from __future__ import annotations

from service_kit.errors import (
    Conflict,
    ErrorKind,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionRequired,
    ServiceError,
    TooMany,
    Unavailable,
)

# queues


class QueueNotFound(NotFound):
    type_slug = "queue-not-found"

    def __init__(self, queue_id: str) -> None:
        super().__init__(f"no queue named {queue_id!r}", queue_id=queue_id)


class QueueNotJoinable(Conflict):
    """The queue is closed or sold out: nobody new gets a place."""

    title = "Queue not accepting fans"
    type_slug = "queue-not-joinable"

    def __init__(self, queue_id: str, state: str) -> None:
        super().__init__(f"queue {queue_id!r} is {state}", queue_id=queue_id, state=state)


class QueueUnavailable(Unavailable):
    """The store is unreachable: fail closed, the fan keeps the place
    (:mod:`waitroom.queue.availability`)."""

    title = "Queue temporarily unavailable"
    type_slug = "queue-unavailable"

    def __init__(self, queue_id: str, retry_after_seconds: int, cause: str = "redis") -> None:
        super().__init__(
            "the waiting room cannot reach its store; your place is kept, try again shortly",
            queue_id=queue_id,
            cause=cause,
            retry_after_seconds=retry_after_seconds,
        )
        self.retry_after_seconds = retry_after_seconds


class EventRemoved(Conflict):
    title = "Event removed from the queue"
    type_slug = "event-removed"

    def __init__(self, queue_id: str, event_id: str) -> None:
        super().__init__(
            f"the organizer removed event {event_id!r} from queue {queue_id!r}",
            queue_id=queue_id,
            event_id=event_id,
        )


# priority and bypass codes


class CodeNotAccepted(Conflict):
    """A code that cannot be used (revoked, used up); see :func:`code_not_accepted`."""

    title = "Code not accepted"
    type_slug = "code-not-accepted"

    def __init__(self, outcome: str) -> None:
        super().__init__(f"this code cannot be used ({outcome})", outcome=outcome)


class CodeUnknown(CodeNotAccepted):
    """No such code: not found, with the same problem type as any code not accepted."""

    kind = ErrorKind.NOT_FOUND

    def __init__(self) -> None:
        super().__init__("unknown")


def code_not_accepted(outcome: str) -> CodeNotAccepted:
    return CodeUnknown() if outcome == "unknown" else CodeNotAccepted(outcome)


class CodeNotFound(NotFound):
    type_slug = "code-not-found"

    def __init__(self, code_id: str) -> None:
        super().__init__(f"no code with id {code_id!r}", code_id=code_id)


class NotInLane(NotFound):
    type_slug = "not-in-lane"

    def __init__(self) -> None:
        super().__init__("this visitor has not redeemed a code in this queue")


# position tokens


class TokenError(ServiceError):
    """A position token that cannot be used; ``reason`` is a short machine-readable word
    (also in ``extra``: the problem body's ``reason``, the rejection metric's label)."""

    kind = ErrorKind.NOT_AUTHENTICATED
    type_slug = "token-rejected"
    reason = "invalid"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, reason=self.reason)


class TokenMissing(TokenError):
    reason = "missing"


class TokenMalformed(TokenError):
    kind = ErrorKind.INVALID_INPUT
    title = "Malformed token"
    reason = "malformed"


class TokenInvalid(TokenError):
    reason = "invalid"


class TokenExpired(TokenError):
    reason = "expired"


class TokenForeign(TokenError):
    """Valid signature, but for another queue, epoch or visitor."""

    reason = "foreign"


class TokenReset(TokenError):
    """The token's place is gone: the queue was reset, or the place given up; join again."""

    reason = "reset"


# e-mail: the your-turn e-mail and the waiting list after sell-out


class MailNotOffered(NotFound):
    """This waiting room sends no e-mail (no SMTP settings)."""

    title = "E-mail is not offered here"
    type_slug = "mail-not-offered"


class WaitlistClosed(Conflict):
    """The queue is not sold out by stock, or the place is not waiting any more."""

    title = "No waiting list for this place"
    type_slug = "waitlist-closed"


# fans' extras


class CrossSiteForm(Forbidden):
    """A form that takes a place, sent from a page on another site."""

    type_slug = "cross-site-form"

    def __init__(self) -> None:
        super().__init__(
            "this form was sent from another site: open the queue page and use its button"
        )


class ItemNotFound(NotFound):
    """A survey or upsell the queue does not offer."""

    type_slug = "item-not-found"


class AlreadyAnswered(Conflict):
    type_slug = "survey-already-answered"

    def __init__(self, survey_id: str) -> None:
        super().__init__("this survey was already answered from this place", survey_id=survey_id)


class ReceiptInvalid(InvalidInput):
    title = "Receipt not valid"
    type_slug = "receipt-invalid"


# protection


class TooManyJoins(TooMany):
    title = "Too many joins"
    type_slug = "too-many-joins"

    def __init__(self, scope_name: str, retry_after_seconds: int) -> None:
        super().__init__(
            f"too many joins from this {scope_name}; try again in {retry_after_seconds} s",
            limit=scope_name,
            retry_after_seconds=retry_after_seconds,
        )


class ProofOfWorkRequired(PreconditionRequired):
    title = "Proof of work required"
    type_slug = "proof-of-work-required"

    def __init__(self, detail: str, difficulty_bits: int) -> None:
        super().__init__(detail, difficulty_bits=difficulty_bits)


# sites


class ProxyNotConfigured(Unavailable):
    title = "Reverse-proxy connector not configured"
    type_slug = "proxy-not-configured"


# processes and commands


class EmbeddedRedisError(Unavailable):
    """The embedded Redis server could not be found or did not start."""

    type_slug = "embedded-redis"


class AdminApiFailed(ServiceError):
    """``waitroom queue ...``: the admin API refused the command or could not be reached."""

    kind = ErrorKind.BAD_UPSTREAM
    type_slug = "admin-api-failed"
