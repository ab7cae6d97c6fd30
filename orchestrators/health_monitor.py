"""Eternal orchestration: a periodic health check of one allow-listed endpoint.

Each generation checks once, updates its counters, notifies on a state change, then waits for
the next check or a `stop` event, and carries its state into the next generation with
`continue_as_new` (so history stays one check long however long the monitor runs).

- Alert once: HEALTH_ALERT when consecutive failures reach the threshold while no alert is
  open; HEALTH_RESOLVED on the first healthy check after that. A notification that could not
  be written leaves the alert state unchanged, so the next generation tries again.
- Idempotency keys derive from the monitor's name (never the instance id, which the Durable
  `restart` API replaces) and include the run and the generation: the same transition in a later
  generation is a new notification, a re-run of this generation's activity is not. The run id
  matters because every start of a name reuses its singleton instance id and counts
  generations from 1 again: without it, a restarted monitor's alert in generation 3 would
  find the outbox row of an earlier run's generation 3 and nobody would be told. The starter
  mints the run id and `continue_as_new` carries it; generation 1 mints one with
  `context.new_uuid()` (replay-safe) only for an input without it.
  State written before run ids existed keeps its old keys for the generation in flight (a
  retried send must find what it may already have written) and mints one for the next.
- Stopping: `continue_as_new` drops events delivered but not consumed. A `stop` raised while
  the check runs is buffered in this generation and consumed by its wait, so it works. A stop
  that reaches the host in the same batch as the interval timer (after it) is dropped with the
  generation; the monitor then keeps running and the stop route can simply be called again.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

import azure.durable_functions as df
from azure.durable_functions.models.Task import TaskBase

from orchestrators.common import read_input, replay_safe_logger, step_key
from orchestrators.notify import send_notification
from orchestrators.retry import Backoff, StepFailed, call_activity_with_backoff
from shared import instance_ids
from shared.models.health_monitors import (
    STOP_EVENT,
    CheckErrorKind,
    HealthCheckRequest,
    HealthCheckResult,
    HealthMonitorResult,
    HealthMonitorState,
    HealthMonitorStatus,
    MonitorPhase,
)
from shared.models.notifications import OPERATIONS, NotificationKind, NotificationRequest

bp = df.Blueprint()

#: The check itself never fails for the endpoint's sake; a failure is a crash worth one retry.
PROBE_BACKOFF = Backoff(max_attempts=2, first_delay=timedelta(seconds=5))


class HealthMonitorConfigError(RuntimeError):
    """The endpoint can no longer be checked (e.g. removed from the allow-list): stop loudly."""


class _Cancellable(Protocol):
    def cancel(self) -> None: ...


@bp.orchestration_trigger(context_name="context")
def health_monitor(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    state = read_input(context, HealthMonitorState)
    log = replay_safe_logger(context, __name__)
    if state.started_at is None:
        state = state.model_copy(update={"started_at": context.current_utc_datetime})
    if state.run_id is None and state.generation == 1:
        state = state.model_copy(update={"run_id": new_run_id(context)})
    context.set_custom_status(_status(state, MonitorPhase.CHECKING))

    check = yield from _check(context, state)
    state = yield from _record(context, state, check)

    next_check_at = context.current_utc_datetime + timedelta(seconds=state.interval_seconds)
    context.set_custom_status(_status(state, MonitorPhase.WAITING, next_check_at))
    timer = context.create_timer(next_check_at)
    stop = context.wait_for_external_event(STOP_EVENT)
    winner = yield context.task_any([stop, timer])
    if winner is stop:
        cast(_Cancellable, timer).cancel()
        context.set_custom_status(_status(state, MonitorPhase.STOPPED))
        log.info("monitor %s stopped in generation %d", state.name, state.generation)
        return HealthMonitorResult(
            name=state.name,
            outcome=MonitorPhase.STOPPED,
            generation=state.generation,
            run_id=state.run_id,
            checks_total=state.checks_total,
            consecutive_failures=state.consecutive_failures,
            alert_open=state.alert_open,
            last_check=state.last_check,
            stopped_at=context.current_utc_datetime,
        ).to_json()
    carried = {"generation": state.generation + 1, "run_id": state.run_id or new_run_id(context)}
    context.continue_as_new(state.model_copy(update=carried).to_json())
    return None


def new_run_id(context: df.DurableOrchestrationContext) -> str:
    """A replay-safe id for one start of a monitor (48 bits of a name-based UUID)."""
    return context.new_uuid().replace("-", "")[:12]


def notification_step(state: HealthMonitorState, kind: NotificationKind) -> str:
    """The step part of a notification's idempotency key: unique per run and generation."""
    step = f"{kind.value}-g{state.generation}"
    # No run id only in a generation that was in flight when run ids were introduced.
    return f"{state.run_id}:{step}" if state.run_id else step


def _check(
    context: df.DurableOrchestrationContext, state: HealthMonitorState
) -> Generator[TaskBase, Any, HealthCheckResult]:
    """One check; a crashed probe counts as unhealthy, a permanent error ends the monitor."""
    payload = HealthCheckRequest(name=state.name).to_json()
    try:
        raw = yield from call_activity_with_backoff(
            context, "check_endpoint_health", payload, PROBE_BACKOFF
        )
    except StepFailed as exc:
        if exc.failure.is_permanent:
            context.set_custom_status(_status(state, MonitorPhase.FAILED))
            raise HealthMonitorConfigError(
                f"monitor '{state.name}' cannot check its endpoint: {exc.failure.message}"
            ) from exc
        replay_safe_logger(context, __name__).warning("probe failed: %s", exc)
        return HealthCheckResult(
            name=state.name,
            healthy=False,
            latency_ms=0,
            error_kind=CheckErrorKind.PROBE_FAILED,
            checked_at=context.current_utc_datetime,
        )
    return HealthCheckResult.from_json(raw)


def _record(
    context: df.DurableOrchestrationContext,
    state: HealthMonitorState,
    check: HealthCheckResult,
) -> Generator[TaskBase, Any, HealthMonitorState]:
    """Fold one check into the state, alerting or resolving on a transition."""
    now = context.current_utc_datetime
    state = state.model_copy(
        update={
            "checks_total": state.checks_total + 1,
            "last_check": check,
            "consecutive_failures": 0 if check.healthy else state.consecutive_failures + 1,
            # Orchestration time, like every other timestamp of the state (the check's own
            # `checkedAt` is the worker's clock, which differs under a virtual-time emulator).
            "last_healthy_at": now if check.healthy else state.last_healthy_at,
        }
    )
    if not check.healthy and not state.alert_open:
        if state.consecutive_failures >= state.alert_threshold:
            sent = yield from _notify(context, state, NotificationKind.HEALTH_ALERT)
            if sent:
                state = state.model_copy(update={"alert_open": True, "alert_opened_at": now})
    elif check.healthy and state.alert_open:
        sent = yield from _notify(context, state, NotificationKind.HEALTH_RESOLVED)
        if sent:
            state = state.model_copy(update={"alert_open": False, "alert_opened_at": None})
    return state


def _notify(
    context: df.DurableOrchestrationContext, state: HealthMonitorState, kind: NotificationKind
) -> Generator[TaskBase, Any, bool]:
    step = notification_step(state, kind)
    monitor_id = instance_ids.health_monitor(state.name)
    alert = kind is NotificationKind.HEALTH_ALERT
    subject = (
        f"ALERT: {state.name} failed {state.consecutive_failures} checks in a row"
        if alert
        else f"RESOLVED: {state.name} is healthy again"
    )
    check = state.last_check
    notification = NotificationRequest(
        idempotency_key=step_key(monitor_id, step),
        correlation_id=monitor_id,
        kind=kind,
        to=OPERATIONS,
        subject=subject,
        body=subject,
        data={
            "endpoint": state.name,
            "generation": state.generation,
            "runId": state.run_id,
            "consecutiveFailures": state.consecutive_failures,
            "statusCode": check.status_code if check else None,
            "errorKind": check.error_kind.value if check and check.error_kind else None,
        },
    )
    return (yield from send_notification(context, notification)).sent


def _status(
    state: HealthMonitorState, phase: MonitorPhase, next_check_at: datetime | None = None
) -> dict[str, Any]:
    return HealthMonitorStatus(
        phase=phase,
        name=state.name,
        generation=state.generation,
        run_id=state.run_id,
        interval_seconds=state.interval_seconds,
        alert_threshold=state.alert_threshold,
        consecutive_failures=state.consecutive_failures,
        alert_open=state.alert_open,
        alert_opened_at=state.alert_opened_at,
        checks_total=state.checks_total,
        last_check=state.last_check,
        last_healthy_at=state.last_healthy_at,
        started_at=state.started_at,
        next_check_at=next_check_at,
    ).to_json()
