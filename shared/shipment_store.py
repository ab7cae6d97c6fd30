"""The `Shipments` table: one row per shipment idempotency key.

PartitionKey = the shipment step's idempotency key, RowKey = "shipment". Status moves
created -> cancelled only (ETag-guarded). Cancelling a key that has no shipment writes a
`cancelled` row, so a late duplicate of the creation is refused rather than shipping an
order that was already rolled back.

Each row stores the booking request's fingerprint (`CreateShipmentRequest.fingerprint()`:
order, address, items). A booking or cancellation that brings another fingerprint is about a
different request reusing the key: `FingerprintMismatch`, and the row stays as it is.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from azure.data.tables import TableClient

from shared import storage
from shared.etag import create_or_retry, read, replace_if_unchanged, with_retries
from shared.idempotency import require_match, stamped
from shared.models.shipments import Shipment, ShipmentStatus

SHIPMENTS_TABLE = "Shipments"
SHIPMENT_ROW = "shipment"
CARRIER = "Parcelo"


def _table() -> TableClient:
    return storage.table(SHIPMENTS_TABLE)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def get_shipment(key: str, fingerprint: str | None = None) -> Shipment | None:
    """The shipment under `key`; `FingerprintMismatch` if it was booked for another request."""
    found = read(_table(), key, SHIPMENT_ROW)
    if found is None:
        return None
    require_match(found[0], fingerprint, _where(key))
    return _shipment(found[0])


def create_shipment(key: str, order_id: str, country: str, fingerprint: str) -> Shipment:
    """Book a shipment unless `key` has a row already; return what is stored.

    A shipment stored under `key` for another request raises `FingerprintMismatch`.
    """
    shipment_id = uuid.uuid4().hex
    row, _ = storage.insert_once(
        _table(),
        {
            "PartitionKey": key,
            "RowKey": SHIPMENT_ROW,
            "ShipmentId": f"shp-{shipment_id}",
            "OrderId": order_id,
            "Carrier": CARRIER,
            "TrackingNumber": f"PCL{shipment_id[:12].upper()}",
            "Country": country,
            "Status": ShipmentStatus.CREATED.value,
            "CreatedAt": _now(),
            "CancelledAt": "",
        },
        fingerprint=fingerprint,
    )
    return _shipment(row)


def cancel_shipment(key: str, order_id: str, fingerprint: str) -> Shipment:
    """Cancel the shipment under `key`: created -> cancelled once; none -> cancelled tombstone.

    `fingerprint` is the booking request's: a shipment under `key` booked for another request
    is not cancelled (`FingerprintMismatch`). The tombstone carries it, so a late duplicate of
    the booking is refused as cancelled, and another request's booking as a conflict.
    """
    client = _table()

    def attempt() -> Shipment:
        found = read(client, key, SHIPMENT_ROW)
        if found is None:
            tombstone = stamped(
                {
                    "PartitionKey": key,
                    "RowKey": SHIPMENT_ROW,
                    "ShipmentId": f"shp-{uuid.uuid4().hex}",
                    "OrderId": order_id,
                    "Carrier": CARRIER,
                    "TrackingNumber": "",
                    "Country": "",
                    "Status": ShipmentStatus.CANCELLED.value,
                    "CreatedAt": "",
                    "CancelledAt": _now(),
                },
                fingerprint,
            )
            create_or_retry(client, tombstone)
            return _shipment(tombstone)
        row, etag = found
        require_match(row, fingerprint, _where(key))
        if row["Status"] == ShipmentStatus.CANCELLED.value:
            return _shipment(row)
        cancelled = {**row, "Status": ShipmentStatus.CANCELLED.value, "CancelledAt": _now()}
        replace_if_unchanged(client, cancelled, etag)
        return _shipment(cancelled)

    return with_retries(attempt, f"cancel shipment {key}")


def _where(key: str) -> str:
    return f"the shipment under idempotency key '{key}'"


def _shipment(row: dict[str, Any]) -> Shipment:
    return Shipment(
        shipment_id=row["ShipmentId"],
        idempotency_key=row["PartitionKey"],
        order_id=row["OrderId"],
        carrier=row["Carrier"],
        tracking_number=row["TrackingNumber"] or None,
        status=ShipmentStatus(row["Status"]),
        created_at=datetime.fromisoformat(row["CreatedAt"]) if row["CreatedAt"] else None,
        cancelled_at=datetime.fromisoformat(row["CancelledAt"]) if row["CancelledAt"] else None,
    )
