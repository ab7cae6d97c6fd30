"""An order's personal details (`OrderDetails` table): e-mail, shipping address, payment token.

One row per order id, written by the order starter before the saga starts and read by the
activities that need a detail (charge, shipment, the customer's notifications). See
`shared.personal_details` for how a read checks it belongs to the saga asking.
"""

from __future__ import annotations

from shared.models.orders.order import OrderDetails
from shared.personal_details import load_details, save_details

ORDER_DETAILS_TABLE = "OrderDetails"


def save_order_details(details: OrderDetails) -> None:
    save_details(ORDER_DETAILS_TABLE, details.order_id, details, details.fingerprint())


def order_details(order_id: str, fingerprint: str | None) -> OrderDetails:
    """The stored details of `order_id`; `PermanentError` when absent or another order's."""
    return load_details(ORDER_DETAILS_TABLE, order_id, OrderDetails, fingerprint)
