"""Contracts of an order: the request `POST /api/orders` takes and the details stored for it.

The saga's own contracts are in `shared.models.order_saga`; the payment and shipment
activities' in `shared.models.payments` and `shared.models.shipments`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import Field, StrictFloat, StrictInt, StringConstraints, model_validator

from shared.idempotency import fingerprint
from shared.models.base import Contract, ShortText
from shared.models.customers.customer import NormalizedEmail
from shared.models.inventory import (
    OrderItems,
    canonical_lines,
)

#: A payment method token from the (simulated) payment provider; never card numbers.
PaymentToken = Annotated[
    str, StringConstraints(pattern=r"^tok_[a-z0-9_]{1,40}$", max_length=44, strip_whitespace=True)
]
OrderId = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", max_length=64)
]


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
