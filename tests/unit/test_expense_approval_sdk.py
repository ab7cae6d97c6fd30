"""The approval's event handling against the real SDK executor (azure-functions-durable 1.7.0).

The mocked-context tests cannot show how the SDK hands events to waits, so these tests replay
hand-built histories (the JSON the host sends each episode) through `Orchestrator.create`.
They pin the behaviour the orchestrator relies on:

- an event raised before its wait opened is buffered and completes the first wait;
- SDK issue #507: the SDK hands that buffered event to *every* later wait with the same name,
  so a naive re-wait after ignoring it would spin forever; `_consume_buffered` prevents it;
- waiting again reuses the stage's one timer (no second timer action), and a decision cancels it.

If `test_sdk_still_redelivers_a_buffered_event_to_later_waits` starts failing after an SDK
upgrade, issue #507 is fixed and `_consume_buffered` can be removed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.durable_functions as df
import pytest
from azure.durable_functions.orchestrator import Orchestrator

from orchestrators import expense_approval
from tests.support.functions import orchestrator_function

pytestmark = pytest.mark.filterwarnings("ignore:Potential duplicate Task completion")

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
MANAGER = "manager@example.com"
INPUT = {
    "requester": "ada@example.com",
    "amount": "420.50",
    "description": "Conference ticket",
    "approvers": [MANAGER, "director@example.com"],
    "stageTimeoutSeconds": 72 * 3600,
}
RECEIPT = json.dumps({"notificationId": "n-1"})

# History event types (azure.durable_functions.models.history.HistoryEventType).
EXECUTION_STARTED, TASK_SCHEDULED, TASK_COMPLETED = 0, 4, 5
TIMER_CREATED, ORCHESTRATOR_STARTED, ORCHESTRATOR_COMPLETED, EVENT_RAISED = 10, 12, 13, 15


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class History:
    """Builds the history array the host sends, one episode at a time."""

    def __init__(self, orchestration_input: Any) -> None:
        self.events: list[dict[str, Any]] = []
        self.input = orchestration_input
        self._add(ORCHESTRATOR_STARTED, T0)
        self._add(EXECUTION_STARTED, T0, Input=json.dumps(orchestration_input), Version="")

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

    def new_episode(self, at: datetime) -> History:
        self._add(ORCHESTRATOR_COMPLETED, at)
        return self._add(ORCHESTRATOR_STARTED, at)

    def completed(self, task_id: int, result: str, at: datetime) -> History:
        return self._add(TASK_COMPLETED, at, TaskScheduledId=task_id, Result=result)

    def raised(self, name: str, payload: Any, at: datetime) -> History:
        # The Python client JSON-encodes the payload once more (SDK issue #295).
        return self._add(EVENT_RAISED, at, Name=name, Input=json.dumps(json.dumps(payload)))

    def run(self, orchestrator: Callable[..., Generator[Any, Any, Any]]) -> dict[str, Any]:
        body = {
            "history": self.events,
            "instanceId": "approval-sdk",
            "isReplaying": False,
            "parentInstanceId": None,
            "input": json.dumps(self.input),
            "upperSchemaVersion": 2,
        }
        state: dict[str, Any] = json.loads(Orchestrator.create(orchestrator)(json.dumps(body)))
        return state


def _actions(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Flatten the actions (V2 schema: one list; WhenAny compound actions expanded)."""
    flat: list[dict[str, Any]] = []
    for group in state["actions"]:
        for action in group if isinstance(group, list) else [group]:
            flat.extend(action.get("compoundActions") or [action])
    return flat


def _waits(state: dict[str, Any]) -> list[str]:
    return [a["externalEventName"] for a in _actions(state) if "externalEventName" in a]


def _timers(state: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in _actions(state) if "fireAt" in a]


def _decision(approver: str, decision: str = "approve") -> dict[str, Any]:
    return {"approver": approver, "decision": decision}


def _approval() -> Callable[..., Generator[Any, Any, Any]]:
    return orchestrator_function(expense_approval.expense_approval)


def test_sdk_still_redelivers_a_buffered_event_to_later_waits() -> None:
    def naive(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
        yield context.call_activity("send_notification", {})
        first = yield context.wait_for_external_event("decision-stage-1")
        second = yield context.wait_for_external_event("decision-stage-1")
        return [first, second]

    history = (
        History({})
        .scheduled(0, "send_notification")
        .new_episode(T0 + timedelta(seconds=5))
        .raised("decision-stage-1", "only-once", T0 + timedelta(seconds=5))
        .completed(0, RECEIPT, T0 + timedelta(seconds=5))
    )

    state = history.run(naive)

    assert state["isDone"] is True, "SDK issue #507 fixed? then _consume_buffered can go"
    assert state["output"] == [json.dumps("only-once")] * 2


def _stage_one_with_buffered(payload: dict[str, Any]) -> History:
    """Stage 1's notification is written while `payload` arrives: the event is buffered."""
    at = T0 + timedelta(seconds=5)
    return (
        History(INPUT)
        .scheduled(0, "send_notification")
        .new_episode(at)
        .raised("decision-stage-1", payload, at)
        .completed(0, RECEIPT, at)
    )


def test_a_buffered_decision_from_the_approver_completes_the_first_wait() -> None:
    state = _stage_one_with_buffered(_decision(MANAGER)).run(_approval())

    assert _waits(state) == ["decision-stage-1"]
    [timer] = _timers(state)
    assert timer["isCanceled"] is True
    assert state["customStatus"]["state"] == "approved"


def test_a_buffered_wrong_decision_is_ignored_once_and_the_stage_keeps_waiting() -> None:
    state = _stage_one_with_buffered(_decision("mallory@example.com")).run(_approval())

    assert state["isDone"] is False, "still waiting, not spinning on the buffered event"
    assert _waits(state) == ["decision-stage-1", "decision-stage-1"]
    [timer] = _timers(state)
    assert timer["isCanceled"] is False
    assert timer["fireAt"].startswith("2026-01-08T09:00:00")
    assert state["customStatus"]["ignoredDecisions"] == 1
    assert state["customStatus"]["eventName"] == "decision-stage-1"


def test_after_an_ignored_buffered_decision_a_live_one_decides_and_cancels_the_timer() -> None:
    later = T0 + timedelta(hours=1)
    history = (
        _stage_one_with_buffered(_decision("mallory@example.com"))
        .timer_created(1, T0 + timedelta(hours=72))
        .new_episode(later)
        .raised("decision-stage-1", _decision(MANAGER, "reject"), later)
    )

    state = history.run(_approval())

    [timer] = _timers(state)
    assert timer["isCanceled"] is True
    assert state["customStatus"]["state"] == "rejected"
    outcome_call = _actions(state)[-1]
    assert outcome_call["functionName"] == "send_notification"

    done = history.scheduled(2, "send_notification", later).new_episode(later)
    state = done.completed(2, RECEIPT, later).run(_approval())

    assert state["isDone"] is True
    assert state["output"]["outcome"] == "rejected"
    assert state["output"]["decidedBy"] == MANAGER
    assert state["output"]["decidedAt"].startswith("2026-01-05T10:00:00")
    assert state["output"]["stages"][0]["ignoredDecisions"] == 1
