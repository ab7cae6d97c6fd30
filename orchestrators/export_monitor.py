"""Monitor: watch an export job until it finishes or the deadline passes.

Each round checks the job (a read-only activity, one attempt: the next round is the retry),
then sleeps on a durable timer. The wait doubles after every check up to the cap, and the
last wait is cut to end exactly at the deadline, so the final check happens *at* the
deadline rather than one long interval before it. Outcomes:

- job `completed` -> EXPORT_COMPLETED alert, outcome `completed`;
- job `failed` -> OPERATIONS_ALERT (a failed export needs a human), outcome `failed`;
- still running at the deadline -> EXPORT_TIMED_OUT alert, outcome `timed_out`;
- job unknown -> outcome `job_not_found` (no alert: nothing was exported or lost).

A failed check (storage unavailable) is counted and the watch goes on. After
`checksPerGeneration` checks the instance continues as new, so a week of one-second checks
never builds one huge history.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import azure.durable_functions as df
from azure.durable_functions.models.Task import TaskBase

from orchestrators.common import read_input, replay_safe_logger, step_key
from orchestrators.notify import send_notification
from orchestrators.retry import Backoff
from shared.errors import ErrorCode, FailureInfo, classify_failure
from shared.models.jobs import Job, JobStatus, JobStatusRequest
from shared.models.monitors import (
    MonitorInput,
    MonitorOutcome,
    MonitorProgress,
    MonitorResult,
    MonitorState,
    MonitorStatus,
)
from shared.models.notifications import (
    NotificationKind,
    NotificationRequest,
)

bp = df.Blueprint()

NOTIFY_BACKOFF: Final = Backoff(max_attempts=5, first_delay=timedelta(seconds=5))


@dataclass(frozen=True)
class JobCheck:
    job: Job | None
    failure: FailureInfo | None = None


@dataclass(frozen=True)
class Alert:
    kind: NotificationKind
    step: str
    subject: str
    body: str


@bp.orchestration_trigger(context_name="context")
def monitor_export_job(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    request = read_input(context, MonitorInput)
    progress = request.progress or _first_progress(request, context.current_utc_datetime)

    for _ in range(request.checks_per_generation):
        check = yield from _check_job(context, request.job_id)
        progress = progress.model_copy(
            update={
                "checks": progress.checks + 1,
                "failed_checks": progress.failed_checks + int(check.failure is not None),
                "last_job_status": check.job.status if check.job else progress.last_job_status,
            }
        )
        if check.failure is not None and check.failure.is_permanent:
            outcome = (
                MonitorOutcome.JOB_NOT_FOUND
                if check.failure.code == ErrorCode.NOT_FOUND
                else MonitorOutcome.CHECK_FAILED
            )
            return _result(context, request, progress, outcome, message=check.failure.message)

        job = check.job
        if job is not None and job.status.is_terminal:
            return (yield from _finish_with_job(context, request, progress, job))

        now = context.current_utc_datetime
        if now >= progress.deadline:
            alert = Alert(
                NotificationKind.EXPORT_TIMED_OUT,
                "export-timed-out",
                f"Export job {request.job_id} did not finish in time",
                f"Still {_status_text(progress)} at the deadline {progress.deadline.isoformat()} "
                f"after {progress.checks} check(s).",
            )
            return (yield from _finish(context, request, progress, MonitorOutcome.TIMED_OUT, alert))

        next_check = min(now + timedelta(seconds=progress.interval_seconds), progress.deadline)
        context.set_custom_status(_status(request, progress, next_check=next_check))
        yield context.create_timer(next_check)
        progress = progress.model_copy(
            update={
                "interval_seconds": min(progress.interval_seconds * 2, request.max_interval_seconds)
            }
        )

    next_generation = progress.model_copy(update={"generation": progress.generation + 1})
    context.continue_as_new(request.model_copy(update={"progress": next_generation}).to_json())
    return None


def _first_progress(request: MonitorInput, now: datetime) -> MonitorProgress:
    deadline = request.deadline or now + timedelta(seconds=request.timeout_seconds or 0)
    return MonitorProgress(
        started_at=now, deadline=deadline, interval_seconds=request.initial_interval_seconds
    )


def _check_job(
    context: df.DurableOrchestrationContext, job_id: str
) -> Generator[TaskBase, Any, JobCheck]:
    try:
        raw = yield context.call_activity(
            "get_export_job_status", JobStatusRequest(job_id=job_id).to_json()
        )
    except Exception as exc:
        failure = classify_failure(exc)
        replay_safe_logger(context, __name__).warning(
            "checking job %s failed [%s:%s]", job_id, failure.kind, failure.code
        )
        return JobCheck(job=None, failure=failure)
    return JobCheck(job=Job.from_json(raw))


def _finish_with_job(
    context: df.DurableOrchestrationContext,
    request: MonitorInput,
    progress: MonitorProgress,
    job: Job,
) -> Generator[TaskBase, Any, dict[str, Any]]:
    if job.status is JobStatus.COMPLETED:
        alert = Alert(
            NotificationKind.EXPORT_COMPLETED,
            "export-completed",
            f"Export job {job.id} completed",
            f"The export is ready at {job.result_location or '(no location given)'}.",
        )
        outcome = MonitorOutcome.COMPLETED
    else:
        alert = Alert(
            NotificationKind.OPERATIONS_ALERT,
            "export-failed",
            f"Export job {job.id} failed",
            f"The export failed: {job.message or '(no reason given)'}",
        )
        outcome = MonitorOutcome.FAILED
    return (
        yield from _finish(
            context,
            request,
            progress,
            outcome,
            alert,
            result_location=job.result_location,
            message=job.message,
        )
    )


def _finish(
    context: df.DurableOrchestrationContext,
    request: MonitorInput,
    progress: MonitorProgress,
    outcome: MonitorOutcome,
    alert: Alert,
    *,
    result_location: str | None = None,
    message: str | None = None,
) -> Generator[TaskBase, Any, dict[str, Any]]:
    """Send the outcome's alert (once, keyed by instance and step) and build the output.

    An alert that cannot be written even after retries does not undo what was observed:
    the output says so in `notificationError`.
    """
    notification = NotificationRequest(
        idempotency_key=step_key(request.monitor_id, alert.step),
        correlation_id=request.monitor_id,
        kind=alert.kind,
        to=request.recipient,
        subject=alert.subject,
        body=alert.body,
        data={
            "jobId": request.job_id,
            "outcome": outcome.value,
            "checks": progress.checks,
            "resultLocation": result_location,
        },
    )
    delivery = yield from send_notification(context, notification, NOTIFY_BACKOFF)
    notification_id = delivery.receipt.notification_id if delivery.receipt else None
    notification_error = delivery.error.failure.message if delivery.error else None
    return _result(
        context,
        request,
        progress,
        outcome,
        result_location=result_location,
        message=message,
        notification_id=notification_id,
        notification_error=notification_error,
    )


def _status(
    request: MonitorInput,
    progress: MonitorProgress,
    *,
    next_check: datetime | None = None,
    outcome: MonitorOutcome | None = None,
) -> dict[str, Any]:
    return MonitorStatus(
        job_id=request.job_id,
        state=MonitorState.WATCHING if outcome is None else MonitorState.FINISHED,
        outcome=outcome,
        last_job_status=progress.last_job_status,
        checks=progress.checks,
        failed_checks=progress.failed_checks,
        current_interval_seconds=progress.interval_seconds,
        next_check_at=next_check,
        deadline=progress.deadline,
        generation=progress.generation,
    ).to_json()


def _result(
    context: df.DurableOrchestrationContext,
    request: MonitorInput,
    progress: MonitorProgress,
    outcome: MonitorOutcome,
    **details: Any,
) -> dict[str, Any]:
    context.set_custom_status(_status(request, progress, outcome=outcome))
    return MonitorResult(
        job_id=request.job_id,
        outcome=outcome,
        checks=progress.checks,
        failed_checks=progress.failed_checks,
        started_at=progress.started_at,
        finished_at=context.current_utc_datetime,
        deadline=progress.deadline,
        **details,
    ).to_json()


def _status_text(progress: MonitorProgress) -> str:
    return progress.last_job_status.value if progress.last_job_status else "unknown"
