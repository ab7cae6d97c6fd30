"""An order: its id, payment token and shipping address, and the details stored for it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field, StringConstraints

from shared.idempotency import fingerprint
from shared.models.base import Contract, ShortText
from shared.models.customers.customer import NormalizedEmail
from shared.models.inventory import (
    OrderItems,
    canonical_lines,
)

if TYPE_CHECKING:  # the body it is made from; that module builds on this one
    from shared.models.orders.http import OrderRequest

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
