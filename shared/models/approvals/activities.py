"""Activity contracts of the expense approval: `notify_approval_party`."""

from __future__ import annotations

from datetime import datetime

from pydantic import (
    Field,
)

from shared.models.approvals.expense import (
    MAX_APPROVERS,
    Amount,
    ApprovalState,
)
from shared.models.base import Contract, IdempotencyKey, Identifier
from shared.models.notifications import NotificationKind


class ApprovalNotice(Contract):
    """Input of `notify_approval_party`: what to tell whom, by reference.

    `stage` names the approver told about stage n (`approval_requested`/`approval_escalated`),
    or the stage that decided when the requester is told the outcome. The activity looks the
    address up, so no e-mail address enters the orchestration's history.
    """

    idempotency_key: IdempotencyKey
    approval_id: Identifier
    kind: NotificationKind
    stage: int = Field(ge=1, le=MAX_APPROVERS)
    amount: Amount
    currency: str
    description: str
    deadline: datetime | None = None
    outcome: ApprovalState | None = None
    comment: str | None = None


class ApprovalNoticeReceipt(Contract):
    """What the activity returns: which outbox row was written, not to whom."""

    notification_id: str
    kind: NotificationKind
    created_at: datetime
