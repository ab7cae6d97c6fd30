"""What the `send_notification` activity returns, for responders in orchestrator tests."""

from __future__ import annotations

from typing import Any

from shared.models.notifications import NotificationReceipt, NotificationRequest
from tests.support.orchestration import DEFAULT_START


def receipt_for(request: Any) -> dict[str, Any]:
    """The receipt the outbox returns for `request` (a NotificationRequest's JSON)."""
    sent = NotificationRequest.from_json(request)
    return NotificationReceipt(
        notification_id=sent.idempotency_key,
        correlation_id=sent.correlation_id,
        kind=sent.kind,
        to=sent.to,
        created_at=DEFAULT_START,
    ).to_json()
