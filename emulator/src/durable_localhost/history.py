"""History events in the host's JSON format (DTFx ``HistoryEvent`` subclasses, Newtonsoft).

Keys are PascalCase, ``EventType`` is an integer and timestamps carry ``Z``. ``IsPlayed`` is not
stored: it is decided when the context JSON is built (past events true, the episode's new events
false, ``OrchestratorStarted`` always false).
"""

from __future__ import annotations

import enum
import json
from datetime import datetime
from typing import Any

from durable_localhost.timeutil import to_wire

Event = dict[str, Any]

#: How every event is written, in SQLite rows and in the context JSON alike (``json.dumps``'
#: defaults): encoded once, the text serves each of them.
encode_event = json.JSONEncoder().encode


class EventType(enum.IntEnum):
    """DTFx ``EventType`` values (the SDK's ``HistoryEventType``)."""

    EXECUTION_STARTED = 0
    EXECUTION_COMPLETED = 1
    EXECUTION_FAILED = 2
    EXECUTION_TERMINATED = 3
    TASK_SCHEDULED = 4
    TASK_COMPLETED = 5
    TASK_FAILED = 6
    SUB_ORCHESTRATION_CREATED = 7
    SUB_ORCHESTRATION_COMPLETED = 8
    SUB_ORCHESTRATION_FAILED = 9
    TIMER_CREATED = 10
    TIMER_FIRED = 11
    ORCHESTRATOR_STARTED = 12
    ORCHESTRATOR_COMPLETED = 13
    EVENT_SENT = 14
    EVENT_RAISED = 15
    CONTINUE_AS_NEW = 16
    GENERIC = 17
    HISTORY_STATE = 18
    EXECUTION_SUSPENDED = 19
    EXECUTION_RESUMED = 20


#: DTFx ``OrchestrationStatus`` integers used in ExecutionCompleted.
ORCHESTRATION_STATUS_CODES = {
    "Running": 0,
    "Completed": 1,
    "ContinuedAsNew": 2,
    "Failed": 3,
    "Canceled": 4,
    "Terminated": 5,
    "Pending": 6,
    "Suspended": 7,
}


def event(kind: EventType, at: datetime, event_id: int = -1, **fields: Any) -> Event:
    """A history event with the four fields the SDK requires."""
    return {"EventType": int(kind), "EventId": event_id, "Timestamp": to_wire(at), **fields}


def orchestrator_started(at: datetime) -> Event:
    """Opens an episode; its timestamp drives ``current_utc_datetime``."""
    return event(EventType.ORCHESTRATOR_STARTED, at)


def orchestrator_completed(at: datetime) -> Event:
    """Closes an episode."""
    return event(EventType.ORCHESTRATOR_COMPLETED, at)


def execution_started(
    at: datetime,
    *,
    name: str,
    instance_id: str,
    execution_id: str,
    input_json: str | None,
    version: str | None,
    parent: dict[str, Any] | None,
    scheduled_start: datetime | None = None,
    generation: int = 0,
) -> Event:
    """Starts an execution. ``Version`` must be present (the SDK reads it): null for none."""
    return event(
        EventType.EXECUTION_STARTED,
        at,
        OrchestrationInstance={"InstanceId": instance_id, "ExecutionId": execution_id},
        ParentInstance=parent,
        Name=name,
        Version=version,
        Input=input_json,
        Tags=None,
        Correlation=None,
        ParentTraceContext=None,
        ScheduledStartTime=to_wire(scheduled_start) if scheduled_start else None,
        Generation=generation,
    )


def with_played(text: str, played: bool) -> str:
    """An encoded event with ``IsPlayed`` appended, as the context JSON carries it."""
    return f'{text[:-1]}, "IsPlayed": {"true" if played else "false"}}}'


def played_text(event: Event, text: str) -> str:
    """A past event's text as replayed: ``IsPlayed`` true except for ``OrchestratorStarted``."""
    return with_played(text, event["EventType"] != EventType.ORCHESTRATOR_STARTED)
