"""Contracts of the inventory domain: stock per SKU, and reservations made by orders.

Money is an exact `Decimal` with two places, carried as a JSON string (`"12.50"`) so no
float rounding ever reaches a price or a total.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StrictInt

from shared.idempotency import Fingerprint, fingerprint
from shared.models.base import Contract, DecimalText, IdempotencyKey, Identifier, UnsignedZero

#: Stock keeping unit: any `Identifier` (safe in URLs and as a Table partition key).
Sku = Identifier

#: An exact amount in the shop currency, two decimal places, never negative.
Money = Annotated[
    Decimal, Field(ge=0, max_digits=14, decimal_places=2), UnsignedZero, DecimalText(places=2)
]

#: The single currency the shop prices and charges in.
CURRENCY = "EUR"

MAX_STOCK = 1_000_000
#: Bounds every order total (price x 1,000 units x 50 lines) well inside `Money`'s digits.
MAX_UNIT_PRICE = Decimal("1000000")
MAX_LINE_QUANTITY = 1_000
MAX_ORDER_LINES = 50


class InventoryUpdate(Contract):
    """Body of `PUT /api/inventory/{sku}`: the stock available to sell and its price."""

    quantity: StrictInt = Field(ge=0, le=MAX_STOCK, description="Units available to reserve.")
    unit_price: Money = Field(
        le=MAX_UNIT_PRICE, description='Exact price per unit, e.g. `"12.50"` or `12.5`.'
    )


class SkuRoute(Contract):
    """Route parameters of `/api/inventory/{sku}`."""

    sku: Sku


class InventoryItem(Contract):
    """What a SKU's stock looks like: free units, units held by open reservations, price."""

    sku: Sku
    available: int
    reserved: int
    unit_price: Money
    updated_at: datetime


class OrderLine(Contract):
    """One SKU and how many units of it an order wants."""

    sku: Sku
    quantity: StrictInt = Field(ge=1, le=MAX_LINE_QUANTITY)


def unique_skus(lines: list[OrderLine]) -> list[OrderLine]:
    """Refuse an order naming one SKU twice: its lines would race for the same stock row."""
    seen: set[str] = set()
    for line in lines:
        if line.sku in seen:
            raise ValueError(f"sku '{line.sku}' appears more than once; merge the quantities")
        seen.add(line.sku)
    return lines


#: The lines of one order: at least one, bounded, each SKU once.
OrderItems = Annotated[
    list[OrderLine],
    Field(min_length=1, max_length=MAX_ORDER_LINES),
    AfterValidator(unique_skus),
]


def canonical_lines(lines: list[OrderLine]) -> list[dict[str, Any]]:
    """An order's lines as JSON in SKU order: the same lines in another order are one order."""
    return [line.to_json() for line in sorted(lines, key=lambda line: line.sku)]


#: What `order_fingerprint` means on the order steps' requests.
ORDER_FINGERPRINT_DESCRIPTION = (
    "Fingerprint of the whole order (`OrderDetails.fingerprint()`). An order id comes back "
    "when a purged order is posted again, so the order's content, not its id, says which "
    "order an effect belongs to."
)


class ReserveInventoryRequest(Contract):
    """Input of `reserve_inventory`: all lines are reserved, or none stay reserved."""

    idempotency_key: IdempotencyKey
    order_id: Identifier
    items: OrderItems
    order_fingerprint: Fingerprint = Field(description=ORDER_FINGERPRINT_DESCRIPTION)

    def fingerprint(self) -> str:
        """What defines the reservation: the order and its lines (the key only names it)."""
        return fingerprint(
            {
                "orderId": self.order_id,
                "items": canonical_lines(self.items),
                "order": self.order_fingerprint,
            }
        )


class ReservedLine(Contract):
    """A line held for an order, at the unit price it was reserved with."""

    sku: Sku
    quantity: int
    unit_price: Money
    line_total: Money


class InventoryReservation(Contract):
    """Output of `reserve_inventory`; the same on every re-run with one key."""

    reservation_key: IdempotencyKey
    lines: list[ReservedLine]
    total: Money


class ReleaseInventoryRequest(Contract):
    """Input of `release_inventory` (the compensation of `reserve_inventory`).

    `skus` are every SKU of the order, not only those known to be reserved: releasing a SKU
    that holds nothing under this key records a tombstone so a late duplicate of the
    reservation cannot take stock afterwards.
    """

    idempotency_key: IdempotencyKey = Field(description="The key the reservation was made with.")
    skus: list[Sku] = Field(min_length=1, max_length=MAX_ORDER_LINES)
    reason: Annotated[str, Field(min_length=1, max_length=200)] = "compensated"
    reservation_fingerprint: Fingerprint = Field(
        description=(
            "`ReserveInventoryRequest.fingerprint()` of the reservation to undo: a SKU whose "
            "reservation under the key was made for another request is left alone."
        ),
    )


class ReservationState(StrEnum):
    RESERVED = "reserved"
    RELEASED = "released"


class ReleasedLine(Contract):
    """One SKU after release: the units given back (0 when nothing was held)."""

    sku: Sku
    quantity: int
    state: ReservationState


class InventoryRelease(Contract):
    """Output of `release_inventory`; the same on every re-run with one key."""

    reservation_key: IdempotencyKey
    lines: list[ReleasedLine]
