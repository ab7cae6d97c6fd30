"""An order's recovery rounds and the decisions operators take on them, shared by the store,
the recovery activities and the routes (docs/order-recovery.md explains the design)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StrictInt, StringConstraints

from shared.models.base import Contract, InstanceId
from shared.models.orders.order import OrderId
from shared.models.orders.workflow import CompensationOutcome, RecoveryDecisionEvent, SagaStep

#: Who decided: the signed-in principal, or the body's `operator` without platform sign-in.
Operator = Annotated[str, StringConstraints(min_length=1, max_length=254)]


class RecoveryDecision(RecoveryDecisionEvent):
    """An operator's decision on one round, as audited: who, when, what."""

    decided_by: Operator

    def same_decision_as(self, other: RecoveryDecision) -> bool:
        """A repeated request: the same round, action, note and operator (time aside)."""
        return self.model_dump(exclude={"decided_at"}) == other.model_dump(exclude={"decided_at"})

    def event(self) -> RecoveryDecisionEvent:
        return RecoveryDecisionEvent.model_validate(self.model_dump(exclude={"decided_by"}))


class RecoveryRound(Contract):
    """One round of compensations that kept failing, as stored for operators."""

    order_id: OrderId
    instance_id: InstanceId
    round: StrictInt = Field(ge=1)
    failed_step: SagaStep
    unresolved: list[CompensationOutcome]
    awaiting_since: datetime
    decision: RecoveryDecision | None = None
