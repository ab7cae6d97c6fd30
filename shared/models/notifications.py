"""Notifications are written to an outbox table rather than sent, so tests and users see them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, JsonValue, StringConstraints, model_validator

from shared.idempotency import Fingerprint
from shared.models.base import Contract, IdempotencyKey, Identifier


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


class Audience(StrEnum):
    """Whom a notification is for, named by reference; `send_notification` looks the address up."""

    OPERATIONS = "operations"  # OPERATIONS_EMAIL; no reference
    ORDER_CUSTOMER = "order_customer"  # the customer who placed the order `ref`
    CUSTOMER = "customer"  # the customer `ref`
    MONITOR_SUBSCRIBER = "monitor_subscriber"  # whoever export monitor `ref` notifies
    APPROVAL_REQUESTER = "approval_requester"  # who asked for approval `ref`
    APPROVAL_APPROVER = "approval_approver"  # who decides stage `stage` of approval `ref`


class RecipientRef(Contract):
    """A recipient by reference, so no address enters an orchestration's history."""

    audience: Audience
    ref: Identifier | None = Field(
        None,
        description="The order, customer, monitor or approval id; absent for `operations`.",
    )
    stage: Annotated[int, Field(ge=1, le=100)] | None = Field(
        None,
        description="For `approval_approver`: whose stage (1 is the first approver).",
        exclude_if=lambda stage: stage is None,  # other audiences' JSON stays as it is
    )
    details_fingerprint: Fingerprint | None = Field(
        None,
        description=(
            "For `order_customer`: the fingerprint of the order's stored details, so a notice "
            "never goes to the customer of another order under the same id."
        ),
    )

    @model_validator(mode="after")
    def _ref_when_needed(self) -> RecipientRef:
        if (self.ref is None) != (self.audience is Audience.OPERATIONS):
            raise ValueError("ref is required for every audience but operations, and only there")
        if (self.stage is None) != (self.audience is not Audience.APPROVAL_APPROVER):
            raise ValueError("stage is required for approval_approver, and only there")
        return self


OPERATIONS = RecipientRef(audience=Audience.OPERATIONS)

#: In a subject or body, replaced by the recipient's name where the app knows it.
RECIPIENT_NAME = "{recipientName}"


class NotificationRequest(Contract):
    """Input of the `send_notification` activity: the recipient goes by reference (`to`)."""

    idempotency_key: IdempotencyKey = Field(
        description="Derived by the orchestrator: one per step."
    )
    correlation_id: Identifier = Field(description="Usually the orchestration instance id.")
    kind: NotificationKind
    to: RecipientRef = Field(
        description="Whom to tell, by reference: the activity looks the address up."
    )
    subject: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    body: Annotated[str, StringConstraints(max_length=4000)] = ""
    data: dict[str, JsonValue] = Field(default_factory=dict)


class NotificationReceipt(Contract):
    """Output of `send_notification`; the same on every re-run with one key.

    It names the recipient only by reference (`to`), never by address: it enters history.
    """

    notification_id: str
    correlation_id: str
    kind: NotificationKind
    to: RecipientRef
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
