"""What the `send_notification` activity returns, for responders in orchestrator tests."""

from __future__ import annotations

from typing import Any

from shared.models.approvals.activities import ApprovalNotice, ApprovalNoticeReceipt
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


def notice_receipt_for(notice: Any) -> dict[str, Any]:
    """What `notify_approval_party` returns for `notice` (an ApprovalNotice's JSON)."""
    sent = ApprovalNotice.from_json(notice)
    return ApprovalNoticeReceipt(
        notification_id=sent.idempotency_key, kind=sent.kind, created_at=DEFAULT_START
    ).to_json()
