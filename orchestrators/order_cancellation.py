"""What a customer is told when the order saga cancels their order.

Pure and deterministic, so the saga can call it while replaying. The customer hears a reason
chosen from the failed step's error code, never the failure's own text (which is written for
operators and may name internal systems), and hears that their money was refunded only when
the refund actually succeeded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.errors import ErrorCode
from shared.models.orders.workflow import (
    CancellationReason,
    CompensationName,
    CompensationOutcome,
    CustomerPayment,
    SagaStep,
    StepFailure,
)
from shared.models.payments import PaymentReceipt, PaymentStatus

_REASON_OF_CODE = {
    ErrorCode.OUT_OF_STOCK.value: CancellationReason.OUT_OF_STOCK,
    ErrorCode.PAYMENT_DECLINED.value: CancellationReason.PAYMENT_DECLINED,
    ErrorCode.UNDELIVERABLE.value: CancellationReason.UNDELIVERABLE,
}

_BECAUSE = {
    CancellationReason.OUT_OF_STOCK: "some of the items you ordered are not available",
    CancellationReason.PAYMENT_DECLINED: "your payment was declined",
    CancellationReason.UNDELIVERABLE: "we cannot deliver to the shipping address you gave us",
    CancellationReason.TECHNICAL_PROBLEM: "of a technical problem on our side",
}


@dataclass(frozen=True)
class CancellationNotice:
    subject: str
    body: str
    data: dict[str, Any]


def cancellation_reason(failure: StepFailure) -> CancellationReason:
    """The customer's reason: a known business refusal, otherwise a technical problem."""
    if failure.step == SagaStep.RESERVE_INVENTORY.value and failure.code == ErrorCode.NOT_FOUND:
        return CancellationReason.OUT_OF_STOCK  # a SKU that no longer exists is unavailable too
    return _REASON_OF_CODE.get(failure.code, CancellationReason.TECHNICAL_PROBLEM)


def customer_payment(
    compensations: Sequence[CompensationOutcome], payment: PaymentReceipt | None
) -> CustomerPayment:
    """Where the customer's money stands once the compensations have run.

    No refund ran when no charge was attempted or the charge was declined (a permanent
    failure leaves no effect). A successful refund reports what it found: `refunded`, or
    `voided`/`declined` when nothing had been taken.
    """
    refund = next(
        (c for c in compensations if c.compensation is CompensationName.REFUND_PAYMENT), None
    )
    if refund is None:
        return CustomerPayment.NOT_CHARGED
    if not refund.succeeded or payment is None or payment.status is PaymentStatus.CHARGED:
        return CustomerPayment.REFUND_PENDING
    if payment.status is PaymentStatus.REFUNDED:
        return CustomerPayment.REFUNDED
    return CustomerPayment.NOT_CHARGED


def cancellation_notice(
    order_id: str,
    reason: CancellationReason,
    money: CustomerPayment,
    payment: PaymentReceipt | None,
) -> CancellationNotice:
    if money is CustomerPayment.REFUNDED and payment is not None:
        about_money = f"We have refunded the {payment.amount} {payment.currency} you paid."
    elif money is CustomerPayment.REFUND_PENDING:
        about_money = (
            "If you were charged for it, our support team is arranging your refund and will "
            "contact you."
        )
    else:
        about_money = "You have not been charged."
    data: dict[str, Any] = {"orderId": order_id, "reason": reason.value, "payment": money.value}
    if money is CustomerPayment.REFUNDED and payment is not None:
        data["refundedAmount"] = str(payment.amount)
        data["currency"] = payment.currency
    return CancellationNotice(
        subject=f"Your order {order_id} could not be completed",
        body=(
            f"We are sorry: we could not complete your order {order_id} because "
            f"{_BECAUSE[reason]}. {about_money}"
        ),
        data=data,
    )
