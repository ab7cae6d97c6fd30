"""Inventory side effects: reserve an order's lines, release them (the compensation).

Each SKU's reservation is one entity-group transaction guarded by the stock row's ETag (see
`shared.inventory_store`), so concurrent orders never oversell and a re-run with the same
key never reserves twice. Storage outages and lost races propagate as transient failures.

Each reservation row stores the reservation request's fingerprint (order and all its lines;
see `ReserveInventoryRequest.fingerprint`). A reservation whose key already holds a SKU for a
different request (an order id reused after a purge, with other lines) fails permanently with
`conflict`, after giving back what it had reserved itself, instead of counting the other
order's stock as its own. A release that names the reservation it undoes releases only the
SKUs reserved for it; another request's SKUs are left alone and the release fails with
`conflict`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import azure.durable_functions as df

from shared import inventory_store
from shared.errors import ErrorCode, PermanentError, TransientError, validate_payload
from shared.etag import ConcurrencyExhausted
from shared.idempotency import FingerprintMismatch, key_reused, not_undone
from shared.models.inventory import (
    InventoryRelease,
    InventoryReservation,
    ReleaseInventoryRequest,
    ReserveInventoryRequest,
)
from shared.telemetry import observed_activity

bp = df.Blueprint()


@bp.activity_trigger(input_name="request")
@observed_activity
def reserve_inventory(request: dict[str, Any]) -> dict[str, Any]:
    command = validate_payload(ReserveInventoryRequest, request)
    try:
        lines = inventory_store.reserve_lines(
            command.idempotency_key, command.order_id, command.items, command.fingerprint()
        )
    except FingerprintMismatch:
        raise key_reused(command.idempotency_key) from None
    except inventory_store.UnknownSku as exc:
        raise PermanentError(ErrorCode.NOT_FOUND, str(exc)) from None
    except inventory_store.OutOfStock as exc:
        raise PermanentError(ErrorCode.OUT_OF_STOCK, str(exc)) from None
    except inventory_store.ReservationReleased as exc:
        raise PermanentError(ErrorCode.CONFLICT, str(exc)) from None
    except ConcurrencyExhausted as exc:
        raise TransientError(ErrorCode.CONFLICT, str(exc)) from None
    total = sum((line.line_total for line in lines), Decimal("0.00"))
    return InventoryReservation(
        reservation_key=command.idempotency_key, lines=lines, total=total
    ).to_json()


@bp.activity_trigger(input_name="request")
@observed_activity
def release_inventory(request: dict[str, Any]) -> dict[str, Any]:
    command = validate_payload(ReleaseInventoryRequest, request)
    try:
        lines = inventory_store.release_skus(
            command.idempotency_key,
            command.skus,
            command.reason,
            command.reservation_fingerprint,
        )
    except FingerprintMismatch as exc:
        # The order's other SKUs were released; name the ones left alone.
        raise not_undone(command.idempotency_key, str(exc)) from None
    except ConcurrencyExhausted as exc:
        raise TransientError(ErrorCode.CONFLICT, str(exc)) from None
    return InventoryRelease(reservation_key=command.idempotency_key, lines=lines).to_json()
