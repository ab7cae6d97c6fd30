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

from activities.boundary import Activities
from shared import inventory_store
from shared.models.inventory import (
    InventoryRelease,
    InventoryReservation,
    ReleaseInventoryRequest,
    ReserveInventoryRequest,
)

activity = Activities()
bp = activity.bp


@activity(ReserveInventoryRequest)
def reserve_inventory(command: ReserveInventoryRequest) -> InventoryReservation:
    lines = inventory_store.reserve_lines(
        command.idempotency_key, command.order_id, command.items, command.fingerprint()
    )
    total = sum((line.line_total for line in lines), Decimal("0.00"))
    return InventoryReservation(reservation_key=command.idempotency_key, lines=lines, total=total)


@activity(ReleaseInventoryRequest, compensation=True)
def release_inventory(command: ReleaseInventoryRequest) -> InventoryRelease:
    """Release the order's SKUs; SKUs another request reserved are left alone and named."""
    lines = inventory_store.release_skus(
        command.idempotency_key, command.skus, command.reason, command.reservation_fingerprint
    )
    return InventoryRelease(reservation_key=command.idempotency_key, lines=lines)
