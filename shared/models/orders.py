"""Contracts of order fulfilment: the order request, the saga's input and output, and the
payment and shipment activities it calls.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StrictFloat, StrictInt, StringConstraints, model_validator

from shared.errors import ErrorKind
from shared.idempotency import Fingerprint, fingerprint
from shared.models.base import Contract, IdempotencyKey, Identifier, ShortText
from shared.models.customers import NormalizedEmail
from shared.models.inventory import (
    CURRENCY,
    ORDER_FINGERPRINT_DESCRIPTION,
    InventoryRelease,
    InventoryReservation,
    Money,
    OrderItems,
    canonical_lines,
)
from shared.models.notifications import NotificationReceipt

#: A payment method token from the (simulated) payment provider; never card numbers.
PaymentToken = Annotated[
    str, StringConstraints(pattern=r"^tok_[a-z0-9_]{1,40}$", max_length=44, strip_whitespace=True)
]

OrderId = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", max_length=64)
]

INSTANCE_PREFIX = "order-"


def order_instance_id(order_id: str) -> str:
    """One saga instance per order id: a re-post of the same order finds the first one."""
    return f"{INSTANCE_PREFIX}{order_id}"


# --- the request -------------------------------------------------------------------------


class ShippingAddress(Contract):
    name: ShortText
    line1: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    line2: Annotated[str, StringConstraints(max_length=200)] | None = None
    city: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    postal_code: Annotated[
        str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]{0,15}$", max_length=16)
    ]
    country: Annotated[
        str,
        StringConstraints(pattern=r"^[A-Za-z]{2}$", max_length=2, to_upper=True),
        Field(description="ISO 3166-1 alpha-2 code, e.g. `DE`."),
    ]


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


class OrderRequest(Contract):
    """Body of `POST /api/orders`."""

    order_id: OrderId | None = Field(
        None,
        description="Chosen by the caller to make the POST safely repeatable; minted if absent.",
    )
    customer_email: NormalizedEmail
    items: OrderItems
    payment_method: PaymentToken = Field(
        description=(
            "Simulated provider tokens: `tok_declined` is declined; `tok_unavailable_<n>` is "
            "unavailable for the first n charge attempts; `tok_refund_unavailable` can be "
            "charged but never refunded; `tok_refund_unavailable_<n>` fails n refund attempts. "
            "Any other `tok_...` is charged."
        )
    )
    shipping_address: ShippingAddress
    step_retry: RetryPolicy | None = Field(
        None, description="Backoff for forward steps (default 4 attempts, 2 s doubling)."
    )
    compensation_retry: RetryPolicy | None = Field(
        None, description="Backoff for compensations (default 6 attempts, 2 s doubling)."
    )


class OrderDetails(Contract):
    """What an order says about its customer, kept in the `OrderDetails` table by order id.

    The e-mail, shipping address and payment token never enter the saga's input or history:
    the starter stores them, and the charge, shipment and notification activities read them
    by order id.
    """

    order_id: OrderId
    customer_email: NormalizedEmail
    items: OrderItems
    payment_method: PaymentToken
    shipping_address: ShippingAddress

    @classmethod
    def of(cls, order_id: str, request: OrderRequest) -> OrderDetails:
        return cls(
            order_id=order_id,
            customer_email=request.customer_email,
            items=request.items,
            payment_method=request.payment_method,
            shipping_address=request.shipping_address,
        )

    def fingerprint(self) -> str:
        """The order's identity where its id is not enough: every detail of the order.

        The saga's input carries it and every order step's request carries it on, so an effect
        stored for an earlier order with this id (purged, then posted again with other
        details) is never taken as this one's, and never undone by this one's compensations.
        Lines are in SKU order.
        """
        order = self.to_json()
        return fingerprint(
            {
                "orderId": order["orderId"],
                "customerEmail": order["customerEmail"],
                "items": canonical_lines(self.items),
                "paymentMethod": order["paymentMethod"],
                "shippingAddress": order["shippingAddress"],
            }
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


# --- payments ----------------------------------------------------------------------------


class PaymentStatus(StrEnum):
    CHARGED = "charged"
    DECLINED = "declined"
    REFUNDED = "refunded"
    VOIDED = "voided"  # refunded before any charge existed: a later charge is refused


class ChargePaymentRequest(Contract):
    idempotency_key: IdempotencyKey
    order_id: OrderId
    amount: Money
    order_fingerprint: Fingerprint | None = Field(None, description=ORDER_FINGERPRINT_DESCRIPTION)

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
    charge_fingerprint: Fingerprint | None = Field(
        None,
        description=(
            "`ChargePaymentRequest.fingerprint()` of the charge to undo: a payment under the key "
            "made for another request is left alone. Absent: whatever the key holds is "
            "refunded, as before fingerprints."
        ),
    )


# --- shipments ---------------------------------------------------------------------------


class ShipmentStatus(StrEnum):
    CREATED = "created"
    CANCELLED = "cancelled"


class CreateShipmentRequest(Contract):
    idempotency_key: IdempotencyKey
    order_id: OrderId
    items: OrderItems
    order_fingerprint: Fingerprint | None = Field(None, description=ORDER_FINGERPRINT_DESCRIPTION)

    def fingerprint(self) -> str:
        """What defines the shipment: which order (address included) and what goes in the
        parcel."""
        return fingerprint(
            {
                "effect": "shipment",  # the reservation's fields, for another effect
                "orderId": self.order_id,
                "items": canonical_lines(self.items),
                "order": self.order_fingerprint,
            }
        )


class Shipment(Contract):
    """Output of `create_shipment` and `cancel_shipment`; stable for one key."""

    shipment_id: Identifier
    idempotency_key: IdempotencyKey
    order_id: OrderId
    carrier: str
    tracking_number: str | None
    status: ShipmentStatus
    created_at: datetime | None = None
    cancelled_at: datetime | None = None


class CancelShipmentRequest(Contract):
    idempotency_key: IdempotencyKey = Field(description="The key the shipment was created with.")
    order_id: OrderId
    shipment_fingerprint: Fingerprint | None = Field(
        None,
        description=(
            "`CreateShipmentRequest.fingerprint()` of the shipment to cancel: a shipment under "
            "the key booked for another request is left alone. Absent: whatever the key holds "
            "is cancelled, as before fingerprints."
        ),
    )


# --- the saga's progress and result ------------------------------------------------------


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
