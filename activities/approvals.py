"""Activity `notify_approval_party`: words the notice to an approver or the requester.

The orchestration names the party by approval id and stage. The notice is addressed by
reference (`approval_approver` of a stage, or `approval_requester`) and delivered like any
other notification, so the address is looked up where it is written to the outbox and never
enters the orchestration's history. The receipt names the outbox row, not the recipient. One
notification per idempotency key.
"""

from __future__ import annotations

from typing import Any

from activities.boundary import Activities
from activities.notifications import deliver
from shared.approval_store import ApprovalParties, load_parties
from shared.models.approvals.activities import ApprovalNotice, ApprovalNoticeReceipt
from shared.models.notifications import (
    Audience,
    NotificationKind,
    NotificationRequest,
    RecipientRef,
)

activity = Activities()
bp = activity.bp

#: Kinds addressed to the approver of `notice.stage`; the others go to the requester.
TO_APPROVER = {NotificationKind.APPROVAL_REQUESTED, NotificationKind.APPROVAL_ESCALATED}


@activity(ApprovalNotice)
def notify_approval_party(notice: ApprovalNotice) -> ApprovalNoticeReceipt:
    receipt = deliver(_notification(notice, load_parties(notice.approval_id)))
    return ApprovalNoticeReceipt(
        notification_id=receipt.notification_id, kind=receipt.kind, created_at=receipt.created_at
    )


def _notification(notice: ApprovalNotice, parties: ApprovalParties) -> NotificationRequest:
    amount = f"{notice.amount} {notice.currency}"
    data: dict[str, Any] = {"instanceId": notice.approval_id, "stage": notice.stage}
    if notice.kind in TO_APPROVER:
        to = RecipientRef(
            audience=Audience.APPROVAL_APPROVER, ref=notice.approval_id, stage=notice.stage
        )
        escalated = notice.kind is NotificationKind.APPROVAL_ESCALATED
        subject = (
            f"Escalated approval needed: {amount}" if escalated else f"Approval needed: {amount}"
        )
        deadline = notice.deadline.isoformat() if notice.deadline else "the deadline"
        body = f"{parties.requester} asks for {amount}: {notice.description}\n"
        body += f"Please decide by {deadline}."
        if escalated:
            previous = parties.approver(notice.stage - 1)
            body += f"\nThe previous approver ({previous}) did not decide in time."
        data.update(
            eventName=f"decision-stage-{notice.stage}",
            deadline=notice.deadline.isoformat() if notice.deadline else None,
            decisionPath=f"/api/approvals/{notice.approval_id}/decision",
        )
    else:
        to = RecipientRef(audience=Audience.APPROVAL_REQUESTER, ref=notice.approval_id)
        outcome = notice.outcome.value if notice.outcome else "expired"
        if notice.kind is NotificationKind.APPROVAL_EXPIRED:
            subject = f"Expense request expired: {amount}"
            body = "No approver decided before the last deadline. Submit a new request if needed."
        else:
            subject = f"Expense request {outcome}: {amount}"
            body = f"{parties.approver(notice.stage)} {outcome} your request."
            if notice.comment:
                body += f"\nComment: {notice.comment}"
        data["outcome"] = outcome
    return NotificationRequest(
        idempotency_key=notice.idempotency_key,
        correlation_id=notice.approval_id,
        kind=notice.kind,
        to=to,
        subject=subject,
        body=body,
        data=data,
    )
