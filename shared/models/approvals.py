"""Contracts of the expense approval: HTTP bodies, orchestration input, status and output.

The approval escalates through an ordered chain of approvers. Each stage has its own event name
(`decision-stage-<n>`) and an absolute deadline; the orchestrator publishes both in its custom
status, which is how the decision API knows whom to accept and which event to raise.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    StrictFloat,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from shared.models.base import Contract, DecimalText, EmailAddress

#: Orchestrator function name; the decision API refuses instances of any other orchestrator.
APPROVAL_ORCHESTRATOR = "expense_approval"
#: Prefix of every approval instance id, so ids are recognizable in logs and the task hub.
APPROVAL_INSTANCE_PREFIX = "approval-"

MAX_APPROVERS = 5
MIN_STAGE_SECONDS = 1
#: 6 days: longer durable timers become "long timers" whose cancellation is unreliable.
MAX_STAGE_SECONDS = 144 * 3600
MAX_STAGE_HOURS = 144

Email = EmailAddress
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$", max_length=3)]
Description = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Comment = Annotated[str, StringConstraints(max_length=1000)]
Amount = Annotated[
    Decimal,
    Field(gt=0, le=Decimal("1000000000"), max_digits=12, decimal_places=2),
    AfterValidator(lambda amount: amount.quantize(Decimal("0.01"))),
    DecimalText(places=2),
]


def decision_event_name(stage: int) -> str:
    """One event name per stage: a decision meant for stage n can never complete stage n+1."""
    return f"decision-stage-{stage}"


def same_person(a: str, b: str) -> bool:
    """E-mail addresses compared case-insensitively (what users and identity providers expect)."""
    return a.casefold() == b.casefold()


class Verdict(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class ApprovalState(StrEnum):
    AWAITING_DECISION = "awaiting_decision"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


class StageResult(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    TIMED_OUT = "timed_out"


class IdentitySource(StrEnum):
    """Where the decider's identity came from: App Service Authentication or the request body."""

    PRINCIPAL = "principal"
    REQUEST_BODY = "request_body"


class _ExpenseFields(Contract):
    requester: Email
    amount: Amount = Field(description="Positive, at most 2 decimals; serialized as a string.")
    currency: CurrencyCode = "EUR"
    description: Description
    approvers: list[Email] = Field(
        min_length=1,
        max_length=MAX_APPROVERS,
        description="Escalation order: the first decides first; each next one on timeout.",
    )

    @field_validator("approvers")
    @classmethod
    def _distinct_and_not_the_requester(
        cls, approvers: list[str], info: ValidationInfo
    ) -> list[str]:
        folded = [a.casefold() for a in approvers]
        if len(set(folded)) != len(folded):
            raise PydanticCustomError("duplicate_approver", "each approver may appear only once")
        requester = info.data.get("requester")
        if isinstance(requester, str) and requester.casefold() in folded:
            raise PydanticCustomError(
                "self_approval", "the requester cannot approve their own expense"
            )
        return approvers


class ApprovalRequest(_ExpenseFields):
    """Body of `POST /api/approvals`."""

    stage_timeout_hours: StrictFloat | None = Field(
        default=None,
        gt=0,
        le=MAX_STAGE_HOURS,
        description="Per-stage deadline in hours (default: APPROVAL_DEFAULT_STAGE_HOURS).",
    )
    stage_timeout_seconds: StrictInt | None = Field(
        default=None,
        ge=MIN_STAGE_SECONDS,
        le=MAX_STAGE_SECONDS,
        description="Alternative to stageTimeoutHours for short deadlines (tests, demos).",
    )

    @field_validator("stage_timeout_seconds")
    @classmethod
    def _one_timeout_form(cls, seconds: int | None, info: ValidationInfo) -> int | None:
        if seconds is not None and info.data.get("stage_timeout_hours") is not None:
            raise PydanticCustomError(
                "mutually_exclusive", "give stageTimeoutHours or stageTimeoutSeconds, not both"
            )
        return seconds


class ApprovalInput(_ExpenseFields):
    """Orchestration input: the request with its per-stage deadline resolved by the starter."""

    stage_timeout_seconds: int = Field(ge=MIN_STAGE_SECONDS, le=MAX_STAGE_SECONDS)


class DecisionRequest(Contract):
    """Body of `POST /api/approvals/{instanceId}/decision`."""

    approver: Email | None = Field(
        default=None,
        description="Who decides. Ignored in favour of the signed-in principal when App Service "
        "Authentication supplies one (then it must match if given).",
    )
    decision: Verdict
    comment: Comment | None = None


class DecisionEvent(Contract):
    """Payload of the `decision-stage-<n>` event; the orchestrator validates it again."""

    approver: Email
    decision: Verdict
    comment: Comment | None = None
    identity_source: IdentitySource = IdentitySource.REQUEST_BODY


class ApprovalStatus(Contract):
    """Custom status: what the approval waits for right now."""

    state: ApprovalState
    stage: int = Field(ge=1, le=MAX_APPROVERS)
    stage_count: int = Field(ge=1, le=MAX_APPROVERS)
    approver: str
    event_name: str | None = Field(
        default=None, description="The event the current stage waits for; null when finished."
    )
    deadline: datetime | None = None
    ignored_decisions: int = Field(default=0, ge=0)
    requester: str
    amount: Amount
    currency: str


class StageRecord(Contract):
    """What happened in one stage."""

    stage: int
    approver: str
    started_at: datetime
    deadline: datetime
    result: StageResult
    approver_notified: bool
    ignored_decisions: int = 0


class ApprovalResult(Contract):
    """Orchestration output."""

    outcome: Literal[ApprovalState.APPROVED, ApprovalState.REJECTED, ApprovalState.EXPIRED]
    requester: str
    amount: Amount
    currency: str
    description: str
    decided_by: str | None = None
    decided_at: datetime | None = None
    comment: str | None = None
    identity_source: IdentitySource | None = None
    stages: list[StageRecord]
    requester_notified: bool
    completed_at: datetime


class DecisionAccepted(Contract):
    """Body of the 202 answering a decision: where to watch the outcome."""

    id: str
    stage: int
    event_name: str
    decision: Verdict
    status_url: str


class ApprovalView(Contract):
    """Body of `GET /api/approvals/{instanceId}`."""

    id: str
    runtime_status: str
    status: ApprovalStatus | None = None
    result: ApprovalResult | None = None
