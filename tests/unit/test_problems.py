"""The one error tree and its one HTTP mapping (service_kit/errors.py, service_kit/problems.py).

Every error the apps raise on purpose is a ``ServiceError`` defined in one of the four error
modules; its kind alone decides the status. The table below is the answer every error gave
before the tree was split from HTTP: status codes and problem types stay as they were.
"""

from __future__ import annotations

import importlib
import pkgutil

import orjson
import pytest

import sale_backend
import sale_backend.errors as shop_errors
import service_kit
import service_kit.errors as kit_errors
import waitroom
import waitroom.connector.errors as connector_errors
import waitroom.errors as waitroom_errors
from service_kit.errors import ErrorKind, ServiceError
from service_kit.problems import PROBLEM_KINDS, error_problem, error_status

ERROR_MODULES = {
    module.__name__ for module in (kit_errors, waitroom_errors, connector_errors, shop_errors)
}

ANSWERS: dict[str, tuple[str, int]] = {
    # class name: (problem type, status)
    "InvalidInput": ("invalid-input", 400),
    "NotAuthenticated": ("not-authenticated", 401),
    "Forbidden": ("forbidden", 403),
    "NotFound": ("not-found", 404),
    "Conflict": ("conflict", 409),
    "Unavailable": ("unavailable", 503),
    "InvalidText": ("invalid-input", 400),
    "TooManyAttempts": ("too-many-attempts", 429),
    "BodyTooLarge": ("body-too-large", 413),
    "BodyTimeout": ("body-timeout", 408),
    "HeadTooLarge": ("head-too-large", 431),
    "HeadTimeout": ("head-timeout", 408),
    "QueueNotFound": ("queue-not-found", 404),
    "QueueNotJoinable": ("queue-not-joinable", 409),
    "QueueUnavailable": ("queue-unavailable", 503),
    "CodeNotAccepted": ("code-not-accepted", 409),
    "CodeUnknown": ("code-not-accepted", 404),
    "CodeNotFound": ("code-not-found", 404),
    "EventRemoved": ("event-removed", 409),
    "ProxyNotConfigured": ("proxy-not-configured", 503),
    "ReceiptInvalid": ("receipt-invalid", 400),
    "NotInLane": ("not-in-lane", 404),
    "ItemNotFound": ("item-not-found", 404),
    "AlreadyAnswered": ("survey-already-answered", 409),
    "TokenError": ("token-rejected", 401),
    "TokenMissing": ("token-rejected", 401),
    "TokenInvalid": ("token-rejected", 401),
    "TokenExpired": ("token-rejected", 401),
    "TokenForeign": ("token-rejected", 401),
    "TokenReset": ("token-rejected", 401),
    "TokenMalformed": ("token-rejected", 400),
    "TooManyJoins": ("too-many-joins", 429),
    "ProofOfWorkRequired": ("proof-of-work-required", 428),
    "ConnectorError": ("connector-error", 400),
    "PassMissing": ("session-required", 401),
    "PassInvalid": ("pass-invalid", 401),
    "PassExpired": ("pass-expired", 401),
    "PassInUse": ("pass-in-use", 409),
    "PassEnded": ("pass-ended", 410),
    "SessionInvalid": ("session-invalid", 401),
    "SessionExpired": ("session-expired", 401),
    "SessionEnded": ("session-ended", 410),
    "SessionNotFound": ("session-not-found", 404),
    "SiteAuthRejected": ("site-auth-rejected", 401),
    "ConnectorUnavailable": ("connector-unavailable", 503),
    "ConnectorProtocolError": ("connector-protocol", 502),
    "SaleNotOpen": ("sale-not-open", 409),
    "SoldOut": ("sold-out", 409),
    "SeatTaken": ("seat-taken", 409),
    "BuyerLimitReached": ("buyer-limit", 409),
    "HoldNotFound": ("hold-not-found", 404),
    "HoldExpired": ("hold-expired", 409),
    "PaymentInProgress": ("payment-in-progress", 409),
    "PaymentDeclined": ("payment-declined", 402),
    "PaymentTimedOut": ("payment-timeout", 504),
    "PaymentStatusUnknown": ("payment-status-unknown", 503),
    "IdempotencyKeyMissing": ("idempotency-key-missing", 428),
    "IdempotencyKeyReused": ("idempotency-key-reused", 422),
    "IdempotencyKeyBusy": ("idempotency-key-busy", 409),
    "OrderNotFound": ("order-not-found", 404),
    "TicketNotRefundable": ("ticket-not-refundable", 409),
    "TicketRejected": ("ticket-rejected", 409),
    "ShortCodeMistyped": ("ticket-code-mistyped", 422),
    "FormTokenInvalid": ("form-token-invalid", 403),
    "CrossSiteRequest": ("cross-site-request", 403),
    "EventNotFound": ("event-not-found", 404),
}


def whole_tree() -> list[type[ServiceError]]:
    found: list[type[ServiceError]] = []
    pending: list[type[ServiceError]] = [ServiceError]
    while pending:
        error = pending.pop()
        found.append(error)
        pending.extend(error.__subclasses__())
    return found


def tree() -> list[type[ServiceError]]:
    return [error for error in whole_tree() if error.__module__ in ERROR_MODULES]


def test_every_kind_has_one_status_and_title() -> None:
    assert set(PROBLEM_KINDS) == set(ErrorKind)
    assert all(100 <= answer.status < 600 and answer.title for answer in PROBLEM_KINDS.values())


def test_every_error_lives_in_an_error_module_and_has_a_kind() -> None:
    for package in (waitroom, sale_backend, service_kit):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(module.name)  # nothing runs at import time
    errors = tree()
    assert len(errors) > len(ANSWERS) / 2
    for error in errors:
        assert error.kind in PROBLEM_KINDS, error
        assert error.type_slug, error
    defined_elsewhere = [
        error
        for error in whole_tree()
        if error.__module__.split(".")[0] in {"waitroom", "sale_backend", "service_kit"}
        and error.__module__ not in ERROR_MODULES
    ]
    assert defined_elsewhere == []


def test_statuses_and_problem_types_are_those_the_errors_always_had() -> None:
    by_name = {error.__name__: error for error in tree()}
    assert set(ANSWERS) <= set(by_name)
    for name, (type_slug, status) in ANSWERS.items():
        error = by_name[name]
        assert (error.type_slug, PROBLEM_KINDS[error.kind].status) == (type_slug, status), name


def test_a_problem_body_carries_the_data_and_says_when_to_come_back() -> None:
    limited = waitroom_errors.TooManyJoins("address", 12)
    problem = error_problem(limited)
    assert problem.status == 429 and ("Retry-After", "12") in problem.headers
    body = orjson.loads(problem.body)
    assert body == {
        "type": "https://waitroom.dev/problems/too-many-joins",
        "title": "Too many joins",
        "status": 429,
        "detail": "too many joins from this address; try again in 12 s",
        "limit": "address",
        "retry_after_seconds": 12,
    }
    away = waitroom_errors.QueueUnavailable("q1", 5)
    assert ("Retry-After", "5") in error_problem(away).headers


@pytest.mark.parametrize(
    "error",
    [
        kit_errors.InvalidInput("bad", retry_after_seconds=3),
        kit_errors.Conflict("taken", retry_after_seconds=3),
        kit_errors.Unavailable("away"),
        kit_errors.Unavailable("away", retry_after_seconds=0),
    ],
)
def test_retry_after_only_where_it_belongs(error: ServiceError) -> None:
    assert all(name != "Retry-After" for name, _ in error_problem(error).headers)


def test_data_for_programs_stays_out_of_the_body() -> None:
    session = object()
    error = connector_errors.SessionExpired("over", session=session, closed_reason="pass_expired")
    body = orjson.loads(error_problem(error).body)
    assert "session" not in body and body["closed_reason"] == "pass_expired"
    assert error.extra["session"] is session


def test_an_instance_never_changes_its_status() -> None:
    malformed = waitroom_errors.TokenMalformed("the token is too long or not text")
    assert error_status(malformed) == 400
    assert error_status(waitroom_errors.TokenExpired("old")) == 401
    assert error_status(waitroom_errors.code_not_accepted("unknown")) == 404
    assert error_status(waitroom_errors.code_not_accepted("revoked")) == 409
    assert "status" not in vars(malformed)
