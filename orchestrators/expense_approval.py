"""Human interaction: an expense approval that escalates along a chain of approvers.

Each stage n publishes `{stage, approver, eventName: "decision-stage-<n>", deadline}` as custom
status, notifies its approver, then races that stage's event against a durable timer at the
deadline. A valid decision cancels the timer (otherwise the instance would stay Running until
it fires) and ends the approval; a timeout escalates to the next approver; after the last
stage the approval ends `expired`. The requester is told the outcome either way.

Event names are per stage, so a decision the API forwarded for stage n just as stage n timed
out lands on `decision-stage-n`, which nobody waits for any more: it cannot decide stage n+1.

A decision from someone other than the stage's approver, or a payload that does not validate,
is ignored and the stage keeps waiting for the same deadline (same timer). Waiting again on the
same event name needs care in azure-functions-durable 1.7.0 (SDK issue #507): an event that
arrived before its wait was opened stays buffered in the SDK and is handed to every later wait
with that name, so a naive re-wait would spin forever on the ignored event. `_consume_buffered`
removes it once consumed, which gives the host's own semantics (each event completes one
wait); tests/unit/test_expense_approval_sdk.py pins this against the real SDK executor.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

import azure.durable_functions as df
from azure.durable_functions.models.Task import TaskBase
from pydantic import ValidationError

from orchestrators.common import decode_json_text, read_input, replay_safe_logger, step_key
from orchestrators.notify import send_notification
from shared.models.approvals import (
    ApprovalInput,
    ApprovalResult,
    ApprovalState,
    ApprovalStatus,
    DecisionEvent,
    StageRecord,
    StageResult,
    Verdict,
    decision_event_name,
    same_person,
)
from shared.models.notifications import NotificationKind, NotificationRequest

bp = df.Blueprint()

#: After this many ignored decisions in one stage, the stage stops listening and only waits
#: for its deadline: bounds history growth from a misbehaving sender, and stops a spin should a
#: future SDK re-deliver consumed events again.
MAX_IGNORED_DECISIONS_PER_STAGE = 20


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

    for stage, approver in enumerate(request.approvers, start=1):
        started_at = context.current_utc_datetime
        deadline = started_at + stage_timeout
        event_name = decision_event_name(stage)
        status = ApprovalStatus(
            state=ApprovalState.AWAITING_DECISION,
            stage=stage,
            stage_count=len(request.approvers),
            approver=approver,
            event_name=event_name,
            deadline=deadline,
            requester=request.requester,
            amount=request.amount,
            currency=request.currency,
        )
        # Published before notifying, so a decision raised while the notification is being
        # written is buffered and consumed by this stage's first wait.
        context.set_custom_status(status.to_json())
        # A failed notification is recorded, never fatal: the approver can still decide
        # through the API, and the deadline escalates regardless.
        delivery = yield from send_notification(
            context, _stage_notification(context, request, stage, approver, deadline)
        )
        notified = delivery.sent
        outcome = yield from _await_decision(context, status, event_name, deadline)
        decision = outcome.decision
        stages.append(
            StageRecord(
                stage=stage,
                approver=approver,
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
            stage_count=len(request.approvers),
            approver=stages[-1].approver,
            event_name=None,
            deadline=stages[-1].deadline,
            ignored_decisions=stages[-1].ignored_decisions,
            requester=request.requester,
            amount=request.amount,
            currency=request.currency,
        ).to_json()
    )
    outcome_delivery = yield from send_notification(
        context, _outcome_notification(context, request, final_state, decision)
    )
    requester_notified = outcome_delivery.sent
    log.info("approval finished: %s", final_state.value)
    return ApprovalResult(
        outcome=final_state,
        requester=request.requester,
        amount=request.amount,
        currency=request.currency,
        description=request.description,
        decided_by=decision.approver if decision else None,
        decided_at=decided_at,
        comment=decision.comment if decision else None,
        identity_source=decision.identity_source if decision else None,
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
        decision, reason = _valid_decision(winner.result, status.approver)
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


def _valid_decision(raw: Any, approver: str) -> tuple[DecisionEvent | None, str]:
    """The decision if it is well-formed and comes from `approver`; else why it is ignored."""
    try:
        decision = DecisionEvent.model_validate(decode_json_text(raw))
    except ValidationError:
        return None, "malformed payload"
    if not same_person(decision.approver, approver):
        return None, "not the current approver"
    return decision, ""


def _stage_notification(
    context: df.DurableOrchestrationContext,
    request: ApprovalInput,
    stage: int,
    approver: str,
    deadline: datetime,
) -> NotificationRequest:
    escalated = stage > 1
    amount = f"{request.amount} {request.currency}"
    subject = f"Escalated approval needed: {amount}" if escalated else f"Approval needed: {amount}"
    body = (
        f"{request.requester} asks for {amount}: {request.description}\n"
        f"Please decide by {deadline.isoformat()}."
    )
    if escalated:
        body += f"\nThe previous approver ({request.approvers[stage - 2]}) did not decide in time."
    return NotificationRequest(
        idempotency_key=step_key(context, f"notify-stage-{stage}"),
        correlation_id=context.instance_id,
        kind=NotificationKind.APPROVAL_ESCALATED
        if escalated
        else NotificationKind.APPROVAL_REQUESTED,
        recipient=approver,
        subject=subject,
        body=body,
        data={
            "instanceId": context.instance_id,
            "stage": stage,
            "eventName": decision_event_name(stage),
            "deadline": deadline.isoformat(),
            "decisionPath": f"/api/approvals/{context.instance_id}/decision",
        },
    )


def _outcome_notification(
    context: df.DurableOrchestrationContext,
    request: ApprovalInput,
    state: ApprovalState,
    decision: DecisionEvent | None,
) -> NotificationRequest:
    amount = f"{request.amount} {request.currency}"
    if decision is None:
        kind = NotificationKind.APPROVAL_EXPIRED
        subject = f"Expense request expired: {amount}"
        body = "No approver decided before the last deadline. Submit a new request if needed."
    else:
        kind = NotificationKind.APPROVAL_DECIDED
        subject = f"Expense request {state.value}: {amount}"
        body = f"{decision.approver} {state.value} your request."
        if decision.comment:
            body += f"\nComment: {decision.comment}"
    return NotificationRequest(
        idempotency_key=step_key(context, "notify-outcome"),
        correlation_id=context.instance_id,
        kind=kind,
        recipient=request.requester,
        subject=subject,
        body=body,
        data={"instanceId": context.instance_id, "outcome": state.value},
    )


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
