"""Human interaction: an expense approval that escalates along a chain of approvers.

Each stage n publishes `{stage, approver, eventName: "decision-stage-<n>", deadline}` as custom
status, notifies its approver, then races that stage's event against a durable timer at the
deadline. A valid decision cancels the timer (otherwise the instance would stay Running until
it fires) and ends the approval; a timeout escalates to the next approver; after the last
stage the approval ends `expired`. The requester is told the outcome either way.

Event names are per stage, so a decision the API forwarded for stage n just as stage n timed
out lands on `decision-stage-n`, which nobody waits for any more: it cannot decide stage n+1.

The input, history, custom status and output name the approval by id and the approvers by
stage number: the addresses stay in the approvals table, and `notify_approval_party` looks them
up. The decision API checks the caller against the stage's stored approver before it raises
the event; a decision for another stage, or a payload that does not validate, is ignored and
the stage keeps waiting for the same deadline (same timer). Waiting again on the
same event name needs care in azure-functions-durable 1.7.0 (SDK issue #507): an event that
arrived before its wait was opened stays buffered in the SDK and is handed to every later wait
with that name, so a naive re-wait would spin forever on the ignored event. `_consume_buffered`
removes it once consumed, which gives the host's own semantics (each event completes one
wait). The local host's event tests pin the SDK behaviour; tests/workflows/test_expense_approval.py
shows the stage consuming a buffered decision once.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

import azure.durable_functions as df
from azure.durable_functions.models.Task import TaskBase
from pydantic import ValidationError

from orchestrators.common import (
    decode_json_text,
    read_input,
    replay_safe_logger,
    step_key,
    workflow_event,
)
from orchestrators.retry import DEFAULT_BACKOFF, StepFailed, call_activity_with_backoff
from shared.models.approvals.activities import ApprovalNotice
from shared.models.approvals.expense import ApprovalState, Verdict
from shared.models.approvals.workflow import (
    ApprovalInput,
    ApprovalResult,
    ApprovalStatus,
    DecisionEvent,
    StageRecord,
    StageResult,
    decision_event_name,
)
from shared.models.notifications import NotificationKind

bp = df.Blueprint()

NOTIFY_APPROVAL_PARTY = "notify_approval_party"

#: After this many ignored decisions in one stage, the stage stops listening and only waits
#: for its deadline: bounds history growth from a misbehaving sender, and stops a spin should a
#: future SDK re-deliver consumed events again.
MAX_IGNORED_DECISIONS_PER_STAGE = 20

#: Workflow event (docs/telemetry.md): the approval waits on its last approver.
APPROVAL_LAST_STAGE = "approval.last_stage"


class _Cancellable(Protocol):
    """`create_timer` is typed as TaskBase; its timer tasks all have `cancel()`."""

    def cancel(self) -> None: ...


@dataclass(frozen=True)
class _StageOutcome:
    decision: DecisionEvent | None
    ignored: int


@bp.orchestration_trigger(context_name="context")
def expense_approval(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    request = read_input(context, ApprovalInput)
    log = replay_safe_logger(context, __name__)
    stage_timeout = timedelta(seconds=request.stage_timeout_seconds)
    stages: list[StageRecord] = []
    decision: DecisionEvent | None = None

    for stage in range(1, request.stage_count + 1):
        started_at = context.current_utc_datetime
        deadline = started_at + stage_timeout
        event_name = decision_event_name(stage)
        status = ApprovalStatus(
            state=ApprovalState.AWAITING_DECISION,
            stage=stage,
            stage_count=request.stage_count,
            event_name=event_name,
            deadline=deadline,
            approval_id=request.approval_id,
            amount=request.amount,
            currency=request.currency,
        )
        # Published before notifying, so a decision raised while the notification is being
        # written is buffered and consumed by this stage's first wait.
        context.set_custom_status(status.to_json())
        # A failed notification is recorded, never fatal: the approver can still decide
        # through the API, and the deadline escalates regardless.
        kind = (
            NotificationKind.APPROVAL_ESCALATED
            if stage > 1
            else NotificationKind.APPROVAL_REQUESTED
        )
        if stage == request.stage_count:
            workflow_event(
                context, __name__, APPROVAL_LAST_STAGE, stage=stage, deadline=deadline.isoformat()
            )
        notified = yield from _notify(
            context, _notice(request, f"notify-stage-{stage}", kind, stage, deadline)
        )
        outcome = yield from _await_decision(context, status, event_name, deadline)
        decision = outcome.decision
        stages.append(
            StageRecord(
                stage=stage,
                started_at=started_at,
                deadline=deadline,
                result=_stage_result(decision),
                approver_notified=notified,
                ignored_decisions=outcome.ignored,
            )
        )
        if decision is not None:
            break
        log.info("stage %d timed out", stage)

    final_state = _final_state(decision)
    decided_at = context.current_utc_datetime if decision else None
    context.set_custom_status(
        ApprovalStatus(
            state=final_state,
            stage=len(stages),
            stage_count=request.stage_count,
            event_name=None,
            deadline=stages[-1].deadline,
            ignored_decisions=stages[-1].ignored_decisions,
            approval_id=request.approval_id,
            amount=request.amount,
            currency=request.currency,
        ).to_json()
    )
    requester_notified = yield from _notify(
        context,
        _notice(
            request,
            "notify-outcome",
            NotificationKind.APPROVAL_DECIDED if decision else NotificationKind.APPROVAL_EXPIRED,
            len(stages),
            outcome=final_state,
            comment=decision.comment if decision else None,
        ),
    )
    log.info("approval finished: %s", final_state.value)
    decider_source = decision.identity_source if decision else None
    return ApprovalResult(
        outcome=final_state,
        approval_id=request.approval_id,
        amount=request.amount,
        currency=request.currency,
        description=request.description,
        decided_at_stage=decision.stage if decision else None,
        decided_at=decided_at,
        comment=decision.comment if decision else None,
        requester_source=request.requester_source,
        identity_source=decider_source,
        identity_verified=request.requester_source.verified
        and (decider_source is None or decider_source.verified),
        stages=stages,
        requester_notified=requester_notified,
        completed_at=context.current_utc_datetime,
    ).to_json()


def _await_decision(
    context: df.DurableOrchestrationContext,
    status: ApprovalStatus,
    event_name: str,
    deadline: datetime,
) -> Generator[TaskBase, Any, _StageOutcome]:
    """Wait for a valid decision by the stage's approver, or the deadline: one timer per stage."""
    log = replay_safe_logger(context, __name__)
    timer = context.create_timer(deadline)
    ignored = 0
    while ignored < MAX_IGNORED_DECISIONS_PER_STAGE:
        event = context.wait_for_external_event(event_name)
        winner = yield context.task_any([event, timer])
        if winner is timer:
            return _StageOutcome(decision=None, ignored=ignored)
        _consume_buffered(context, event_name)
        decision, reason = _valid_decision(winner.result, status.stage)
        if decision is not None:
            _cancel(timer)
            return _StageOutcome(decision=decision, ignored=ignored)
        ignored += 1
        log.warning("stage %d: ignored a decision (%s)", status.stage, reason)
        context.set_custom_status(
            status.model_copy(update={"ignored_decisions": ignored}).to_json()
        )
    log.warning("stage %d: too many ignored decisions; waiting for the deadline", status.stage)
    yield timer
    return _StageOutcome(decision=None, ignored=ignored)


def _cancel(timer: TaskBase) -> None:
    """Cancel the losing timer, so the instance completes now rather than at the deadline."""
    cast(_Cancellable, timer).cancel()


def _consume_buffered(context: df.DurableOrchestrationContext, event_name: str) -> None:
    """Forget an event the SDK buffered before its wait opened, now that a wait consumed it.

    Works around SDK issue #507 (see the module docstring). `deferred_tasks` maps an event name
    to the last event that arrived while nobody waited for it; once a wait has taken it, it
    must not complete the next wait too. Deterministic: replay rebuilds the same map.
    """
    buffered = getattr(context, "deferred_tasks", None)
    if isinstance(buffered, dict):
        buffered.pop(event_name, None)


def _valid_decision(raw: Any, stage: int) -> tuple[DecisionEvent | None, str]:
    """The decision if it is well-formed and decides `stage`; else why it is ignored."""
    try:
        decision = DecisionEvent.model_validate(decode_json_text(raw))
    except ValidationError:
        return None, "malformed payload"
    if decision.stage != stage:
        return None, "meant for another stage"
    return decision, ""


def _notice(
    request: ApprovalInput,
    step: str,
    kind: NotificationKind,
    stage: int,
    deadline: datetime | None = None,
    outcome: ApprovalState | None = None,
    comment: str | None = None,
) -> ApprovalNotice:
    return ApprovalNotice(
        idempotency_key=step_key(request.approval_id, step),
        approval_id=request.approval_id,
        kind=kind,
        stage=stage,
        amount=request.amount,
        currency=request.currency,
        description=request.description,
        deadline=deadline,
        outcome=outcome,
        comment=comment,
    )


def _notify(
    context: df.DurableOrchestrationContext, notice: ApprovalNotice
) -> Generator[TaskBase, Any, bool]:
    """Send `notice` with backoff; whether it was written (a failure is logged, not raised)."""
    try:
        yield from call_activity_with_backoff(
            context, NOTIFY_APPROVAL_PARTY, notice.to_json(), DEFAULT_BACKOFF
        )
    except StepFailed as failed:
        replay_safe_logger(context, __name__).error(
            "%s notification %s not sent: %s", notice.kind.value, notice.idempotency_key, failed
        )
        return False
    return True


def _stage_result(decision: DecisionEvent | None) -> StageResult:
    if decision is None:
        return StageResult.TIMED_OUT
    return StageResult.APPROVED if decision.decision is Verdict.APPROVE else StageResult.REJECTED


def _final_state(decision: DecisionEvent | None) -> ApprovalState:
    if decision is None:
        return ApprovalState.EXPIRED
    return (
        ApprovalState.APPROVED if decision.decision is Verdict.APPROVE else ApprovalState.REJECTED
    )
