"""HTTP contracts of orders: the body of `POST /api/orders`."""

from __future__ import annotations

from pydantic import Field

from shared.models.base import Contract
from shared.models.customers.customer import NormalizedEmail
from shared.models.inventory import (
    OrderItems,
)
from shared.models.orders.order import OrderId, PaymentToken, ShippingAddress
from shared.models.orders.workflow import RetryPolicy


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
