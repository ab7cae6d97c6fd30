"""One declaration per activity: trigger, input contract, error kinds, JSON out.

`Activities.activity` registers the activity trigger, runs the call inside the telemetry
boundary (`shared.telemetry.activity_boundary`: a span and the workflow's log fields),
validates the input with the activity's pydantic model (bad input is a permanent
`validation` error, never retried), turns the
store's exceptions into the error kinds the orchestrator's retry policy reads, through the one
table `STORE_ERRORS`, and returns the result contract as plain JSON. An activity body is its
effect and its own business rules; it catches no store exception.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import azure.durable_functions as df
from azure.functions.decorators.function_app import FunctionBuilder

from shared.approval_store import ApprovalNotFound
from shared.customer_store import CustomerNotFound
from shared.errors import (
    ActivityError,
    ErrorCode,
    ErrorKind,
    PermanentError,
    TransientError,
    validate_payload,
)
from shared.etag import ConcurrencyExhausted
from shared.idempotency import FingerprintMismatch, key_reused, not_undone
from shared.inventory_store import OutOfStock, ReservationReleased, UnknownSku
from shared.models.base import Contract
from shared.storage_faults import is_transient_storage_fault, storage_fault_detail
from shared.telemetry import activity_boundary

#: The parameter name every activity's input binds to.
INPUT_NAME: Final = "request"

In = TypeVar("In", bound=Contract)
Body = Callable[[In], Contract]


@dataclass(frozen=True)
class Failing:
    """What an error message may name: the activity, its idempotency key, whether it undoes."""

    activity: str
    key: str | None
    compensation: bool


def _as_is(error: BaseException, failing: Failing) -> str:
    return str(error)


def _storage_down(error: BaseException, failing: Failing) -> str:
    return f"{failing.activity}: table storage unavailable ({storage_fault_detail(error)})"


def _key_taken(error: BaseException, failing: Failing) -> str:
    if failing.key is None:
        return str(error)
    if failing.compensation:
        return not_undone(failing.key, str(error)).info.message
    return key_reused(failing.key).info.message


def _is(*types: type[BaseException]) -> Callable[[BaseException], bool]:
    return lambda error: isinstance(error, types)


@dataclass(frozen=True)
class StoreErrorKind:
    """How one kind of store exception reaches the orchestrator, and what it says."""

    applies: Callable[[BaseException], bool]
    kind: ErrorKind
    code: ErrorCode
    message: Callable[[BaseException, Failing], str] = _as_is


#: Every store exception an activity may meet, and what it means for a retry. The first row
#: that applies wins; an exception no row names (a bug, a 400 from storage) keeps its own type,
#: which the orchestrator treats as transient `unexpected`, bounded by its retry budget.
STORE_ERRORS: Final = (
    # Storage throttled, timed out or briefly unreachable: a later attempt can succeed.
    StoreErrorKind(
        is_transient_storage_fault, ErrorKind.TRANSIENT, ErrorCode.UNAVAILABLE, _storage_down
    ),
    # Lost every ETag race on a hot row: the next attempt reads a fresher row.
    StoreErrorKind(_is(ConcurrencyExhausted), ErrorKind.TRANSIENT, ErrorCode.CONFLICT),
    # The key already holds a different request's effect: no attempt can change that.
    StoreErrorKind(_is(FingerprintMismatch), ErrorKind.PERMANENT, ErrorCode.CONFLICT, _key_taken),
    StoreErrorKind(
        _is(UnknownSku, CustomerNotFound, ApprovalNotFound),
        ErrorKind.PERMANENT,
        ErrorCode.NOT_FOUND,
    ),
    StoreErrorKind(_is(OutOfStock), ErrorKind.PERMANENT, ErrorCode.OUT_OF_STOCK),
    StoreErrorKind(_is(ReservationReleased), ErrorKind.PERMANENT, ErrorCode.CONFLICT),
)


def as_activity_error(error: BaseException, failing: Failing) -> ActivityError | None:
    """The error `STORE_ERRORS` makes of `error`, or None when no row applies."""
    for row in STORE_ERRORS:
        if row.applies(error):
            raised = PermanentError if row.kind is ErrorKind.PERMANENT else TransientError
            return raised(row.code, row.message(error, failing))
    return None


class Activities:
    """One module's activities: `bp` goes into function_app.py; calling it declares each.

    `activity = Activities()`, then `@activity(Model)` over `def name(command: Model) -> Result`.
    """

    def __init__(self) -> None:
        self.bp = df.Blueprint()

    def __call__(
        self, model: type[In], *, compensation: bool = False
    ) -> Callable[[Body[In]], FunctionBuilder]:
        """Declare `body(command) -> result` as the activity named after it, taking `model`.

        `compensation=True` marks an undo step: a key holding another request's effect is
        reported as left untouched (`not_undone`) rather than as a reused key.
        """

        def register(body: Body[In]) -> FunctionBuilder:
            name = body.__name__

            def run(request: dict[str, Any]) -> dict[str, Any]:
                with activity_boundary(name, request):
                    command = validate_payload(model, request)
                    try:
                        return body(command).to_json()
                    except ActivityError:
                        raise
                    except Exception as exc:
                        key = getattr(command, "idempotency_key", None)
                        failing = Failing(name, key, compensation)
                        mapped = as_activity_error(exc, failing)
                        if mapped is None:
                            raise
                        raise mapped from exc

            run.__name__ = run.__qualname__ = name
            run.__module__ = body.__module__
            run.__doc__ = body.__doc__
            builder: Any = self.bp.function_name(name)(run)
            built: FunctionBuilder = self.bp.activity_trigger(input_name=INPUT_NAME)(builder)
            return built

        return register
