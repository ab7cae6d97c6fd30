"""The `counter` durable entity: add, subtract, reset and get on one integer.

Operations arrive in batches and run one at a time. A rejected operation (an input outside
`CounterInput`, a missing amount, a result beyond ±(2**53 - 1), an unknown name) raises before
touching the state, so it reports an error to its caller while the operations around it in the
same batch still apply. The SDK keeps whatever state was set before an exception, which is why
every check here comes first.

A keyed operation (sent with an `Idempotency-Key`) carries a request id and when its key
expires; the counter remembers each id it applied until then and applies a repeated one once,
so a retry whose first attempt signalled but never got its answer stored cannot count twice
(docs/idempotency.md).
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df
from pydantic import ValidationError

from shared.models.counters import (
    MAX_AMOUNT,
    MAX_VALUE,
    REMEMBERED_REQUESTS,
    CounterInput,
    CounterOperation,
    CounterState,
)

bp = df.Blueprint()


class CounterOperationError(ValueError):
    """An operation the counter refuses; the caller gets its message as the error."""


@bp.entity_trigger(context_name="context")
def counter(context: df.DurableEntityContext) -> None:
    operation = _operation(context)
    request = _input(context, operation)
    state = _state(context, operation)
    if _applied_before(state, request):
        value = state.value  # a retry of a request already applied: counted once
    elif operation is CounterOperation.RESET:
        value = 0
    elif operation is CounterOperation.GET:
        value = state.value  # a read of a new counter creates it at 0
    else:
        sign = 1 if operation is CounterOperation.ADD else -1
        value = state.value + sign * _required_amount(request, operation)
    if abs(value) > MAX_VALUE:
        raise CounterOperationError(f"the counter would leave the range ±{MAX_VALUE}")
    remembered = _remember(state.remembered_requests, request)
    context.set_state(CounterState(value=value, remembered_requests=remembered).to_json())
    context.set_result(value)  # always set: the SDK would otherwise repeat the last result


def _operation(context: df.DurableEntityContext) -> CounterOperation:
    name = context.operation_name or ""
    try:
        return CounterOperation(name)
    except ValueError:
        allowed = ", ".join(op.value for op in CounterOperation)
        raise CounterOperationError(f"unknown operation '{name}'; use one of {allowed}") from None


def _input(context: df.DurableEntityContext, operation: CounterOperation) -> CounterInput:
    """The operation's validated input; `get` ignores whatever it was sent."""
    if operation is CounterOperation.GET:
        return CounterInput()
    try:
        raw: Any = context.get_input()
    except (TypeError, ValueError):  # no input at all, or not JSON
        raw = None
    try:
        request = CounterInput.from_json(raw)
    except ValidationError as exc:
        if not isinstance(raw, dict):
            raise CounterOperationError(_amount_needed(operation, raw)) from None
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg']}" for e in exc.errors()
        )
        raise CounterOperationError(f"invalid {operation.value} input: {problems}") from None
    if operation is CounterOperation.RESET and request.amount is not None:
        raise CounterOperationError("reset takes no amount")
    return request


def _required_amount(request: CounterInput, operation: CounterOperation) -> int:
    if request.amount is None:
        raise CounterOperationError(_amount_needed(operation, None))
    return request.amount


def _amount_needed(operation: CounterOperation, got: Any) -> str:
    return f"{operation.value} needs an integer amount from 1 to {MAX_AMOUNT}, got {got!r:.40}"


def _state(context: df.DurableEntityContext, operation: CounterOperation) -> CounterState:
    """The stored state (a bare integer reads as a value with no remembered requests)."""
    try:
        return CounterState.from_json(context.get_state(lambda: 0))
    except ValidationError:
        if operation is CounterOperation.RESET:  # the way out of a corrupt state
            return CounterState(value=0)
        raise CounterOperationError("the stored counter is not an integer; reset it") from None


def _applied_before(state: CounterState, request: CounterInput) -> bool:
    """Whether the request's id is remembered, and its key had not expired when it was sent."""
    if request.request_id is None or request.sent_at is None:
        return False
    until = state.remembered_requests.get(request.request_id)
    return until is not None and until > request.sent_at.timestamp()


def _remember(remembered: dict[str, int], request: CounterInput) -> dict[str, int]:
    """`remembered` with the request's id kept until its key expires, soonest first.

    The entity has no clock: its time is the request's `sentAt`, so an id is forgotten once a
    request sent after its key expired arrives, or when `REMEMBERED_REQUESTS` others expire
    later, whichever comes first. A retry of a request keeps its id for the later expiry.
    """
    until = request.remembered_until()
    if request.request_id is None or request.sent_at is None or until is None:
        return remembered
    now = request.sent_at.timestamp()
    kept = {request_id: at for request_id, at in remembered.items() if at > now}
    if until > now:  # else its key had expired before it was sent: nothing to remember
        kept[request.request_id] = max(until, kept.get(request.request_id, until))
    return dict(sorted(kept.items(), key=lambda item: item[1])[-REMEMBERED_REQUESTS:])
