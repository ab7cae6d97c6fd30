"""Shipping side effects against a simulated carrier: book a shipment, cancel it.

The carrier delivers to a fixed list of countries (`SHIPPING_COUNTRIES`); any other country
is a permanent `undeliverable` failure, e.g. `AQ` (Antarctica). Booking is once per key;
cancelling is idempotent and, for a key never booked, leaves a tombstone that makes a late
duplicate booking fail.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from shared import shipment_store
from shared.errors import ErrorCode, PermanentError, TransientError, validate_payload
from shared.etag import ConcurrencyExhausted
from shared.models.orders import (
    CancelShipmentRequest,
    CreateShipmentRequest,
    Shipment,
    ShipmentStatus,
)

bp = df.Blueprint()

#: Where the simulated carrier delivers (ISO 3166-1 alpha-2).
SHIPPING_COUNTRIES = frozenset(
    {"AT", "BE", "CA", "CH", "CZ", "DE", "DK", "ES", "FI", "FR"}
    | {"GB", "IE", "IT", "LU", "NL", "NO", "PL", "PT", "SE", "US"}
)


@bp.activity_trigger(input_name="request")
def create_shipment(request: dict[str, Any]) -> dict[str, Any]:
    command = validate_payload(CreateShipmentRequest, request)
    return book(command).to_json()


@bp.activity_trigger(input_name="request")
def cancel_shipment(request: dict[str, Any]) -> dict[str, Any]:
    command = validate_payload(CancelShipmentRequest, request)
    try:
        shipment = shipment_store.cancel_shipment(command.idempotency_key, command.order_id)
    except ConcurrencyExhausted as exc:
        raise TransientError(ErrorCode.CONFLICT, str(exc)) from None
    return shipment.to_json()


def book(command: CreateShipmentRequest) -> Shipment:
    existing = shipment_store.get_shipment(command.idempotency_key)
    if existing is None:
        country = command.address.country
        if country not in SHIPPING_COUNTRIES:
            raise PermanentError(
                ErrorCode.UNDELIVERABLE, f"the carrier does not deliver to '{country}'"
            )
        existing = shipment_store.create_shipment(
            command.idempotency_key, command.order_id, country
        )
    if existing.status is ShipmentStatus.CANCELLED:
        raise PermanentError(ErrorCode.CONFLICT, "this shipment was cancelled before it was booked")
    return existing
