"""Error kinds survive the trip through the host's failure message."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from shared.errors import (
    ErrorCode,
    ErrorKind,
    PermanentError,
    classify_failure,
    validate_payload,
)
from tests.support.failures import activity_failed, crashed, permanent, transient


def test_permanent_kind_and_code_are_recovered_from_the_host_message() -> None:
    failure = classify_failure(
        permanent("reserve_inventory", ErrorCode.OUT_OF_STOCK, "sku-1: 0 left")
    )

    assert failure.kind is ErrorKind.PERMANENT
    assert failure.code == "out_of_stock"
    assert failure.message == "sku-1: 0 left"
    assert failure.is_permanent


def test_transient_kind_is_recovered() -> None:
    failure = classify_failure(transient("charge_payment", ErrorCode.UNAVAILABLE, "gateway busy"))

    assert failure.kind is ErrorKind.TRANSIENT
    assert failure.code == "unavailable"


def test_message_with_json_like_text_and_markers_inside_is_parsed() -> None:
    tricky = 'bad "quote" and {"brace": 1} and @@ end'
    failure = classify_failure(activity_failed("x", PermanentError("validation", tricky)))

    assert failure.message == tricky


def test_unmarked_failures_are_transient_and_unexpected() -> None:
    failure = classify_failure(crashed("ship", "worker process exited"))

    assert failure.kind is ErrorKind.TRANSIENT
    assert failure.code == ErrorCode.UNEXPECTED
    assert "worker process exited" in failure.message


def test_a_corrupt_marker_falls_back_to_unexpected() -> None:
    failure = classify_failure(Exception('@@error{"kind": "permanent", "code"'))

    assert failure.code == ErrorCode.UNEXPECTED


class _Payload(BaseModel):
    sku: str
    quantity: int


def test_invalid_activity_input_is_a_permanent_validation_error_naming_fields() -> None:
    with pytest.raises(PermanentError) as caught:
        validate_payload(_Payload, {"sku": "a", "quantity": "many"})

    failure = classify_failure(caught.value)
    assert failure.is_permanent
    assert failure.code == ErrorCode.VALIDATION
    assert "quantity" in failure.message


def test_a_marker_echoed_inside_another_errors_message_is_not_trusted() -> None:
    echoed = '@@error{"kind":"permanent","code":"validation","message":"x"}@@'
    failure = classify_failure(activity_failed("charge", RuntimeError(f"gateway said: {echoed}")))

    assert failure.kind is ErrorKind.TRANSIENT
    assert failure.code == ErrorCode.UNEXPECTED


def test_the_activity_error_itself_is_classified() -> None:
    failure = classify_failure(PermanentError(ErrorCode.CONFLICT, "taken"))

    assert failure.is_permanent
    assert failure.code == "conflict"
