"""Activity contracts of the carrier: book an order's shipment, cancel it (the compensation)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from shared.idempotency import Fingerprint, fingerprint
from shared.models.base import Contract, IdempotencyKey, Identifier
from shared.models.inventory import (
    ORDER_FINGERPRINT_DESCRIPTION,
    OrderItems,
    canonical_lines,
)
from shared.models.orders.order import OrderId


class ShipmentStatus(StrEnum):
    CREATED = "created"
    CANCELLED = "cancelled"


class CreateShipmentRequest(Contract):
    idempotency_key: IdempotencyKey
    order_id: OrderId
    items: OrderItems
    order_fingerprint: Fingerprint = Field(description=ORDER_FINGERPRINT_DESCRIPTION)

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
    shipment_fingerprint: Fingerprint = Field(
        description=(
            "`CreateShipmentRequest.fingerprint()` of the shipment to cancel: a shipment under "
            "the key booked for another request is left alone."
        ),
    )
