"""History events that begin and end an execution, and what a child tells its parent."""

from __future__ import annotations

import json
from datetime import datetime

from durable_localhost.history import (
    ORCHESTRATION_STATUS_CODES,
    Event,
    EventType,
    event,
    execution_started,
)
from durable_localhost.model import Instance, RuntimeStatus


def execution_started_event(instance: Instance, now: datetime) -> Event:
    """``ExecutionStarted`` of the instance's current execution."""
    parent = None
    if instance.parent is not None:
        parent = {
            "Name": instance.parent.name,
            "Version": instance.parent.version,
            "TaskScheduleId": instance.parent.task_id,
            "OrchestrationInstance": {
                "InstanceId": instance.parent.instance_id,
                "ExecutionId": instance.parent.execution_id,
            },
        }
    return execution_started(
        now,
        name=instance.name,
        instance_id=instance.instance_id,
        execution_id=instance.execution_id,
        input_json=instance.input,
        version=instance.version,
        parent=parent,
    )


def execution_completed_event(
    instance: Instance, status: RuntimeStatus, output_json: str, now: datetime
) -> Event:
    """``ExecutionCompleted`` for a completed or failed execution."""
    result = output_json if status is RuntimeStatus.COMPLETED else json.loads(output_json)
    return event(
        EventType.EXECUTION_COMPLETED,
        now,
        instance.next_event_id,
        OrchestrationStatus=ORCHESTRATION_STATUS_CODES[str(status)],
        Result=result,
        FailureDetails=None,
    )


def terminated_events(instance: Instance, reason: str, now: datetime) -> list[Event]:
    """``ExecutionTerminated`` and the ``ExecutionCompleted`` that follows it."""
    return [
        event(EventType.EXECUTION_TERMINATED, now, Input=reason),
        event(
            EventType.EXECUTION_COMPLETED,
            now,
            instance.next_event_id,
            OrchestrationStatus=ORCHESTRATION_STATUS_CODES["Terminated"],
            Result=reason,
            FailureDetails=None,
        ),
    ]


def parent_notification(instance: Instance, status: RuntimeStatus, now: datetime) -> Event:
    """What a finished sub-orchestration tells its parent (a terminated one reports failure)."""
    assert instance.parent is not None
    task_id = instance.parent.task_id
    if status is RuntimeStatus.COMPLETED:
        return event(
            EventType.SUB_ORCHESTRATION_COMPLETED,
            now,
            TaskScheduledId=task_id,
            Result=instance.output,
        )
    reason = json.loads(instance.output) if instance.output else ""
    return event(
        EventType.SUB_ORCHESTRATION_FAILED,
        now,
        TaskScheduledId=task_id,
        Reason=reason,
        Details=None,
        FailureDetails=None,
    )
