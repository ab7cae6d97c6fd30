"""The `counter` entity through the SDK's real entity handler, fed the host's batch JSON
(protocol doc §3.2: operation inputs are JSON text of JSON text; results are JSON text).

A keyed operation (`{amount, requestId, sentAt, expiresAt}`) is applied once per request id
until its key expires; unkeyed ones (a bare amount) always count."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from entities.counter import counter
from shared.models.counters import (
    MAX_AMOUNT,
    MAX_VALUE,
    REMEMBERED_REQUESTS,
    CounterInput,
)
from tests.support.functions import entity_handler

handle = entity_handler(counter)
_MISSING = object()
SENT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


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


def keyed(
    name: str,
    amount: int | None,
    request: int,
    sent: datetime = SENT,
    retention: timedelta = DAY,
) -> dict[str, Any]:
    """A keyed operation, as `POST /counters/{key}/{name}` with an Idempotency-Key signals it
    when IDEMPOTENCY_KEY_RETENTION_HOURS is `retention`."""
    keyed_input = CounterInput(
        amount=amount, request_id=f"{request:032x}", sent_at=sent, expires_at=sent + retention
    )
    return op(name, keyed_input.wire())


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


def outcomes(response: dict[str, Any]) -> list[tuple[bool, Any]]:
    return [(r["isError"], json.loads(r["result"])) for r in response["results"]]


def stored(response: dict[str, Any]) -> dict[str, Any]:
    state: dict[str, Any] = json.loads(response["entityState"])
    return state


def value(response: dict[str, Any]) -> int:
    number: int = stored(response)["value"]
    return number


def remembered(response: dict[str, Any]) -> list[int]:
    """The request numbers (see `keyed`) the counter remembers, oldest first."""
    return [int(request_id, 16) for request_id in stored(response)["rememberedRequests"]]


def test_operations_apply_in_order_and_report_the_new_value() -> None:
    response = run(op("add", 5), op("add", 3), op("subtract", 10), op("get", signal=False))

    assert outcomes(response) == [(False, 5), (False, 8), (False, -2), (False, -2)]
    assert response["entityExists"] is True
    assert value(response) == -2


def test_the_stored_state_is_where_a_batch_starts() -> None:
    response = run(op("add", 1), state=41)

    assert value(response) == 42


def test_reset_sets_zero() -> None:
    response = run(op("reset"), op("get", None), state=17)

    assert outcomes(response) == [(False, 0), (False, 0)]
    assert value(response) == 0


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
        op("add", {"amount": 1, "by": 2}),  # an object with an unknown field
        op("add", {"amount": "1"}),  # an object with a numeric string
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
    bare, objects = errors[:7] + errors[9:11], errors[7:9]
    assert all(f"integer amount from 1 to {MAX_AMOUNT}" in message for _, message in bare)
    assert [message.split(":")[:2] for _, message in objects] == [
        ["invalid add input", " by"],
        ["invalid add input", " amount"],
    ]
    assert "unknown operation 'multiply'" in errors[-1][1]
    assert value(response) == 3


def test_a_batch_of_only_invalid_operations_leaves_a_new_counter_unborn() -> None:
    response = run(op("add", "lots"), op("explode"))

    assert [is_error for is_error, _ in outcomes(response)] == [True, True]
    assert response["entityExists"] is False


def test_reading_a_new_counter_creates_it_at_zero() -> None:
    response = run(op("get", None, signal=False))

    assert outcomes(response) == [(False, 0)]
    assert response["entityExists"] is True
    assert value(response) == 0


@pytest.mark.parametrize(
    ("state", "operation"),
    [(MAX_VALUE - 1, op("add", 2)), (-MAX_VALUE, op("subtract", 1))],
)
def test_the_counter_never_leaves_the_json_safe_range(state: int, operation: Any) -> None:
    response = run(operation, state=state)

    ((is_error, message),) = outcomes(response)
    assert is_error
    assert "range" in message
    assert json.loads(response["entityState"]) == state  # untouched


def test_a_corrupt_state_refuses_arithmetic_but_can_be_reset() -> None:
    response = run(op("add", 1), op("reset"), op("add", 2), state="not a number")

    assert [is_error for is_error, _ in outcomes(response)] == [True, False, False]
    assert value(response) == 2


def test_a_repeated_request_is_applied_once() -> None:
    """A retry whose first attempt reached the counter (its answer was lost) counts once."""
    first = run(keyed("add", 5, request=1), keyed("add", 5, request=1), state=10)
    retried = run(keyed("add", 5, request=1, sent=SENT + timedelta(minutes=2)), state=stored(first))

    assert outcomes(first) == [(False, 15), (False, 15)]
    assert outcomes(retried) == [(False, 15)]
    assert value(retried) == 15
    assert remembered(retried) == [1]


def test_different_requests_and_unkeyed_signals_each_count() -> None:
    response = run(
        keyed("add", 5, request=1),
        keyed("add", 5, request=2),
        op("add", 5),
        op("add", 5),
        keyed("subtract", 1, request=3),
    )

    assert value(response) == 19
    assert remembered(response) == [1, 2, 3]


def test_a_repeated_reset_does_not_undo_what_came_after_it() -> None:
    response = run(keyed("reset", None, request=1), op("add", 4), keyed("reset", None, request=1))

    assert outcomes(response) == [(False, 0), (False, 4), (False, 4)]
    assert value(response) == 4


def test_a_counter_stored_as_a_bare_integer_keeps_its_value_and_learns_requests() -> None:
    response = run(op("get", signal=False), keyed("add", 2, request=7), state=40)

    assert outcomes(response) == [(False, 40), (False, 42)]
    assert stored(response) == {"value": 42, "rememberedRequests": {f"{7:032x}": unix(SENT + DAY)}}


def test_the_counter_forgets_the_request_expiring_soonest_beyond_the_bound() -> None:
    full = {
        "value": 0,
        "rememberedRequests": {
            f"{n:032x}": unix(SENT + DAY) + n for n in range(REMEMBERED_REQUESTS)
        },
    }

    response = run(
        keyed("add", 1, request=REMEMBERED_REQUESTS, retention=2 * DAY),
        keyed("add", 1, request=1),
        state=full,
    )

    assert remembered(response) == list(range(1, REMEMBERED_REQUESTS + 1))
    assert value(response) == 1  # request 1 was still remembered
    again = run(keyed("add", 1, request=0), state=stored(response))
    assert value(again) == 2  # request 0 was forgotten: it counts again


@pytest.mark.parametrize("retention_hours", [1, 24, 48, 720])
def test_a_request_is_remembered_exactly_as_long_as_its_key(retention_hours: int) -> None:
    """The replay store and the counter agree: a retry the store runs again while its key holds
    (a takeover after a crash) counts once; the same request after the key expired counts again,
    as the store then starts the key anew."""
    retention = timedelta(hours=retention_hours)
    first = run(keyed("add", 5, request=1, retention=retention), state=0)

    just_before = SENT + retention - timedelta(seconds=1)
    retried = run(
        keyed("add", 5, request=1, sent=just_before, retention=retention), state=stored(first)
    )
    after = run(
        keyed("add", 5, request=1, sent=SENT + retention, retention=retention), state=stored(first)
    )

    assert value(retried) == 5
    assert value(after) == 10


def test_a_request_is_never_forgotten_before_its_key_expires() -> None:
    """The state keeps whole seconds: an expiry within a second rounds up, never down."""
    expires = SENT + DAY + timedelta(milliseconds=500)
    keyed_input = CounterInput(amount=1, request_id=f"{1:032x}", sent_at=SENT, expires_at=expires)
    first = run(op("add", keyed_input.wire()), state=0)
    retry = keyed_input.model_copy(update={"sent_at": expires - timedelta(milliseconds=100)})

    again = run(op("add", retry.wire()), state=stored(first))

    assert stored(first)["rememberedRequests"] == {f"{1:032x}": unix(SENT + DAY) + 1}
    assert value(again) == 1


def test_a_retry_keeps_the_request_until_the_key_it_claimed_expires() -> None:
    """A takeover claims the key anew, with a later expiry: the counter follows it."""
    first = run(keyed("add", 5, request=1), state=0)
    taken_over = SENT + timedelta(hours=20)
    retried = run(keyed("add", 5, request=1, sent=taken_over), state=stored(first))

    assert stored(retried)["rememberedRequests"] == {f"{1:032x}": unix(taken_over + DAY)}
    again = run(keyed("add", 5, request=1, sent=SENT + timedelta(hours=30)), state=stored(retried))
    assert value(again) == 5


def test_expired_requests_are_forgotten_when_a_later_one_arrives() -> None:
    response = run(
        keyed("add", 1, request=1, retention=timedelta(hours=1)),
        keyed("add", 1, request=2, sent=SENT + timedelta(minutes=30)),
        keyed("add", 1, request=3, sent=SENT + timedelta(hours=1)),
    )

    assert remembered(response) == [2, 3]


def test_a_request_sent_after_its_key_expired_is_not_remembered() -> None:
    late = CounterInput(
        amount=1, request_id=f"{1:032x}", sent_at=SENT, expires_at=SENT - timedelta(seconds=1)
    )
    response = run(op("add", late.wire()), op("add", late.wire()))

    assert value(response) == 2
    assert remembered(response) == []


def test_a_keyed_signal_without_an_expiry_is_remembered_for_the_default_retention() -> None:
    bare = {"amount": 1, "requestId": f"{1:032x}", "sentAt": SENT.isoformat()}

    response = run(op("add", bare), state=0)

    assert stored(response)["rememberedRequests"] == {f"{1:032x}": unix(SENT + DAY)}


def test_a_counter_that_remembers_requests_by_when_they_were_sent_keeps_them_a_day() -> None:
    earlier = {"value": 7, "recentRequests": {f"{1:032x}": unix(SENT), f"{2:032x}": unix(SENT)}}

    response = run(
        keyed("add", 1, request=1, sent=SENT + DAY - timedelta(seconds=1)),
        keyed("add", 1, request=2, sent=SENT + DAY),
        state=earlier,
    )

    assert outcomes(response) == [(False, 7), (False, 8)]
    assert stored(response)["rememberedRequests"] == {
        f"{1:032x}": unix(SENT + 2 * DAY) - 1,  # the retry's own key
        f"{2:032x}": unix(SENT + 2 * DAY),
    }


def test_a_refused_keyed_operation_is_not_remembered() -> None:
    response = run(keyed("add", 2, request=1), state=MAX_VALUE - 1)

    assert [is_error for is_error, _ in outcomes(response)] == [True]
    assert json.loads(response["entityState"]) == MAX_VALUE - 1


@pytest.mark.parametrize(
    ("operation", "error"),
    [
        (op("add", {"amount": 1, "requestId": "not-hex", "sentAt": SENT.isoformat()}), "requestId"),
        (op("add", {"amount": 1, "requestId": f"{1:032x}"}), "sentAt come together"),
        (
            op("add", {"amount": 1, "requestId": f"{1:032x}", "sentAt": "2026-12-03T09:00:00"}),
            "sentAt",
        ),
        (op("add", {"requestId": f"{1:032x}", "sentAt": SENT.isoformat()}), "integer amount"),
        (
            op("reset", {"amount": 1, "requestId": f"{1:032x}", "sentAt": SENT.isoformat()}),
            "no amount",
        ),
        (op("add", {"amount": 1, "expiresAt": SENT.isoformat()}), "expiresAt comes with"),
        (
            op(
                "add",
                {
                    "amount": 1,
                    "requestId": f"{1:032x}",
                    "sentAt": SENT.isoformat(),
                    "expiresAt": (SENT + timedelta(hours=721)).isoformat(),
                },
            ),
            "more than 720 hours",
        ),
    ],
)
def test_a_malformed_keyed_operation_is_refused_before_touching_the_counter(
    operation: dict[str, Any], error: str
) -> None:
    response = run(operation, state=3)

    ((is_error, message),) = outcomes(response)
    assert is_error
    assert error in message
    assert json.loads(response["entityState"]) == 3
