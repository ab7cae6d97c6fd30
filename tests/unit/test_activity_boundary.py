"""The activity boundary: each store error reaches the retry policy as the kind its table says.

An activity declared with `Activities` validates its input, returns JSON, and turns store
exceptions into the error kinds the orchestrator's retry policy reads (`classify_failure`):
transient ones are retried with backoff, permanent ones are not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from azure.core.exceptions import (
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)

from activities.boundary import INPUT_NAME, STORE_ERRORS, Activities
from shared.approval_store import ApprovalNotFound
from shared.customer_store import CustomerNotFound
from shared.errors import ErrorCode, ErrorKind, FailureInfo, PermanentError, classify_failure
from shared.etag import ConcurrencyExhausted
from shared.idempotency import FingerprintMismatch
from shared.inventory_store import OutOfStock, ReservationReleased, UnknownSku
from shared.models.base import Contract, Identifier
from tests.support.functions import user_function

pytestmark = pytest.mark.unit


class Command(Contract):
    idempotency_key: Identifier


class Done(Contract):
    key: str


def http_error(status: int) -> HttpResponseError:
    error = HttpResponseError(message=f"status {status}")
    error.status_code = status
    return error


def declared(
    effect: Callable[[Command], Done], *, compensation: bool = False
) -> Callable[..., Any]:
    """`effect` declared as an activity, as the worker would invoke it."""
    activity = Activities()
    builder = activity(Command, compensation=compensation)(effect)
    return user_function(builder)


def failure_of(error: BaseException, *, compensation: bool = False) -> FailureInfo:
    """What the orchestrator learns when the activity's store call raises `error`."""

    def effect(command: Command) -> Done:
        raise error

    run = declared(effect, compensation=compensation)
    with pytest.raises(Exception) as caught:  # noqa: PT011 - any type: the kind is the point
        run(**{INPUT_NAME: {"idempotencyKey": "order-o-1:charge-payment"}})
    return classify_failure(caught.value)


TRANSIENT, PERMANENT = ErrorKind.TRANSIENT, ErrorKind.PERMANENT

#: Every store error an activity meets, and the kind and code the retry policy must see.
STORE_ERROR_CASES = [
    (http_error(429), TRANSIENT, ErrorCode.UNAVAILABLE),
    (http_error(503), TRANSIENT, ErrorCode.UNAVAILABLE),
    (http_error(500), TRANSIENT, ErrorCode.UNAVAILABLE),
    (http_error(408), TRANSIENT, ErrorCode.UNAVAILABLE),
    (ServiceRequestError("connection refused"), TRANSIENT, ErrorCode.UNAVAILABLE),
    (ServiceResponseError("connection reset"), TRANSIENT, ErrorCode.UNAVAILABLE),
    (ConcurrencyExhausted("stock sku-a: too many concurrent writers"), TRANSIENT, "conflict"),
    (FingerprintMismatch("payment order-o-1"), PERMANENT, ErrorCode.CONFLICT),
    (UnknownSku("sku-x"), PERMANENT, ErrorCode.NOT_FOUND),
    (CustomerNotFound("customer 'c-1' does not exist"), PERMANENT, ErrorCode.NOT_FOUND),
    (ApprovalNotFound("approval-1"), PERMANENT, ErrorCode.NOT_FOUND),
    (OutOfStock("sku-a", 3, 1), PERMANENT, ErrorCode.OUT_OF_STOCK),
    (ReservationReleased("sku-a", "order cancelled"), PERMANENT, ErrorCode.CONFLICT),
]


@pytest.mark.parametrize(
    ("error", "kind", "code"), STORE_ERROR_CASES, ids=lambda v: type(v).__name__
)
def test_each_store_error_reaches_the_retry_policy_as_its_kind(
    error: BaseException, kind: ErrorKind, code: str
) -> None:
    failure = failure_of(error)

    assert (failure.kind, failure.code) == (kind, code)


def test_every_row_of_the_table_is_covered_by_a_case() -> None:
    """A row added to `STORE_ERRORS` without a case above fails here."""
    first_rows = {
        next(i for i, row in enumerate(STORE_ERRORS) if row.applies(error))
        for error, _, _ in STORE_ERROR_CASES
    }
    assert first_rows == set(range(len(STORE_ERRORS)))


def test_a_storage_outage_names_the_activity_and_the_status() -> None:
    failure = failure_of(http_error(503))

    assert failure.message == "effect: table storage unavailable (status 503)"


def test_a_reused_key_names_the_key_on_a_forward_step() -> None:
    failure = failure_of(FingerprintMismatch("payment order-o-1"))

    assert "'order-o-1:charge-payment' was already used for a different request" in (
        failure.message
    )


def test_a_reused_key_is_left_untouched_by_a_compensation() -> None:
    failure = failure_of(FingerprintMismatch("payment order-o-1"), compensation=True)

    assert failure.is_permanent
    assert "left untouched, not undone" in failure.message
    assert "payment order-o-1 was written for a different request" in failure.message


def test_a_taken_row_of_an_activity_without_a_key_is_named_by_the_store() -> None:
    class Lookup(Contract):
        batch_id: Identifier

    def effect(command: Lookup) -> Done:
        raise FingerprintMismatch("row b-1/header")

    run = user_function(Activities()(Lookup)(effect))
    with pytest.raises(PermanentError) as caught:
        run(request={"batchId": "b-1"})
    assert caught.value.info.message == "row b-1/header was written for a different request"


@pytest.mark.parametrize(
    "error", [http_error(400), ResourceNotFoundError("gone"), ValueError("a bug")]
)
def test_errors_outside_the_table_keep_their_type(error: Exception) -> None:
    """A bug or a bad request to storage is not a hiccup; it surfaces as it is."""

    def effect(command: Command) -> Done:
        raise error

    with pytest.raises(type(error)):
        declared(effect)(request={"idempotencyKey": "k-1"})


def test_an_activity_error_raised_by_the_body_passes_unchanged() -> None:
    declined = PermanentError(ErrorCode.PAYMENT_DECLINED, "the payment method was declined")

    def effect(command: Command) -> Done:
        raise declined

    with pytest.raises(PermanentError) as caught:
        declared(effect)(request={"idempotencyKey": "k-1"})
    assert caught.value is declined


def test_bad_input_is_a_permanent_validation_error_and_runs_nothing() -> None:
    ran: list[Command] = []

    def effect(command: Command) -> Done:
        ran.append(command)
        return Done(key=command.idempotency_key)

    with pytest.raises(PermanentError) as caught:
        declared(effect)(request={"idempotencyKey": ""})
    failure = classify_failure(caught.value)
    assert (failure.kind, failure.code) == (PERMANENT, ErrorCode.VALIDATION)
    assert "idempotencyKey" in failure.message
    assert ran == []


def test_the_result_crosses_as_plain_json() -> None:
    def effect(command: Command) -> Done:
        return Done(key=command.idempotency_key)

    assert declared(effect)(request={"idempotencyKey": "k-1"}) == {"key": "k-1"}


def test_the_function_is_named_after_its_body_and_binds_its_input() -> None:
    def reserve_things(command: Command) -> Done:
        return Done(key=command.idempotency_key)

    activity = Activities()
    builder = activity(Command)(reserve_things)
    function = builder.build()

    assert function.get_function_name() == "reserve_things"
    trigger = function.get_trigger()
    assert trigger is not None
    assert (trigger.type, trigger.name) == ("activityTrigger", INPUT_NAME)
