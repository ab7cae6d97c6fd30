"""The `counter` entity through the SDK's real entity handler, fed the host's batch JSON
(protocol doc §3.2: operation inputs are JSON text of JSON text; results are JSON text)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from entities.counter import counter
from shared.models.counters import MAX_AMOUNT, MAX_VALUE
from tests.support.functions import entity_handler

handle = entity_handler(counter)
_MISSING = object()


def op(name: str, value: Any = _MISSING, *, signal: bool = True) -> dict[str, Any]:
    """One batch entry as the host sends it; `value=None` sends JSON null, no value sends none."""
    encoded = None if value is _MISSING else json.dumps(json.dumps(value))
    return {"name": name, "input": encoded, "isSignal": signal}


def run(*operations: dict[str, Any], state: Any = _MISSING) -> dict[str, Any]:
    context = {
        "self": {"name": "counter", "key": "k1"},
        "exists": state is not _MISSING,
        "state": None if state is _MISSING else json.dumps(state),
        "batch": list(operations),
    }
    return json.loads(handle(json.dumps(context)))


def outcomes(response: dict[str, Any]) -> list[tuple[bool, Any]]:
    return [(r["isError"], json.loads(r["result"])) for r in response["results"]]


def test_operations_apply_in_order_and_report_the_new_value() -> None:
    response = run(op("add", 5), op("add", 3), op("subtract", 10), op("get", signal=False))

    assert outcomes(response) == [(False, 5), (False, 8), (False, -2), (False, -2)]
    assert response["entityExists"] is True
    assert json.loads(response["entityState"]) == -2


def test_the_stored_state_is_where_a_batch_starts() -> None:
    response = run(op("add", 1), state=41)

    assert json.loads(response["entityState"]) == 42


def test_reset_sets_zero() -> None:
    response = run(op("reset"), op("get", None), state=17)

    assert outcomes(response) == [(False, 0), (False, 0)]
    assert json.loads(response["entityState"]) == 0


def test_invalid_operations_fail_alone_and_the_rest_of_the_batch_applies() -> None:
    response = run(
        op("add", 5),
        op("add", "5"),  # a numeric string
        op("add", True),  # a bool is not an amount
        op("add", 2.5),  # nor a float
        op("add", 2.0),  # not even an integral one
        op("add", MAX_AMOUNT + 1),  # too large
        op("add", 0),  # zero (the client would send no body)
        op("add", -3),  # negative: that is what subtract is for
        op("add", {"amount": 1}),  # an object
        op("add", None),  # JSON null
        op("add"),  # no input at all
        op("multiply", 2),  # unknown operation
        op("subtract", 2),
    )

    results = outcomes(response)
    assert results[0] == (False, 5)
    assert results[-1] == (False, 3)
    errors = results[1:-1]
    assert all(is_error for is_error, _ in errors)
    assert all("integer amount from 1 to" in message for _, message in errors[:-1])
    assert "unknown operation 'multiply'" in errors[-1][1]
    assert json.loads(response["entityState"]) == 3


def test_a_batch_of_only_invalid_operations_leaves_a_new_counter_unborn() -> None:
    response = run(op("add", "lots"), op("explode"))

    assert [is_error for is_error, _ in outcomes(response)] == [True, True]
    assert response["entityExists"] is False


def test_reading_a_new_counter_creates_it_at_zero() -> None:
    response = run(op("get", None, signal=False))

    assert outcomes(response) == [(False, 0)]
    assert response["entityExists"] is True
    assert json.loads(response["entityState"]) == 0


@pytest.mark.parametrize(
    ("state", "operation"),
    [(MAX_VALUE - 1, op("add", 2)), (-MAX_VALUE, op("subtract", 1))],
)
def test_the_counter_never_leaves_the_json_safe_range(state: int, operation: Any) -> None:
    response = run(operation, state=state)

    ((is_error, message),) = outcomes(response)
    assert is_error
    assert "range" in message
    assert json.loads(response["entityState"]) == state


def test_a_corrupt_state_refuses_arithmetic_but_can_be_reset() -> None:
    response = run(op("add", 1), op("reset"), op("add", 2), state="not a number")

    assert [is_error for is_error, _ in outcomes(response)] == [True, False, False]
    assert json.loads(response["entityState"]) == 2
