"""HTTP contracts of the expense approval: `POST /api/approvals`, its decision and its view."""

from __future__ import annotations

from pydantic import (
    Field,
    StrictFloat,
    StrictInt,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from shared.models.approvals.expense import (
    MAX_STAGE_HOURS,
    MAX_STAGE_SECONDS,
    MIN_STAGE_SECONDS,
    ApproverChainChecks,
    Approvers,
    Comment,
    Email,
    Verdict,
    _ExpenseFields,
)
from shared.models.approvals.workflow import ApprovalResult, ApprovalStatus
from shared.models.base import Contract


class ApprovalRequest(_ExpenseFields, ApproverChainChecks):
    """Body of `POST /api/approvals`."""

    requester: Email | None = Field(
        default=None,
        description="Who asks. With App Service Authentication on, the signed-in principal is "
        "the requester; a different value here is refused.",
    )
    approvers: Approvers

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


class DecisionRequest(Contract):
    """Body of `POST /api/approvals/{instanceId}/decision`."""

    approver: Email | None = Field(
        default=None,
        description="Who decides, without App Service Authentication (local development). With "
        "it on, the signed-in principal decides and a different value here is refused.",
    )
    decision: Verdict
    comment: Comment | None = None


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
    requester: str | None = Field(
        default=None, description="From the approvals table; the instance never holds it."
    )
    approvers: list[str] | None = Field(
        default=None, description="Escalation order; stage n is decided by approvers[n-1]."
    )
    status: ApprovalStatus | None = None
    result: ApprovalResult | None = None
