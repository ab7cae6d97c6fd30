"""HTTP contracts of orders: the body of `POST /api/orders`, the order's view, and an
operator's recovery decision and the rounds awaiting one."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictInt, ValidationInfo, field_validator

from shared.models.base import Contract, InstanceId
from shared.models.customers.customer import NormalizedEmail
from shared.models.inventory import OrderItems
from shared.models.orders.order import OrderId, PaymentToken, ShippingAddress
from shared.models.orders.recovery import Operator, RecoveryDecision, RecoveryRound
from shared.models.orders.workflow import (
    OrderProgress,
    RecoveredOrderResult,
    RecoveryAction,
    RecoveryNote,
    RetryPolicy,
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
