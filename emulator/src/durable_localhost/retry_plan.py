"""Host-side retries of ``*_with_retry`` calls: the steps the SDK numbers while it retries.

A failed attempt gets a retry timer (or, after the last attempt, DTFx's "dummy" timer at the
current time); the timer firing schedules the next attempt under a new event id.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from durable_localhost.effects import (
    ArmTimer,
    DispatchActivity,
    Effect,
    start_child,
    take_id,
    task_scheduled,
)
from durable_localhost.history import Event, EventType, event
from durable_localhost.model import Instance, RetryGroup
from durable_localhost.timeutil import to_wire


def is_retry_message(instance: Instance, message: Event) -> bool:
    """A failed attempt of a ``*_with_retry`` call, or its retry timer firing."""
    kind = message["EventType"]
    if kind in (EventType.TASK_FAILED, EventType.SUB_ORCHESTRATION_FAILED):
        group = instance.retry_for(int(message["TaskScheduledId"]))
        return group is not None and group.current_id == int(message["TaskScheduledId"])
    if kind == EventType.TIMER_FIRED:
        group = instance.retry_for(int(message["TimerId"]))
        return group is not None and group.timer_id == int(message["TimerId"])
    return False


def retry_internals(
    instance: Instance, message: Event, now: datetime, effects: list[Effect]
) -> list[Event]:
    """Host-side retry steps the SDK numbers while processing ``message`` (the batch's first)."""
    if not is_retry_message(instance, message):
        return []
    if message["EventType"] == EventType.TIMER_FIRED:
        group = instance.retries.pop(int(message["TimerId"]))
        group.timer_id = None
        if group.attempts >= group.max_attempts:
            return []  # the dummy timer fired: the SDK surfaces the failure now
        new_id = take_id(instance)
        group.attempts += 1
        group.current_id = new_id
        instance.retries[new_id] = group
        return [_retry_attempt(instance, group, new_id, now, effects)]
    group = instance.retries.pop(int(message["TaskScheduledId"]))
    timer_id = take_id(instance)
    if group.attempts >= group.max_attempts:
        fire_at = now  # DTFx's final "dummy" timer
    else:
        fire_at = now + timedelta(milliseconds=group.first_interval_ms)
    group.timer_id = timer_id
    instance.retries[timer_id] = group
    effects.append(ArmTimer(timer_id, fire_at, now))
    return [event(EventType.TIMER_CREATED, now, timer_id, FireAt=to_wire(fire_at))]


def _retry_attempt(
    instance: Instance, group: RetryGroup, new_id: int, now: datetime, effects: list[Effect]
) -> Event:
    if group.kind == "activity":
        effects.append(DispatchActivity(new_id, group.name, group.input))
        return task_scheduled(now, new_id, group.name, group.input)
    child_id = group.sub_instance_id or f"{instance.execution_id}:{new_id}"
    return start_child(
        instance, new_id, group.name, child_id, group.input, now, effects, group.version
    )


def retry_group(
    kind: str, action: dict[str, Any], first_id: int, explicit_id: str | None
) -> RetryGroup:
    """The retry bookkeeping of a ``*_with_retry`` action scheduled as ``first_id``."""
    options = action.get("retryOptions") or {}
    return RetryGroup(
        kind=kind,
        name=str(action["functionName"]),
        input=action.get("input"),
        max_attempts=int(options.get("maxNumberOfAttempts", 1)),
        first_interval_ms=int(options.get("firstRetryIntervalInMilliseconds", 0)),
        attempts=1,
        current_id=first_id,
        sub_instance_id=explicit_id,
    )
