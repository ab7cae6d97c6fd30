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
from datetime import timedelta
from typing import Any

import azure.durable_functions as df
import pytest

from orchestrators import expense_approval
from tests.support.functions import orchestrator_function
from tests.support.history import T0, History, actions, timers, waits
from tests.support.notifications import notice_receipt_for

pytestmark = pytest.mark.filterwarnings("ignore:Potential duplicate Task completion")

NOTIFY = expense_approval.NOTIFY_APPROVAL_PARTY
INPUT = {
    "approvalId": "approval-1",
    "amount": "420.50",
    "description": "Conference ticket",
    "stageCount": 2,
    "requesterSource": "request_body",
    "stageTimeoutSeconds": 72 * 3600,
}
RECEIPT = json.dumps(
    notice_receipt_for(
        {
            "idempotencyKey": "approval-1:notify-stage-1",
            "approvalId": "approval-1",
            "kind": "approval_requested",
            "stage": 1,
            "amount": "420.50",
            "currency": "EUR",
            "description": "Conference ticket",
        }
    )
)


def _decision(stage: int, decision: str = "approve") -> dict[str, Any]:
    return {"stage": stage, "decision": decision}


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
        .scheduled(0, NOTIFY)
        .new_episode(at)
        .raised("decision-stage-1", payload, at)
        .completed(0, RECEIPT, at)
    )


def test_a_buffered_decision_for_the_stage_completes_the_first_wait() -> None:
    state = _stage_one_with_buffered(_decision(1)).run(_approval())

    assert waits(state) == ["decision-stage-1"]
    [timer] = timers(state)
    assert timer["isCanceled"] is True
    assert state["customStatus"]["state"] == "approved"


def test_a_buffered_decision_for_another_stage_is_ignored_once_and_the_stage_keeps_waiting() -> (
    None
):
    state = _stage_one_with_buffered(_decision(2)).run(_approval())

    assert state["isDone"] is False, "still waiting, not spinning on the buffered event"
    assert waits(state) == ["decision-stage-1", "decision-stage-1"]
    [timer] = timers(state)
    assert timer["isCanceled"] is False
    assert timer["fireAt"].startswith("2026-01-08T09:00:00")
    assert state["customStatus"]["ignoredDecisions"] == 1
    assert state["customStatus"]["eventName"] == "decision-stage-1"


def test_after_an_ignored_buffered_decision_a_live_one_decides_and_cancels_the_timer() -> None:
    later = T0 + timedelta(hours=1)
    history = (
        _stage_one_with_buffered(_decision(2))
        .timer_created(1, T0 + timedelta(hours=72))
        .new_episode(later)
        .raised("decision-stage-1", _decision(1, "reject"), later)
    )

    state = history.run(_approval())

    [timer] = timers(state)
    assert timer["isCanceled"] is True
    assert state["customStatus"]["state"] == "rejected"
    outcome_call = actions(state)[-1]
    assert outcome_call["functionName"] == NOTIFY

    done = history.scheduled(2, NOTIFY, later).new_episode(later)
    state = done.completed(2, RECEIPT, later).run(_approval())

    assert state["isDone"] is True
    assert state["output"]["outcome"] == "rejected"
    assert state["output"]["decidedAtStage"] == 1
    assert state["output"]["decidedAt"].startswith("2026-01-05T10:00:00")
    assert state["output"]["stages"][0]["ignoredDecisions"] == 1
