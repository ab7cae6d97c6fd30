"""Inventory side effects: reserve an order's lines, release them (the compensation).

Each SKU's reservation is one entity-group transaction guarded by the stock row's ETag (see
`shared.inventory_store`), so concurrent orders never oversell and a re-run with the same
key never reserves twice. Storage outages and lost races propagate as transient failures.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import azure.durable_functions as df

from shared import inventory_store
from shared.errors import ErrorCode, PermanentError, TransientError, validate_payload
from shared.etag import ConcurrencyExhausted
from shared.models.inventory import (
    InventoryRelease,
    InventoryReservation,
    ReleaseInventoryRequest,
    ReserveInventoryRequest,
)

bp = df.Blueprint()


@bp.activity_trigger(input_name="request")
def reserve_inventory(request: dict[str, Any]) -> dict[str, Any]:
    command = validate_payload(ReserveInventoryRequest, request)
    try:
        lines = inventory_store.reserve_lines(
            command.idempotency_key, command.order_id, command.items
        )
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
def release_inventory(request: dict[str, Any]) -> dict[str, Any]:
    command = validate_payload(ReleaseInventoryRequest, request)
    try:
        lines = inventory_store.release_skus(command.idempotency_key, command.skus, command.reason)
    except ConcurrencyExhausted as exc:
        raise TransientError(ErrorCode.CONFLICT, str(exc)) from None
    return InventoryRelease(reservation_key=command.idempotency_key, lines=lines).to_json()
