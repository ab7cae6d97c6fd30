"""The order saga's custom status and output, built from where the saga stands.

The custom status is what `GET /api/orders/{orderId}` and the dashboard show while the saga
runs; the output is the saga's result, and the state a continued generation resumes from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypedDict, Unpack

from shared.models.orders.workflow import (
    CompensationName,
    OrderProgress,
    OrderStatus,
    RecoveredOrderResult,
    RecoveryDecisionEvent,
    SagaStep,
)


class ProgressFields(TypedDict, total=False):
    """What the custom status says besides the step; each is absent (null) until set."""

    status: OrderStatus
    failed_step: SagaStep
    compensating: CompensationName
    failed_compensations: list[CompensationName]
    recovery_round: int
    awaiting_since: datetime
    next_reminder: datetime


def order_progress(order_id: str, step: str, **fields: Unpack[ProgressFields]) -> dict[str, Any]:
    """The custom status at `step`: `running` until the saga sets a final `status`."""
    status = fields.get("status")
    return OrderProgress(
        order_id=order_id,
        step=step,
        status=status.value if status else "running",
        failed_step=fields.get("failed_step"),
        compensating=fields.get("compensating"),
        failed_compensations=fields.get("failed_compensations") or [],
        recovery_round=fields.get("recovery_round"),
        awaiting_since=fields.get("awaiting_since"),
        next_reminder=fields.get("next_reminder"),
    ).to_json()


def order_result(
    order_id: str,
    status: OrderStatus,
    completed: Sequence[SagaStep],
    decisions: Sequence[RecoveryDecisionEvent],
    results: Mapping[str, Any],
) -> RecoveredOrderResult:
    """The saga's result from what its steps and compensations produced, by result field."""
    reservation = results.get("reservation")
    return RecoveredOrderResult(
        order_id=order_id,
        status=status,
        completed_steps=list(completed),
        recovery_decisions=list(decisions),
        **{"total": reservation.total if reservation else None, **results},
    )


def results_of(result: RecoveredOrderResult) -> dict[str, Any]:
    """The result fields `order_result` was given, read back from its result (to resume)."""
    return {
        name: getattr(result, name)
        for name in result.model_fields_set
        if name not in ("order_id", "status", "completed_steps", "recovery_decisions")
    }
