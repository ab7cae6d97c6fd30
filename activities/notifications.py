"""Writes notifications to the `Notifications` outbox table, once per idempotency key."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df

from shared import storage
from shared.errors import validate_payload
from shared.models.notifications import (
    NOTIFICATIONS_TABLE,
    NotificationReceipt,
    NotificationRequest,
)

bp = df.Blueprint()


def write_notification(request: NotificationRequest) -> NotificationReceipt:
    """Insert the outbox row unless this key was written before; return what is stored.

    Partitioned by correlation id so one query lists everything an instance sent.
    """
    row, _ = storage.insert_once(
        storage.table(NOTIFICATIONS_TABLE),
        {
            "PartitionKey": request.correlation_id,
            "RowKey": request.idempotency_key,
            "Kind": request.kind.value,
            "Recipient": request.recipient,
            "Subject": request.subject,
            "Body": request.body,
            "Data": json.dumps(request.data),
            "CreatedAt": datetime.now(UTC).isoformat(),
        },
    )
    return NotificationReceipt(
        notification_id=row["RowKey"],
        correlation_id=row["PartitionKey"],
        kind=row["Kind"],
        recipient=row["Recipient"],
        created_at=datetime.fromisoformat(row["CreatedAt"]),
    )


@bp.activity_trigger(input_name="request")
def send_notification(request: dict[str, Any]) -> dict[str, Any]:
    return write_notification(validate_payload(NotificationRequest, request)).to_json()
