"""Contracts of an order's manual recovery: compensations that kept failing wait for an operator.

The saga records each round of unresolved compensations in the `OrderRecovery` table (by
order id), shows `awaiting_recovery` in its custom status and waits for a decision raised by
`POST /api/orders/{orderId}/recovery`: retry the compensations, or record them as resolved
by hand. docs/order-recovery.md explains the design.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    Field,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from shared.models.approvals.expense import IdentitySource
from shared.models.base import Contract, InstanceId
from shared.models.orders.order import OrderId
from shared.models.orders.workflow import (
    CompensationOutcome,
    OrderProgress,
    OrderSagaInput,
    OrderSagaResult,
    SagaStep,
)

#: How often operations hear again about an order that still awaits their decision.
DEFAULT_REMINDER_SECONDS = 4 * 3600
#: Reminders per orchestration generation: then the saga continues as new, so its history
#: stays small however long the order waits.
REMINDERS_PER_GENERATION = 20

RecoveryNote = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
#: Who decided: the signed-in principal, or the body's `operator` without platform sign-in.
Operator = Annotated[str, StringConstraints(min_length=1, max_length=254)]


def recovery_event_name(round_number: int) -> str:
    """One event name per round: a late decision for an earlier round decides nothing."""
    return f"recovery-decision-{round_number}"


class RecoveryAction(StrEnum):
    #: Run the unresolved compensations again (after the cause was fixed).
    RETRY = "retry"
    #: An operator undid the effects by hand; the note says how.
    RESOLVE = "resolve"


class RecoveryDecisionRequest(Contract):
    """Body of `POST /api/orders/{orderId}/recovery`."""

    round: StrictInt = Field(
        ge=1, description="The recovery round decided, as the order's view shows it."
    )
    action: RecoveryAction
    note: RecoveryNote | None = Field(
        None,
        validate_default=True,
        description="Why, or what was done by hand; required to resolve.",
    )
    operator: Operator | None = Field(
        None,
        description=(
            "Who decides, when App Service Authentication is off; with it on, the signed-in "
            "user decides and a different value here is refused."
        ),
    )

    @field_validator("note")
    @classmethod
    def _resolve_needs_a_note(cls, note: str | None, info: ValidationInfo) -> str | None:
        if note is None and info.data.get("action") is RecoveryAction.RESOLVE:
            raise ValueError("a note is required to resolve by hand")
        return note


class RecoveryDecisionEvent(Contract):
    """What the saga learns of a decision (its event and output): who decided stays in the
    store, so no history holds an operator's name."""

    order_id: OrderId
    round: StrictInt = Field(ge=1)
    action: RecoveryAction
    note: RecoveryNote | None = None
    identity_source: IdentitySource
    decided_at: AwareDatetime


class RecoveryDecision(RecoveryDecisionEvent):
    """An operator's decision on one round, as audited: who, when, what."""

    decided_by: Operator

    def same_decision_as(self, other: RecoveryDecision) -> bool:
        """A repeated request: the same round, action, note and operator (time aside)."""
        return self.model_dump(exclude={"decided_at"}) == other.model_dump(exclude={"decided_at"})

    def event(self) -> RecoveryDecisionEvent:
        return RecoveryDecisionEvent.model_validate(self.model_dump(exclude={"decided_by"}))


class RecoveredOrderResult(OrderSagaResult):
    """The saga's output: its result, and every recovery decision it acted on."""

    recovery_decisions: list[RecoveryDecisionEvent] = Field(default_factory=list)


class RecoveryRound(Contract):
    """One round of compensations that kept failing, as stored for operators."""

    order_id: OrderId
    instance_id: InstanceId
    round: StrictInt = Field(ge=1)
    failed_step: SagaStep
    unresolved: list[CompensationOutcome]
    awaiting_since: datetime
    decision: RecoveryDecision | None = None


class RecoveryDecisionQuery(Contract):
    """Input of `read_recovery_decision`: which round's decision to look up."""

    order_id: OrderId
    round: StrictInt = Field(ge=1)


class RecoveryDecisionLookup(Contract):
    """Output of `read_recovery_decision`: the round's decision, if one was recorded."""

    decision: RecoveryDecisionEvent | None = None


class RecoveryResume(Contract):
    """What a continued saga needs to go on waiting: the round and the result so far."""

    round: StrictInt = Field(ge=1)
    reminders_sent: StrictInt = Field(0, ge=0)
    failed_step: SagaStep
    unresolved: list[CompensationOutcome]
    awaiting_since: datetime
    result: RecoveredOrderResult


class RecoverableOrderInput(OrderSagaInput):
    """The saga's input, plus where to resume when it continued as new while waiting."""

    recovery_reminder_seconds: StrictInt = Field(DEFAULT_REMINDER_SECONDS, ge=60, le=7 * 86400)
    resume: RecoveryResume | None = None


class OrderRouteParams(Contract):
    order_id: OrderId


class RecoveryListQuery(Contract):
    state: Literal["awaiting", "decided", "all"] = "awaiting"


class RecoveryList(Contract):
    rounds: list[RecoveryRound]


class OrderView(Contract):
    """`GET /api/orders/{orderId}`: where the order stands, and any recovery it waits for."""

    order_id: OrderId
    instance_id: InstanceId
    runtime_status: str
    awaiting_recovery: bool
    progress: OrderProgress | None = None
    result: RecoveredOrderResult | None = None
    recovery: list[RecoveryRound] = Field(default_factory=list)


class RecoveryDecisionAccepted(Contract):
    """202 of a decision: recorded and delivered; the order's view shows what follows."""

    order_id: OrderId
    decision: RecoveryDecision
    order_url: str
