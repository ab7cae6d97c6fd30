"""Activity contracts of the payment provider: charge an order, refund it (the compensation)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from shared.idempotency import Fingerprint, fingerprint
from shared.models.base import Contract, IdempotencyKey, Identifier
from shared.models.inventory import (
    CURRENCY,
    ORDER_FINGERPRINT_DESCRIPTION,
    Money,
)
from shared.models.orders.order import OrderId


class PaymentStatus(StrEnum):
    CHARGED = "charged"
    DECLINED = "declined"
    REFUNDED = "refunded"
    VOIDED = "voided"  # refunded before any charge existed: a later charge is refused


class ChargePaymentRequest(Contract):
    idempotency_key: IdempotencyKey
    order_id: OrderId
    amount: Money
    order_fingerprint: Fingerprint = Field(description=ORDER_FINGERPRINT_DESCRIPTION)

    def fingerprint(self) -> str:
        """What defines the charge: which order (payment method included), how much, in what
        currency."""
        return fingerprint(
            {
                "orderId": self.order_id,
                "amount": str(self.amount),
                "currency": CURRENCY,
                "order": self.order_fingerprint,
            }
        )


class PaymentReceipt(Contract):
    """Output of `charge_payment` and `refund_payment`; stable for one key."""

    payment_id: Identifier
    idempotency_key: IdempotencyKey
    order_id: OrderId
    amount: Money
    currency: str
    status: PaymentStatus
    charged_at: datetime | None = None
    refunded_at: datetime | None = None


class RefundPaymentRequest(Contract):
    idempotency_key: IdempotencyKey = Field(description="The key the charge was made with.")
    order_id: OrderId
    charge_fingerprint: Fingerprint = Field(
        description=(
            "`ChargePaymentRequest.fingerprint()` of the charge to undo: a payment under the key "
            "made for another request is left alone."
        ),
    )
