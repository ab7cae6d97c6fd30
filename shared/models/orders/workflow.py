"""Workflow contracts of the order saga: retry policies, input, steps, compensations, progress,
result, and the recovery an operator decides when compensations keep failing."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    Field,
    StrictFloat,
    StrictInt,
    StringConstraints,
    model_validator,
)

from shared.errors import ErrorKind
from shared.idempotency import Fingerprint
from shared.models.approvals.expense import IdentitySource
from shared.models.base import Contract
from shared.models.inventory import (
    InventoryRelease,
    InventoryReservation,
    Money,
    OrderItems,
)
from shared.models.notifications import NotificationReceipt
from shared.models.orders.order import OrderId
from shared.models.payments import PaymentReceipt
from shared.models.shipments import Shipment


class RetryPolicy(Contract):
    """Exponential backoff for one kind of step, bounded so no request can stall for days."""

    max_attempts: StrictInt = Field(ge=1, le=10)
    first_delay_seconds: StrictFloat = Field(ge=1, le=300)
    multiplier: StrictFloat = Field(2.0, ge=1, le=10)
    max_delay_seconds: StrictFloat = Field(ge=1, le=3600)

    @model_validator(mode="after")
    def _check_order(self) -> RetryPolicy:
        if self.max_delay_seconds < self.first_delay_seconds:
            raise ValueError("maxDelaySeconds must be at least firstDelaySeconds")
        return self

    @property
    def first_delay(self) -> timedelta:
        return timedelta(seconds=self.first_delay_seconds)

    @property
    def max_delay(self) -> timedelta:
        return timedelta(seconds=self.max_delay_seconds)


#: Forward steps: a few quick retries, then the saga gives up and compensates.
DEFAULT_STEP_RETRY = RetryPolicy(
    max_attempts=4, first_delay_seconds=2, multiplier=2, max_delay_seconds=30
)
#: Compensations: more patience, since giving up means a human has to intervene.
DEFAULT_COMPENSATION_RETRY = RetryPolicy(
    max_attempts=6, first_delay_seconds=2, multiplier=2, max_delay_seconds=60
)


class OrderSagaInput(Contract):
    """Input of the `order_fulfillment_saga` orchestration: references, never personal data."""

    order_id: OrderId
    items: OrderItems
    order_fingerprint: Fingerprint = Field(
        description="`OrderDetails.fingerprint()` of the details stored for this order."
    )
    step_retry: RetryPolicy = DEFAULT_STEP_RETRY
    compensation_retry: RetryPolicy = DEFAULT_COMPENSATION_RETRY

    def same_order_as(self, other: OrderSagaInput) -> bool:
        """Whether two inputs describe one order (retry knobs aside)."""
        return (self.order_id, self.order_fingerprint) == (other.order_id, other.order_fingerprint)

    def fingerprint(self) -> str:
        return self.order_fingerprint


class SagaStep(StrEnum):
    RESERVE_INVENTORY = "reserve_inventory"
    CHARGE_PAYMENT = "charge_payment"
    CREATE_SHIPMENT = "create_shipment"
    SEND_CONFIRMATION = "send_confirmation"


class CompensationName(StrEnum):
    RELEASE_INVENTORY = "release_inventory"
    REFUND_PAYMENT = "refund_payment"
    CANCEL_SHIPMENT = "cancel_shipment"


class OrderStatus(StrEnum):
    COMPLETED = "completed"
    COMPENSATED = "compensated"
    #: Compensations kept failing: the saga waits for an operator (custom status only).
    AWAITING_RECOVERY = "awaiting_recovery"
    #: Compensations kept failing and an operator recorded them as undone by hand.
    RESOLVED_BY_HAND = "resolved_by_hand"


class CancellationReason(StrEnum):
    """Why a cancelled order failed, as the customer is told (never internal error text)."""

    OUT_OF_STOCK = "out_of_stock"
    PAYMENT_DECLINED = "payment_declined"
    UNDELIVERABLE = "undeliverable"
    TECHNICAL_PROBLEM = "technical_problem"


class CustomerPayment(StrEnum):
    """What happened to the customer's money once a cancelled order was compensated."""

    NOT_CHARGED = "not_charged"
    REFUNDED = "refunded"
    REFUND_PENDING = "refund_pending"  # the refund kept failing: operations must settle it


class StepFailure(Contract):
    """Why a step (or a compensation) failed for good."""

    step: str
    kind: ErrorKind
    code: str
    message: str
    attempts: int


class CompensationOutcome(Contract):
    """One compensation the saga ran: which step it undid and whether that worked."""

    step: SagaStep
    compensation: CompensationName
    succeeded: bool
    failure: StepFailure | None = None


class OrderProgress(Contract):
    """The saga's custom status: the phase it is in and, once failing, what went wrong."""

    order_id: OrderId
    step: str = Field(
        description=(
            "reserving_inventory | charging_payment | creating_shipment | sending_confirmation "
            "| compensating | notifying_customer | awaiting_recovery | completed | compensated "
            "| resolved_by_hand"
        )
    )
    status: Literal[
        "running", "completed", "compensated", "awaiting_recovery", "resolved_by_hand"
    ] = "running"
    failed_step: SagaStep | None = None
    compensating: CompensationName | None = None
    failed_compensations: list[CompensationName] = Field(default_factory=list)
    recovery_round: int | None = Field(
        None, description="While awaiting recovery: the round an operator's decision answers."
    )
    awaiting_since: datetime | None = None
    next_reminder: datetime | None = None


class OrderSagaResult(Contract):
    """Output of the saga: what happened to the order, step by step."""

    order_id: OrderId
    status: OrderStatus
    total: Money | None = None
    completed_steps: list[SagaStep]
    failure: StepFailure | None = None
    compensations: list[CompensationOutcome] = Field(default_factory=list)
    failed_compensations: list[CompensationOutcome] = Field(default_factory=list)
    reservation: InventoryReservation | None = None
    payment: PaymentReceipt | None = None
    shipment: Shipment | None = None
    release: InventoryRelease | None = None
    confirmation: NotificationReceipt | None = None
    confirmation_failure: StepFailure | None = None
    operations_alerted: bool | None = Field(
        None, description="Set when operations had to be told (compensation or confirmation)."
    )
    customer_notified: bool | None = Field(
        None,
        description=(
            "Set when the order was cancelled (compensated or resolved_by_hand): whether the "
            "customer's `order_cancelled` notification was written. Never changes the status."
        ),
    )


#: How often operations hear again about an order that still awaits their decision.
DEFAULT_REMINDER_SECONDS = 4 * 3600
#: Reminders per orchestration generation: then the saga continues as new, so its history
#: stays small however long the order waits.
REMINDERS_PER_GENERATION = 20
RecoveryNote = Annotated[str, StringConstraints(min_length=1, max_length=1000)]


def recovery_event_name(round_number: int) -> str:
    """One event name per round: a late decision for an earlier round decides nothing."""
    return f"recovery-decision-{round_number}"


class RecoveryAction(StrEnum):
    #: Run the unresolved compensations again (after the cause was fixed).
    RETRY = "retry"
    #: An operator undid the effects by hand; the note says how.
    RESOLVE = "resolve"


class RecoveryDecisionEvent(Contract):
    """What the saga learns of a decision (its event and output): who decided stays in the
    store, so no history holds an operator's name."""

    order_id: OrderId
    round: StrictInt = Field(ge=1)
    action: RecoveryAction
    note: RecoveryNote | None = None
    identity_source: IdentitySource
    decided_at: AwareDatetime


class RecoveredOrderResult(OrderSagaResult):
    """The saga's output: its result, and every recovery decision it acted on."""

    recovery_decisions: list[RecoveryDecisionEvent] = Field(default_factory=list)


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
