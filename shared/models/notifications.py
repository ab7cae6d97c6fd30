"""Notifications are written to an outbox table rather than sent, so tests and users see them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, JsonValue, StringConstraints

from shared.models.base import Contract, IdempotencyKey, Identifier

NOTIFICATIONS_TABLE = "Notifications"

Recipient = Annotated[str, StringConstraints(min_length=1, max_length=254, strip_whitespace=True)]


class NotificationKind(StrEnum):
    WELCOME = "welcome"
    ORDER_CONFIRMATION = "order_confirmation"
    ORDER_CANCELLED = "order_cancelled"
    OPERATIONS_ALERT = "operations_alert"
    EXPORT_COMPLETED = "export_completed"
    EXPORT_TIMED_OUT = "export_timed_out"
    APPROVAL_REQUESTED = "approval_requested"
    APPROVAL_ESCALATED = "approval_escalated"
    APPROVAL_DECIDED = "approval_decided"
    APPROVAL_EXPIRED = "approval_expired"
    HEALTH_ALERT = "health_alert"
    HEALTH_RESOLVED = "health_resolved"


class NotificationRequest(Contract):
    """Input of the `send_notification` activity."""

    idempotency_key: IdempotencyKey = Field(
        description="Derived by the orchestrator: one per step."
    )
    correlation_id: Identifier = Field(description="Usually the orchestration instance id.")
    kind: NotificationKind
    recipient: Recipient
    subject: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    body: Annotated[str, StringConstraints(max_length=4000)] = ""
    data: dict[str, JsonValue] = Field(default_factory=dict)


class NotificationReceipt(Contract):
    """Output of `send_notification`; the same on every re-run with one key."""

    notification_id: str
    correlation_id: str
    kind: NotificationKind
    recipient: str
    created_at: datetime


#: The most notifications one listing returns.
MAX_LISTED_NOTIFICATIONS = 1000
#: A correlation's notifications are read from one partition (an eternal monitor's keeps
#: growing); past this many rows the listing stops scanning and says it is truncated.
MAX_SCANNED_NOTIFICATIONS = 50_000


class NotificationQuery(Contract):
    """Filters for `GET /notifications`: what one instance (correlation) sent."""

    correlation_id: Identifier = Field(description="The instance id that sent the notifications.")
    kind: NotificationKind | None = Field(None, description="Only notifications of this kind.")
    top: int = Field(100, ge=1, le=MAX_LISTED_NOTIFICATIONS, description="The newest N.")


class SentNotification(Contract):
    """One row of the outbox, as users and end-to-end tests see it."""

    notification_id: str = Field(description="The idempotency key it was written with.")
    correlation_id: str
    kind: NotificationKind
    recipient: str
    subject: str
    body: str
    data: dict[str, JsonValue]
    created_at: datetime


class NotificationList(Contract):
    """Answer of `GET /notifications`, oldest first."""

    notifications: list[SentNotification]
    count: int
    truncated: bool = Field(description="True when older notifications were left out.")
