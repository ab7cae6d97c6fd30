"""The `counter` durable entity: add, subtract, reset and get on one integer.

Operations arrive in batches and run one at a time. A rejected operation (a missing, non-
integer, zero or oversized amount, a result beyond ±(2**53 - 1), an unknown name) raises
before touching the state, so it reports an error to its caller while the operations around
it in the same batch still apply. The SDK keeps whatever state was set before an exception,
which is why every check here comes first.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from shared.models.counters import MAX_AMOUNT, MAX_VALUE, CounterOperation

bp = df.Blueprint()


class CounterOperationError(ValueError):
    """An operation the counter refuses; the caller gets its message as the error."""


@bp.entity_trigger(context_name="context")
def counter(context: df.DurableEntityContext) -> None:
    name = context.operation_name or ""
    try:
        operation = CounterOperation(name)
    except ValueError:
        allowed = ", ".join(op.value for op in CounterOperation)
        raise CounterOperationError(f"unknown operation '{name}'; use one of {allowed}") from None

    if operation is CounterOperation.RESET:
        _store(context, 0)
    elif operation is CounterOperation.GET:
        _store(context, _current(context))  # a read of a new counter creates it at 0
    else:
        amount = _amount(context, operation)
        sign = 1 if operation is CounterOperation.ADD else -1
        _store(context, _current(context) + sign * amount)


def _store(context: df.DurableEntityContext, value: int) -> None:
    if abs(value) > MAX_VALUE:
        raise CounterOperationError(f"the counter would leave the range ±{MAX_VALUE}")
    context.set_state(value)
    context.set_result(value)  # always set: the SDK would otherwise repeat the last result


def _current(context: df.DurableEntityContext) -> int:
    state: Any = context.get_state(lambda: 0)
    if type(state) is not int:
        raise CounterOperationError("the stored counter is not an integer; reset it")
    return state


def _amount(context: df.DurableEntityContext, operation: CounterOperation) -> int:
    try:
        amount: Any = context.get_input()
    except (TypeError, ValueError):  # no input at all, or not JSON
        amount = None
    if type(amount) is not int or not 1 <= amount <= MAX_AMOUNT:
        raise CounterOperationError(
            f"{operation.value} needs an integer amount from 1 to {MAX_AMOUNT}, got {amount!r:.40}"
        )
    return amount
