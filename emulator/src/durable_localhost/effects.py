"""What an episode asks the engine to do once its state is consistent, as plain values.

The planning functions (``episode_plan``, ``retry_plan``) return these instead of doing the work,
so they stay pure; the engine carries them out in order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from durable_localhost.history import Event, EventType, event
from durable_localhost.model import EntityRequest, Instance, ParentRef

BUILTIN_HTTP_ACTIVITY = "BuiltIn::HttpActivity"


@dataclass(frozen=True)
class DispatchActivity:
    """Run an activity (or the built-in HTTP activity) for task ``task_id``."""

    task_id: int
    name: str
    payload: str | None


@dataclass(frozen=True)
class ArmTimer:
    """Arm timer ``timer_id`` set by the episode stamped ``stamp``."""

    timer_id: int
    fire_at: datetime
    stamp: datetime


@dataclass(frozen=True)
class StartChild:
    """Start a sub-orchestration; ``payload`` is the action's input string."""

    name: str
    child_id: str
    payload: str | None
    parent: ParentRef
    version: str | None = None  # None: the host's defaultVersion


@dataclass(frozen=True)
class SendToEntity:
    """Queue an operation (call or signal) for an entity."""

    name: str
    key: str
    request: EntityRequest


Effect = DispatchActivity | ArmTimer | StartChild | SendToEntity


def take_id(instance: Instance) -> int:
    """The next event id of the current execution."""
    new_id = instance.next_event_id
    instance.next_event_id += 1
    return new_id


def task_scheduled(
    now: datetime, new_id: int, name: str, payload: str | None, *, input_json: str | None = None
) -> Event:
    """``TaskScheduled``: the host wraps the activity input in a one-element array.

    ``input_json`` gives that array whole where the host's element is not the action's input
    text (the built-in HTTP activity's ``DurableHttpRequest``).
    """
    return event(
        EventType.TASK_SCHEDULED,
        now,
        new_id,
        Name=name,
        Version="",
        Input=input_json if input_json is not None else json.dumps([payload]),
        Tags=None,
    )


def scheduled_payload(scheduled: Event) -> str | None:
    """The activity's input again from its ``TaskScheduled`` (to run it after a restart or rewind).

    The element is the input's JSON text for an app's activity, and an object for the built-in
    HTTP activity, which gets that object's JSON text.
    """
    inputs = json.loads(scheduled.get("Input") or "[null]")
    first = inputs[0] if inputs else None
    return first if first is None or isinstance(first, str) else json.dumps(first)


def start_child(
    parent: Instance,
    task_id: int,
    name: str,
    child_id: str,
    payload: str | None,
    now: datetime,
    effects: list[Effect],
    version: str | None,
) -> Event:
    """``SubOrchestrationInstanceCreated``, and the child to start (``version`` already stamped)."""
    ref = ParentRef(parent.instance_id, parent.execution_id, task_id, parent.name, parent.version)
    effects.append(StartChild(name, child_id, payload, ref, version))
    return event(
        EventType.SUB_ORCHESTRATION_CREATED,
        now,
        task_id,
        Name=name,
        Version=version or "",
        InstanceId=child_id,
        Input=payload,
    )
