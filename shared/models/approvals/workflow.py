"""Workflow contracts of the expense approval: input, decision events, status and result.

Each stage has its own event name (`decision-stage-<n>`) and an absolute deadline; the
orchestrator publishes both in its custom status, which is how the decision API knows which
stage waits and which event to raise. Input, history, status and output carry the approval id
and stage numbers only: the addresses are in the approvals table (`shared.approval_store`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import (
    Field,
)

from shared.models.approvals.expense import (
    MAX_APPROVERS,
    MAX_STAGE_SECONDS,
    MIN_STAGE_SECONDS,
    Amount,
    ApprovalState,
    Comment,
    IdentitySource,
    Verdict,
    _ExpenseFields,
)
from shared.models.base import Contract

#: Orchestrator function name; the decision API refuses instances of any other orchestrator.
APPROVAL_ORCHESTRATOR = "expense_approval"


def decision_event_name(stage: int) -> str:
    """One event name per stage: a decision meant for stage n can never complete stage n+1."""
    return f"decision-stage-{stage}"


class ApprovalInput(_ExpenseFields):
    """Orchestration input: references to the stored parties, and the resolved deadline."""

    approval_id: str = Field(description="The approvals table's key (the instance id).")
    stage_count: int = Field(ge=1, le=MAX_APPROVERS)
    requester_source: IdentitySource
    stage_timeout_seconds: int = Field(ge=MIN_STAGE_SECONDS, le=MAX_STAGE_SECONDS)


class DecisionEvent(Contract):
    """Payload of the `decision-stage-<n>` event; the orchestrator validates it again.

    The API checked the decider against the stage's stored approver; the event names the stage
    it decides, never the person.
    """

    stage: int = Field(ge=1, le=MAX_APPROVERS)
    decision: Verdict
    comment: Comment | None = None
    identity_source: IdentitySource = IdentitySource.REQUEST_BODY


class StageResult(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    TIMED_OUT = "timed_out"


class ApprovalStatus(Contract):
    """Custom status: what the approval waits for right now."""

    state: ApprovalState
    stage: int = Field(ge=1, le=MAX_APPROVERS)
    stage_count: int = Field(ge=1, le=MAX_APPROVERS)
    event_name: str | None = Field(
        default=None, description="The event the current stage waits for; null when finished."
    )
    deadline: datetime | None = None
    ignored_decisions: int = Field(default=0, ge=0)
    approval_id: str
    amount: Amount
    currency: str


class StageRecord(Contract):
    """What happened in one stage."""

    stage: int
    started_at: datetime
    deadline: datetime
    result: StageResult
    approver_notified: bool
    ignored_decisions: int = 0


class ApprovalResult(Contract):
    """Orchestration output."""

    outcome: Literal[ApprovalState.APPROVED, ApprovalState.REJECTED, ApprovalState.EXPIRED]
    approval_id: str
    amount: Amount
    currency: str
    description: str
    decided_at_stage: int | None = Field(
        default=None, description="The stage whose approver decided; who that is is stored."
    )
    decided_at: datetime | None = None
    comment: str | None = None
    requester_source: IdentitySource
    identity_source: IdentitySource | None = Field(
        default=None, description="Where the decider's identity came from."
    )
    identity_verified: bool = Field(
        description="True only when App Service Authentication vouched for the requester and "
        "the decider; false means both were taken from request bodies."
    )
    stages: list[StageRecord]
    requester_notified: bool
    completed_at: datetime
