"""Shipping side effects against a simulated carrier: book a shipment, cancel it.

The carrier delivers to a fixed list of countries (`SHIPPING_COUNTRIES`); any other country
is a permanent `undeliverable` failure, e.g. `AQ` (Antarctica). Booking is once per key;
cancelling is idempotent and, for a key never booked, leaves a tombstone that makes a late
duplicate booking fail.

The shipping address is not in the booking request: it is read from the order's stored
details (`shared.order_store`) by order id.

Each shipment row stores the booking request's fingerprint (order, items; see
`CreateShipmentRequest.fingerprint`). A booking whose key holds a shipment booked for a
different request (an order id reused after a purge, with another address) fails permanently
with `conflict` instead of handing back the other order's shipment; a cancellation that names
the booking it undoes leaves another request's shipment alone and fails with `conflict` too.
"""

from __future__ import annotations

from activities.boundary import Activities
from shared import order_store, shipment_store
from shared.errors import ErrorCode, PermanentError
from shared.models.shipments import (
    CancelShipmentRequest,
    CreateShipmentRequest,
    Shipment,
    ShipmentStatus,
)

activity = Activities()
bp = activity.bp

#: Where the simulated carrier delivers (ISO 3166-1 alpha-2).
SHIPPING_COUNTRIES = frozenset(
    {"AT", "BE", "CA", "CH", "CZ", "DE", "DK", "ES", "FI", "FR"}
    | {"GB", "IE", "IT", "LU", "NL", "NO", "PL", "PT", "SE", "US"}
)


@activity(CreateShipmentRequest)
def create_shipment(command: CreateShipmentRequest) -> Shipment:
    fingerprint = command.fingerprint()
    existing = shipment_store.get_shipment(command.idempotency_key, fingerprint)
    if existing is None:
        details = order_store.order_details(command.order_id, command.order_fingerprint)
        country = details.shipping_address.country
        if country not in SHIPPING_COUNTRIES:
            raise PermanentError(
                ErrorCode.UNDELIVERABLE, f"the carrier does not deliver to '{country}'"
            )
        existing = shipment_store.create_shipment(
            command.idempotency_key, command.order_id, country, fingerprint
        )
    if existing.status is ShipmentStatus.CANCELLED:
        raise PermanentError(ErrorCode.CONFLICT, "this shipment was cancelled before it was booked")
    return existing


@activity(CancelShipmentRequest, compensation=True)
def cancel_shipment(command: CancelShipmentRequest) -> Shipment:
    return shipment_store.cancel_shipment(
        command.idempotency_key, command.order_id, command.shipment_fingerprint
    )
