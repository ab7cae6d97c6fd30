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

from typing import Any

import azure.durable_functions as df

from shared import order_store, shipment_store
from shared.errors import ErrorCode, PermanentError, TransientError, validate_payload
from shared.etag import ConcurrencyExhausted
from shared.idempotency import FingerprintMismatch, key_reused, not_undone
from shared.models.orders import (
    CancelShipmentRequest,
    CreateShipmentRequest,
    Shipment,
    ShipmentStatus,
)
from shared.telemetry import observed_activity

bp = df.Blueprint()

#: Where the simulated carrier delivers (ISO 3166-1 alpha-2).
SHIPPING_COUNTRIES = frozenset(
    {"AT", "BE", "CA", "CH", "CZ", "DE", "DK", "ES", "FI", "FR"}
    | {"GB", "IE", "IT", "LU", "NL", "NO", "PL", "PT", "SE", "US"}
)


@bp.activity_trigger(input_name="request")
@observed_activity
def create_shipment(request: dict[str, Any]) -> dict[str, Any]:
    command = validate_payload(CreateShipmentRequest, request)
    try:
        return book(command).to_json()
    except FingerprintMismatch:
        raise key_reused(command.idempotency_key) from None


@bp.activity_trigger(input_name="request")
@observed_activity
def cancel_shipment(request: dict[str, Any]) -> dict[str, Any]:
    command = validate_payload(CancelShipmentRequest, request)
    try:
        shipment = shipment_store.cancel_shipment(
            command.idempotency_key, command.order_id, command.shipment_fingerprint
        )
    except FingerprintMismatch:
        raise not_undone(command.idempotency_key) from None
    except ConcurrencyExhausted as exc:
        raise TransientError(ErrorCode.CONFLICT, str(exc)) from None
    return shipment.to_json()


def book(command: CreateShipmentRequest) -> Shipment:
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
