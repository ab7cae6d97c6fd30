"""Hand-built orchestration histories replayed through the real SDK executor.

The mocked-context driver proves what an orchestrator asks for; these histories show what the
SDK (azure-functions-durable 1.7.0) does with the host's answers, notably with external events:
an event raised before its wait opened is buffered, and an event's payload arrives as the
double-encoded JSON the Python client sends. Build a history episode by episode, run the
orchestrator on it, and inspect the returned state (actions, customStatus, output, isDone).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator
from datetime import UTC, datetime
from typing import Any

from azure.durable_functions.orchestrator import Orchestrator

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

# History event types (azure.durable_functions.models.history.HistoryEventType).
EXECUTION_STARTED, TASK_SCHEDULED, TASK_COMPLETED = 0, 4, 5
TIMER_CREATED, TIMER_FIRED, ORCHESTRATOR_STARTED, ORCHESTRATOR_COMPLETED = 10, 11, 12, 13
EVENT_RAISED = 15


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class History:
    """Builds the history array the host sends, one episode at a time."""

    def __init__(
        self, orchestration_input: Any, instance_id: str = "sdk-instance", start: datetime = T0
    ) -> None:
        self.events: list[dict[str, Any]] = []
        self.input = orchestration_input
        self.instance_id = instance_id
        self._add(ORCHESTRATOR_STARTED, start)
        self._add(EXECUTION_STARTED, start, Input=json.dumps(orchestration_input), Version="")

    def _add(self, event_type: int, at: datetime, event_id: int = -1, **fields: Any) -> History:
        self.events.append(
            {"EventType": event_type, "EventId": event_id, "IsPlayed": False}
            | {"Timestamp": _stamp(at)}
            | fields
        )
        return self

    def scheduled(self, task_id: int, name: str, at: datetime = T0) -> History:
        return self._add(TASK_SCHEDULED, at, task_id, Name=name)

    def timer_created(self, timer_id: int, fire_at: datetime, at: datetime = T0) -> History:
        return self._add(TIMER_CREATED, at, timer_id, FireAt=_stamp(fire_at))

    def timer_fired(self, timer_id: int, fire_at: datetime) -> History:
        return self._add(TIMER_FIRED, fire_at, TimerId=timer_id, FireAt=_stamp(fire_at))

    def new_episode(self, at: datetime) -> History:
        self._add(ORCHESTRATOR_COMPLETED, at)
        return self._add(ORCHESTRATOR_STARTED, at)

    def completed(self, task_id: int, result: str, at: datetime) -> History:
        return self._add(TASK_COMPLETED, at, TaskScheduledId=task_id, Result=result)

    def raised(self, name: str, payload: Any, at: datetime) -> History:
        # The Python client JSON-encodes the payload once more (SDK issue #295).
        return self._add(EVENT_RAISED, at, Name=name, Input=json.dumps(json.dumps(payload)))

    def context_json(self) -> str:
        """The orchestration trigger's payload for this history, as the host sends it."""
        body = {
            "history": self.events,
            "instanceId": self.instance_id,
            "isReplaying": False,
            "parentInstanceId": None,
            "input": json.dumps(self.input),
            "upperSchemaVersion": 2,
        }
        return json.dumps(body)

    def run(self, orchestrator: Callable[..., Generator[Any, Any, Any]]) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(Orchestrator.create(orchestrator)(self.context_json()))
        return state


def actions(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Flatten the actions (V2 schema: one list; WhenAny compound actions expanded)."""
    flat: list[dict[str, Any]] = []
    for group in state["actions"]:
        for action in group if isinstance(group, list) else [group]:
            flat.extend(action.get("compoundActions") or [action])
    return flat


def waits(state: dict[str, Any]) -> list[str]:
    """Every external event the orchestrator has waited for, in order."""
    return [a["externalEventName"] for a in actions(state) if "externalEventName" in a]


def timers(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Every CreateTimer action, with its `fireAt` and `isCanceled`."""
    return [a for a in actions(state) if "fireAt" in a]
