"""What the order saga tells the customer and operations: each message's key, subject, body and
data, built from what the saga knows. Pure, so the saga builds them the same way on replay;
recipients are references, resolved where the notification is written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from orchestrators.order_cancellation import (
    cancellation_notice,
    cancellation_reason,
    customer_payment,
)
from orchestrators.retry import StepFailed
from shared.models.orders.workflow import CompensationOutcome, SagaStep, StepFailure
from shared.models.payments import PaymentReceipt
from shared.models.shipments import Shipment

#: Idempotency-key suffixes of the saga's notifications (the steps' are in ORDER_STEPS).
CONFIRMATION_KEY = "confirmation"
COMPENSATION_ALERT_KEY = "operations-alert"
CANCELLATION_KEY = "cancellation-notice"
CONFIRMATION_ALERT_KEY = "confirmation-alert"
RECOVERY_REMINDER_KEY = "recovery-reminder"


@dataclass(frozen=True)
class Message:
    """One notification's content; `key` is the suffix of its idempotency key."""

    key: str
    subject: str
    body: str
    data: dict[str, Any]


def confirmation(order_id: str, total: Decimal, shipment: Shipment) -> Message:
    """The customer's confirmation once the order shipped."""
    return Message(
        key=CONFIRMATION_KEY,
        subject=f"Your order {order_id} is on its way",
        body=(
            f"We charged {total} and shipped your order with "
            f"{shipment.carrier}, tracking number {shipment.tracking_number}."
        ),
        data={
            "orderId": order_id,
            "total": str(total),
            "shipmentId": shipment.shipment_id,
            "trackingNumber": shipment.tracking_number,
        },
    )


def cancellation(
    order_id: str,
    failure: StepFailure,
    compensations: Sequence[CompensationOutcome],
    payment: PaymentReceipt | None,
) -> Message:
    """The customer's notice once the compensations of a failed order have run."""
    notice = cancellation_notice(
        order_id,
        cancellation_reason(failure),
        customer_payment(compensations, payment),
        payment,
    )
    return Message(CANCELLATION_KEY, notice.subject, notice.body, notice.data)


def confirmation_alert(order_id: str, instance_id: str, failed: StepFailed) -> Message:
    """Operations resend a confirmation that could not be written."""
    return Message(
        key=CONFIRMATION_ALERT_KEY,
        subject=f"Order {order_id} shipped without a confirmation",
        body=f"The confirmation of order {order_id} could not be sent: {failed}",
        data={"orderId": order_id, "instanceId": instance_id},
    )


def recovery_alert(
    order_id: str,
    instance_id: str,
    failed_step: SagaStep,
    failure: StepFailure,
    broken: Sequence[CompensationOutcome],
    customer_notified: bool,
    round_number: int,
) -> Message:
    """Operations decide a round of compensations that kept failing (the first keeps its key)."""
    names = [outcome.compensation.value for outcome in broken]
    key = (
        COMPENSATION_ALERT_KEY if round_number == 1 else f"{COMPENSATION_ALERT_KEY}-{round_number}"
    )
    return Message(
        key=key,
        subject=f"Order {order_id} needs manual compensation",
        body=(
            f"The order failed at {failed_step.value} ({failure.code}: {failure.message}). "
            f"These compensations kept failing: {', '.join(names)}. Fix the cause and retry "
            "them, or record them as resolved by hand: POST "
            f"/api/orders/{order_id}/recovery with round {round_number}."
        ),
        data={
            "orderId": order_id,
            "instanceId": instance_id,
            "failedStep": failed_step.value,
            "failedCompensations": names,
            "failures": [o.failure.to_json() for o in broken if o.failure is not None],
            "customerNotified": customer_notified,
            "recoveryRound": round_number,
        },
    )


def recovery_reminder(
    order_id: str,
    instance_id: str,
    failed_step: SagaStep,
    broken: Sequence[CompensationOutcome],
    round_number: int,
    reminder: int,
) -> Message:
    """Operations hear again about a round that still waits for their decision."""
    names = [outcome.compensation.value for outcome in broken]
    return Message(
        key=f"{RECOVERY_REMINDER_KEY}-{round_number}-{reminder}",
        subject=f"Reminder: order {order_id} still needs manual compensation",
        body=(
            f"Order {order_id} (failed at {failed_step.value}) still waits for a "
            f"decision on round {round_number}: {', '.join(names)}."
        ),
        data={
            "orderId": order_id,
            "instanceId": instance_id,
            "recoveryRound": round_number,
            "reminder": reminder,
            "failedCompensations": names,
        },
    )
