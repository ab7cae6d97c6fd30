"""Contracts of the expense approval: HTTP bodies, orchestration input, status and output.

The approval escalates through an ordered chain of approvers. Each stage has its own event name
(`decision-stage-<n>`) and an absolute deadline; the orchestrator publishes both in its custom
status, which is how the decision API knows which stage waits and which event to raise.

Who requested and who approves are e-mail addresses, kept in the approvals table
(`shared.approval_store`) under the approval id. The orchestration's input, history, custom
status and output carry the approval id and stage numbers only.
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

from shared.models.base import Contract, DecimalText, EmailAddress, IdempotencyKey, Identifier
from shared.models.notifications import NotificationKind

#: Orchestrator function name; the decision API refuses instances of any other orchestrator.
APPROVAL_ORCHESTRATOR = "expense_approval"

MAX_APPROVERS = 5
MIN_STAGE_SECONDS = 1
#: 6 days: longer durable timers become "long timers" whose cancellation is unreliable.
MAX_STAGE_SECONDS = 144 * 3600
MAX_STAGE_HOURS = 144

Email = EmailAddress
Approvers = Annotated[
    list[Email],
    Field(
        min_length=1,
        max_length=MAX_APPROVERS,
        description="Escalation order: the first decides first; each next one on timeout.",
    ),
]
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


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def identity_key(identity: str) -> str:
    """An identity as compared: ASCII letters lower-cased, every other character kept as is.

    No Unicode case folding or compatibility normalization: a long s (U+017F) folds to `s` and
    fullwidth letters normalize to ASCII ones, yet each spelling is another mailbox and another
    sign-in name.
    """
    return identity.translate(_ASCII_LOWER)


def same_person(a: str, b: str) -> bool:
    """Whether two e-mail addresses or principal names name the same person (see identity_key)."""
    return identity_key(a) == identity_key(b)


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
    """Where an identity came from: App Service Authentication (verified) or the request body."""

    PRINCIPAL = "principal"
    REQUEST_BODY = "request_body"

    @property
    def verified(self) -> bool:
        return self is IdentitySource.PRINCIPAL


class _ExpenseFields(Contract):
    amount: Amount = Field(description="Positive, at most 2 decimals; serialized as a string.")
    currency: CurrencyCode = "EUR"
    description: Description


class ApprovalParties(Contract):
    """Who asks and who decides, in escalation order: the approvals table's row, never history."""

    requester: Email
    approvers: Approvers
    requester_source: IdentitySource

    @field_validator("approvers")
    @classmethod
    def _distinct_and_not_the_requester(
        cls, approvers: list[str], info: ValidationInfo
    ) -> list[str]:
        return checked_chain(info.data.get("requester"), approvers)

    def approver(self, stage: int) -> str:
        return self.approvers[stage - 1]


def checked_chain(requester: object, approvers: list[str]) -> list[str]:
    """The approver chain, refused if it names anyone twice or includes the requester."""
    keys = [identity_key(a) for a in approvers]
    if len(set(keys)) != len(keys):
        raise PydanticCustomError("duplicate_approver", "each approver may appear only once")
    if isinstance(requester, str) and identity_key(requester) in keys:
        raise PydanticCustomError("self_approval", "the requester cannot approve their own expense")
    return approvers


class ApprovalRequest(_ExpenseFields):
    """Body of `POST /api/approvals`."""

    requester: Email | None = Field(
        default=None,
        description="Who asks. With App Service Authentication on, the signed-in principal is "
        "the requester; a different value here is refused.",
    )
    approvers: Approvers

    @field_validator("approvers")
    @classmethod
    def _distinct_and_not_the_requester(
        cls, approvers: list[str], info: ValidationInfo
    ) -> list[str]:
        return checked_chain(info.data.get("requester"), approvers)

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
    """Orchestration input: references to the stored parties, and the resolved deadline."""

    approval_id: str = Field(description="The approvals table's key (the instance id).")
    stage_count: int = Field(ge=1, le=MAX_APPROVERS)
    requester_source: IdentitySource
    stage_timeout_seconds: int = Field(ge=MIN_STAGE_SECONDS, le=MAX_STAGE_SECONDS)


class DecisionRequest(Contract):
    """Body of `POST /api/approvals/{instanceId}/decision`."""

    approver: Email | None = Field(
        default=None,
        description="Who decides, without App Service Authentication (local development). With "
        "it on, the signed-in principal decides and a different value here is refused.",
    )
    decision: Verdict
    comment: Comment | None = None


class DecisionEvent(Contract):
    """Payload of the `decision-stage-<n>` event; the orchestrator validates it again.

    The API checked the decider against the stage's stored approver; the event names the stage
    it decides, never the person.
    """

    stage: int = Field(ge=1, le=MAX_APPROVERS)
    decision: Verdict
    comment: Comment | None = None
    identity_source: IdentitySource = IdentitySource.REQUEST_BODY


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
