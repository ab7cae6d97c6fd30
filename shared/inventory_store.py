"""The `Inventory` table: one partition per SKU holding its stock row and its reservations.

Keeping a SKU's stock row and every reservation against it in one partition lets a
reservation be one entity-group transaction: decrement the stock (only if its ETag is
unchanged) and create the reservation row (only if it does not exist). Either both happen or
neither, concurrent buyers cannot oversell, and a second run with the same key is a no-op.

Rows per partition (PartitionKey = SKU):
- `stock`: Available, Reserved, UnitPrice (decimal text), UpdatedAt
- `reservation|<key>`: Quantity, UnitPrice, State (reserved|released), OrderId, Reason,
  Fingerprint, ...

A released reservation is terminal: a late duplicate of the reservation with the same key
finds it and does not take stock again. Releasing a key that never reserved a SKU writes a
released tombstone for the same reason.

Each reservation row stores the reservation request's fingerprint
(`ReserveInventoryRequest.fingerprint()`: order and all its lines). A reservation or release
that brings another fingerprint is about a different request reusing the key: that SKU's row
is left as it is and `FingerprintMismatch` is raised.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from azure.data.tables import TableClient

from shared import storage
from shared.etag import (
    create_or_retry,
    read,
    replace_if_unchanged,
    replace_op,
    submit_or_retry,
    with_retries,
)
from shared.idempotency import FingerprintMismatch, require_match, stamped
from shared.models.inventory import (
    InventoryItem,
    OrderLine,
    ReleasedLine,
    ReservationState,
    ReservedLine,
)

INVENTORY_TABLE = "Inventory"
STOCK_ROW = "stock"
CENT = Decimal("0.01")


class UnknownSku(LookupError):
    def __init__(self, sku: str) -> None:
        super().__init__(f"sku '{sku}' is not stocked")
        self.sku = sku


class OutOfStock(Exception):
    def __init__(self, sku: str, requested: int, available: int) -> None:
        super().__init__(f"sku '{sku}': {requested} requested, {available} available")
        self.sku = sku


class ReservationReleased(Exception):
    """The reservation under this key was released before; it is never taken again."""

    def __init__(self, sku: str, reason: str) -> None:
        super().__init__(f"reservation of sku '{sku}' was already released ({reason})")
        self.sku = sku
        self.reason = reason


def _table() -> TableClient:
    return storage.table(INVENTORY_TABLE)


def reservation_row(key: str) -> str:
    return f"reservation|{key}"


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _item(entity: dict[str, Any]) -> InventoryItem:
    return InventoryItem(
        sku=entity["PartitionKey"],
        available=entity["Available"],
        reserved=entity["Reserved"],
        unit_price=Decimal(entity["UnitPrice"]),
        updated_at=datetime.fromisoformat(entity["UpdatedAt"]),
    )


# --- stock administration --------------------------------------------------------------


def get_item(sku: str) -> InventoryItem | None:
    found = read(_table(), sku, STOCK_ROW)
    return _item(found[0]) if found else None


def set_stock(sku: str, available: int, unit_price: Decimal) -> tuple[InventoryItem, bool]:
    """Set the units available to reserve and the price; keep what is already reserved.

    Returns the stored item and whether the SKU was created. Written with an ETag so a
    concurrent reservation is never overwritten.
    """
    client = _table()

    def attempt() -> tuple[InventoryItem, bool]:
        found = read(client, sku, STOCK_ROW)
        entity = {
            "PartitionKey": sku,
            "RowKey": STOCK_ROW,
            "Available": available,
            "Reserved": found[0]["Reserved"] if found else 0,
            "UnitPrice": str(unit_price.quantize(CENT)),
            "UpdatedAt": _now(),
        }
        if found is None:
            create_or_retry(client, entity)
        else:
            replace_if_unchanged(client, entity, found[1])
        return _item(entity), found is None

    return with_retries(attempt, f"set stock of {sku}")


# --- reservations ------------------------------------------------------------------------


def reserve_lines(
    key: str, order_id: str, lines: Sequence[OrderLine], fingerprint: str
) -> list[ReservedLine]:
    """Reserve every line under `key`, or leave none reserved.

    SKUs are processed in a stable order. When one is unknown, short, was released under this
    key before, or is reserved under this key for another request (`FingerprintMismatch`), the
    SKUs this call already reserved are released (the caller reports a permanent failure, so
    nothing must stay held). Any other error propagates with the reservations in place: a
    retry with the same key continues where this run stopped.
    """
    reserved: list[ReservedLine] = []
    try:
        for line in sorted(lines, key=lambda item: item.sku):
            reserved.append(reserve_one(key, order_id, line, fingerprint))
    except (UnknownSku, OutOfStock, ReservationReleased, FingerprintMismatch) as exc:
        release_skus(
            key,
            [line.sku for line in reserved],
            reason=f"order failed: {exc}",
            fingerprint=fingerprint,
        )
        raise
    return reserved


def reserve_one(key: str, order_id: str, line: OrderLine, fingerprint: str) -> ReservedLine:
    """Reserve one SKU under `key` atomically; a repeat with the same key changes nothing.

    A reservation of the SKU under `key` made for another request raises `FingerprintMismatch`.
    """
    client = _table()
    row = reservation_row(key)

    def attempt() -> ReservedLine:
        existing = read(client, line.sku, row)
        if existing is not None:
            require_match(existing[0], fingerprint, _where(key, line.sku))
            return _reserved_or_raise(existing[0])
        stock = read(client, line.sku, STOCK_ROW)
        if stock is None:
            raise UnknownSku(line.sku)
        entity, etag = stock
        if entity["Available"] < line.quantity:
            raise OutOfStock(line.sku, line.quantity, entity["Available"])
        unit_price = Decimal(entity["UnitPrice"])
        reservation = stamped(
            {
                "PartitionKey": line.sku,
                "RowKey": row,
                "OrderId": order_id,
                "Quantity": line.quantity,
                "UnitPrice": entity["UnitPrice"],
                "State": ReservationState.RESERVED.value,
                "Reason": "",
                "ReservedAt": _now(),
            },
            fingerprint,
        )
        updated = {
            **entity,
            "Available": entity["Available"] - line.quantity,
            "Reserved": entity["Reserved"] + line.quantity,
            "UpdatedAt": _now(),
        }
        submit_or_retry(client, [replace_op(updated, etag), ("create", reservation)])
        return _reserved_line(line.sku, line.quantity, unit_price)

    return with_retries(attempt, f"reserve {line.sku}")


def _where(key: str, *skus: str) -> str:
    names = ", ".join(f"'{sku}'" for sku in skus)
    return f"the reservation of sku {names} under idempotency key '{key}'"


def _reserved_or_raise(reservation: dict[str, Any]) -> ReservedLine:
    if reservation["State"] != ReservationState.RESERVED.value:
        raise ReservationReleased(reservation["PartitionKey"], reservation.get("Reason") or "")
    return _reserved_line(
        reservation["PartitionKey"], reservation["Quantity"], Decimal(reservation["UnitPrice"])
    )


def _reserved_line(sku: str, quantity: int, unit_price: Decimal) -> ReservedLine:
    return ReservedLine(
        sku=sku,
        quantity=quantity,
        unit_price=unit_price,
        line_total=(unit_price * quantity).quantize(CENT),
    )


def release_skus(
    key: str, skus: Iterable[str], reason: str, fingerprint: str
) -> list[ReleasedLine]:
    """Give back what `key` holds on each SKU; idempotent, and final for that key.

    `fingerprint` is the reservation request's. A SKU reserved under `key` for another request
    is left alone while the others are released; then `FingerprintMismatch` names it.
    """
    released: list[ReleasedLine] = []
    foreign: list[str] = []
    for sku in sorted(set(skus)):
        try:
            released.append(release_one(key, sku, reason, fingerprint))
        except FingerprintMismatch:
            foreign.append(sku)
    if foreign:
        raise FingerprintMismatch(_where(key, *foreign))
    return released


def release_one(key: str, sku: str, reason: str, fingerprint: str) -> ReleasedLine:
    """Release `key`'s reservation of `sku`; one made for another request is left alone.

    A SKU never reserved under `key` gets a released tombstone carrying `fingerprint`.
    """
    client = _table()
    row = reservation_row(key)

    def attempt() -> ReleasedLine:
        existing = read(client, sku, row)
        if existing is None:
            tombstone = stamped(
                {
                    "PartitionKey": sku,
                    "RowKey": row,
                    "OrderId": "",
                    "Quantity": 0,
                    "UnitPrice": "0",
                    "State": ReservationState.RELEASED.value,
                    "Reason": reason,
                    "ReleasedAt": _now(),
                },
                fingerprint,
            )
            create_or_retry(client, tombstone)
            return ReleasedLine(sku=sku, quantity=0, state=ReservationState.RELEASED)
        reservation, reservation_etag = existing
        require_match(reservation, fingerprint, _where(key, sku))
        if reservation["State"] == ReservationState.RELEASED.value:
            return ReleasedLine(
                sku=sku, quantity=reservation["Quantity"], state=ReservationState.RELEASED
            )
        released = {
            **reservation,
            "State": ReservationState.RELEASED.value,
            "Reason": reason,
            "ReleasedAt": _now(),
        }
        operations: list[tuple[Any, ...]] = [replace_op(released, reservation_etag)]
        stock = read(client, sku, STOCK_ROW)
        if stock is not None:
            entity, etag = stock
            restored = {
                **entity,
                "Available": entity["Available"] + reservation["Quantity"],
                "Reserved": max(0, entity["Reserved"] - reservation["Quantity"]),
                "UpdatedAt": _now(),
            }
            operations.insert(0, replace_op(restored, etag))
        submit_or_retry(client, operations)
        return ReleasedLine(
            sku=sku, quantity=reservation["Quantity"], state=ReservationState.RELEASED
        )

    return with_retries(attempt, f"release {sku}")
