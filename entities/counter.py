"""The `counter` durable entity: add, subtract, reset and get on one integer.

Operations arrive in batches and run one at a time. A rejected operation (an input outside
`CounterInput`, a missing amount, a result beyond ±(2**53 - 1), an unknown name) raises before
touching the state, so it reports an error to its caller while the operations around it in the
same batch still apply. The SDK keeps whatever state was set before an exception, which is why
every check here comes first.

A keyed operation (sent with an `Idempotency-Key`) carries a request id; the counter remembers
the ids it applied recently and applies a repeated one once, so a retry whose first attempt
signalled but never got its answer stored cannot count twice (docs/idempotency.md).
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df
from pydantic import ValidationError

from shared.models.counters import (
    MAX_AMOUNT,
    MAX_VALUE,
    REMEMBERED_FOR,
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
    if request.request_id is not None and request.request_id in state.recent_requests:
        context.set_result(state.value)  # a retry of a request already applied
        return

    if operation is CounterOperation.RESET:
        value = 0
    elif operation is CounterOperation.GET:
        value = state.value  # a read of a new counter creates it at 0
    else:
        sign = 1 if operation is CounterOperation.ADD else -1
        value = state.value + sign * _required_amount(request, operation)
    if abs(value) > MAX_VALUE:
        raise CounterOperationError(f"the counter would leave the range ±{MAX_VALUE}")
    stored = CounterState(value=value, recent_requests=_remember(state.recent_requests, request))
    context.set_state(stored.to_json())
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


def _remember(recent: dict[str, int], request: CounterInput) -> dict[str, int]:
    """`recent` with the request's id added, oldest first, within the bounds both ways.

    The entity has no clock: its time is the newest `sentAt` it has seen, so an id is
    forgotten `REMEMBERED_FOR` after a newer request was sent, or once `REMEMBERED_REQUESTS`
    newer ones arrived, whichever comes first.
    """
    if request.request_id is None or request.sent_at is None:
        return recent
    sent = int(request.sent_at.timestamp())
    horizon = max([sent, *recent.values()]) - int(REMEMBERED_FOR.total_seconds())
    kept = {request_id: at for request_id, at in recent.items() if at >= horizon}
    kept[request.request_id] = sent
    return dict(list(kept.items())[-REMEMBERED_REQUESTS:])
