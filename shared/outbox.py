"""The notification outbox: rows in the `Notifications` table, one per idempotency key.

Notifications are recorded rather than sent, so users and HTTP-only tests can see what an
instance sent (`GET /api/notifications?correlationId=...`). Rows are partitioned by
correlation id (usually the sending instance's id) so one partition query lists them all.

Each row stores a fingerprint of what makes the notification the same one: its kind, its
recipient and its correlation id (`notification_fingerprint`). Subject, body and data are left
out on purpose: they are wording, rebuilt from the run's state, and may change with a
deployment or between two runs of one instance; a retry must not turn into a conflict because
a sentence changed. A write whose key already holds another kind of notification, or one to
another recipient, raises `FingerprintMismatch`.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Final

from shared import storage
from shared.errors import ErrorCode, PermanentError
from shared.idempotency import fingerprint
from shared.models.notifications import (
    MAX_SCANNED_NOTIFICATIONS,
    NotificationKind,
    NotificationList,
    NotificationReceipt,
    NotificationRequest,
    SentNotification,
)

NOTIFICATIONS_TABLE: Final = "Notifications"
#: Table Storage caps a string property at 64 KiB of UTF-16 (32 K characters). A bigger
#: `data` would be refused by the service on every retry, so refuse it up front, permanently.
MAX_DATA_CHARS = 32_000

_LISTED_PROPERTIES = ["PartitionKey", "RowKey", "Kind", "Recipient", "Subject", "Body", "Data"]


def notification_fingerprint(request: NotificationRequest, recipient: str) -> str:
    """Who is told what, about which instance: the fields that make a notification one."""
    return fingerprint(
        {
            "kind": request.kind.value,
            "recipient": recipient,
            "correlationId": request.correlation_id,
        }
    )


def write_notification(request: NotificationRequest, address: str) -> NotificationReceipt:
    """Insert the outbox row unless this key was written before; return what is stored.

    `address` is the one `request.to` stands for, looked up by the caller. A row under the key
    written for another notification raises `FingerprintMismatch`.
    """
    data = json.dumps(request.data, separators=(",", ":"))
    if len(data) > MAX_DATA_CHARS:
        raise PermanentError(
            ErrorCode.VALIDATION,
            f"notification data is {len(data)} characters as JSON; at most {MAX_DATA_CHARS}",
        )
    row, _ = storage.insert_once(
        storage.table(NOTIFICATIONS_TABLE),
        {
            "PartitionKey": request.correlation_id,
            "RowKey": request.idempotency_key,
            "Kind": request.kind.value,
            "Recipient": address,
            "Subject": request.subject,
            "Body": request.body,
            "Data": data,
            "CreatedAt": datetime.now(UTC).isoformat(),
        },
        fingerprint=notification_fingerprint(request, address),
    )
    return NotificationReceipt(
        notification_id=row["RowKey"],
        correlation_id=row["PartitionKey"],
        kind=row["Kind"],
        to=request.to,
        created_at=datetime.fromisoformat(row["CreatedAt"]),
    )


def list_notifications(
    correlation_id: str, top: int, kind: NotificationKind | None = None
) -> NotificationList:
    """The newest `top` notifications of one correlation, oldest first.

    Row keys are idempotency keys, not times, so the whole partition is read (up to
    `MAX_SCANNED_NOTIFICATIONS` rows, in pages) while only the newest `top` are kept.
    """
    query = "PartitionKey eq @pk"
    parameters: dict[str, Any] = {"pk": correlation_id}
    if kind is not None:
        query += " and Kind eq @kind"
        parameters["kind"] = kind.value
    rows = storage.table(NOTIFICATIONS_TABLE).query_entities(
        query, parameters=parameters, select=[*_LISTED_PROPERTIES, "CreatedAt"]
    )
    scanned = 0
    scan_stopped = False

    def bounded() -> Iterator[dict[str, Any]]:
        nonlocal scanned, scan_stopped
        for row in rows:
            if scanned == MAX_SCANNED_NOTIFICATIONS:
                scan_stopped = True
                return
            scanned += 1
            yield row

    newest_rows = heapq.nlargest(top, bounded(), key=_created_order)
    newest = sorted(
        (_from_row(row) for row in newest_rows),
        key=lambda item: (item.created_at, item.notification_id),
    )
    return NotificationList(
        notifications=newest,
        count=len(newest),
        truncated=scan_stopped or scanned > len(newest),
    )


def _created_order(row: dict[str, Any]) -> tuple[datetime, str]:
    return datetime.fromisoformat(row["CreatedAt"]), str(row["RowKey"])


def _from_row(row: dict[str, Any]) -> SentNotification:
    return SentNotification(
        notification_id=row["RowKey"],
        correlation_id=row["PartitionKey"],
        kind=row["Kind"],
        recipient=row["Recipient"],
        subject=row["Subject"],
        body=row.get("Body") or "",
        data=json.loads(row.get("Data") or "{}"),
        created_at=datetime.fromisoformat(row["CreatedAt"]),
    )
