"""The pure half of an episode, without a server: batches, numbering, retries, outcomes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from durable_localhost.actions import ActionType, Step
from durable_localhost.effects import ArmTimer, DispatchActivity, Effect, SendToEntity, StartChild
from durable_localhost.episode import EpisodeResult
from durable_localhost.episode_plan import apply_answer, select_batch
from durable_localhost.functions import FunctionIndex
from durable_localhost.history import Event, EventType, event
from durable_localhost.model import InboxItem, Instance, RuntimeStatus, ScheduledStep
from durable_localhost.retry_plan import retry_internals
from durable_localhost.timers import due_time

pytestmark = [pytest.mark.emulator, pytest.mark.unit]

NOW = datetime(2030, 1, 1, tzinfo=UTC)
#: The plan only asks whether a name is known: any object stands for a function.
FUNCTIONS = FunctionIndex(
    orchestrators={"child": object()},  # type: ignore[dict-item]
    activities={"hello": object(), "flaky": object()},  # type: ignore[dict-item]
    entities={"counter": object()},  # type: ignore[dict-item]
)


HELLO = [ScheduledStep(0, Step(ActionType.CALL_ACTIVITY, "hello"))]


def _instance(**fields: Any) -> Instance:
    return Instance(
        instance_id="i1",
        name="flow",
        execution_id="e1",
        status=RuntimeStatus.RUNNING,
        input=None,
        created=NOW,
        updated=NOW,
        **fields,
    )


def _answer(*actions: dict[str, Any], done: bool = False, **state: Any) -> EpisodeResult:
    return EpisodeResult(state={"actions": [list(actions)], "isDone": done, **state})


def _call(name: str, kind: ActionType = ActionType.CALL_ACTIVITY, **extra: Any) -> dict[str, Any]:
    return {"actionType": int(kind), "functionName": name, "input": '"x"', **extra}


def _plan(instance: Instance, result: EpisodeResult) -> tuple[list[Event], Any, list[Effect]]:
    effects: list[Effect] = []
    scheduled, outcome = apply_answer(instance, result, NOW, FUNCTIONS, effects)
    return scheduled, outcome, effects


def _retrying(attempts: int = 1) -> Instance:
    """An instance whose activity call 0 is a retry group of at most two attempts."""
    instance = _instance()
    retry = {"maxNumberOfAttempts": 2, "firstRetryIntervalInMilliseconds": 5000}
    _plan(
        instance, _answer(_call("flaky", ActionType.CALL_ACTIVITY_WITH_RETRY, retryOptions=retry))
    )
    instance.retries[0].attempts = attempts
    return instance


def test_new_actions_take_the_next_event_ids_and_become_effects() -> None:
    instance = _instance()
    timer = {"actionType": int(ActionType.CREATE_TIMER), "fireAt": "2030-01-02T00:00:00Z"}

    scheduled, outcome, effects = _plan(instance, _answer(_call("hello"), timer))

    assert [(e["EventType"], e["EventId"]) for e in scheduled] == [
        (EventType.TASK_SCHEDULED, 0),
        (EventType.TIMER_CREATED, 1),
    ]
    assert json.loads(scheduled[0]["Input"]) == ['"x"']
    assert effects == [
        DispatchActivity(0, "hello", '"x"'),
        ArmTimer(1, datetime(2030, 1, 2, tzinfo=UTC), NOW),
    ]
    assert outcome.status is RuntimeStatus.RUNNING
    assert instance.next_event_id == 2


def test_replayed_actions_are_not_scheduled_again() -> None:
    instance = _instance(next_event_id=1, steps=list(HELLO))

    scheduled, _, effects = _plan(instance, _answer(_call("hello"), _call("hello")))

    assert [e["EventId"] for e in scheduled] == [1]
    assert effects == [DispatchActivity(1, "hello", '"x"')]


def test_a_different_step_on_replay_fails_with_a_non_determinism_error() -> None:
    instance = _instance(next_event_id=1, steps=list(HELLO))

    scheduled, outcome, effects = _plan(instance, _answer(_call("flaky")))

    assert scheduled == []
    assert effects == []
    assert outcome.status is RuntimeStatus.FAILED
    reason = json.loads(outcome.output_json)
    assert reason.startswith("Orchestrator function 'flow' failed: Non-Deterministic workflow")
    assert "CallActivity 'hello'" in reason
    assert "CallActivity 'flaky'" in reason


def test_a_retry_variant_of_the_same_call_is_not_a_different_step() -> None:
    instance = _instance(next_event_id=1, steps=list(HELLO))

    _, outcome, _ = _plan(instance, _answer(_call("hello", ActionType.CALL_ACTIVITY_WITH_RETRY)))

    assert outcome.status is RuntimeStatus.RUNNING


def test_an_unknown_activity_fails_the_instance_and_keeps_earlier_effects() -> None:
    instance = _instance()

    _, outcome, effects = _plan(instance, _answer(_call("hello"), _call("missing")))

    assert outcome.status is RuntimeStatus.FAILED
    assert "The function 'missing' doesn't exist" in json.loads(outcome.output_json)
    assert effects == [DispatchActivity(0, "hello", '"x"')]


@pytest.mark.parametrize(
    ("result", "status", "output"),
    [
        (_answer(done=True, output={"a": 1}), RuntimeStatus.COMPLETED, '{"a":1}'),
        (
            _answer(
                {"actionType": int(ActionType.CONTINUE_AS_NEW), "input": "first"},
                {"actionType": int(ActionType.CONTINUE_AS_NEW), "input": "last"},
                done=True,
            ),
            RuntimeStatus.CONTINUED_AS_NEW,
            '"last"',
        ),
        (
            EpisodeResult(crash="bad JSON"),
            RuntimeStatus.FAILED,
            json.dumps("Orchestrator function 'flow' failed: bad JSON"),
        ),
        (
            EpisodeResult(state={"actions": []}, error="boom"),
            RuntimeStatus.FAILED,
            json.dumps("Orchestrator function 'flow' failed: boom"),
        ),
    ],
    ids=["completed", "continued-as-new", "crash", "user-error"],
)
def test_the_outcome_of_an_episode(
    result: EpisodeResult, status: RuntimeStatus, output: str
) -> None:
    _, outcome, _ = _plan(_instance(), result)

    assert (outcome.status, outcome.output_json) == (status, output)


def test_custom_status_is_kept_as_compact_json() -> None:
    instance = _instance()

    _plan(instance, _answer(customStatus={"stage": "waiting"}))

    assert instance.custom_status == '{"stage":"waiting"}'


def test_entity_calls_and_sub_orchestrations_become_messages_and_children() -> None:
    instance = _instance()
    call = {
        "actionType": int(ActionType.CALL_ENTITY),
        "instanceId": "@Counter@k",
        "operation": "add",
        "input": 2,
    }

    scheduled, _, effects = _plan(
        instance, _answer(call, _call("child", ActionType.CALL_SUB_ORCHESTRATOR))
    )

    sent, created = scheduled
    assert (sent["EventType"], sent["InstanceId"], sent["Name"]) == (
        EventType.EVENT_SENT,
        "@counter@k",
        "add",
    )
    assert json.loads(sent["Input"])["parent"] == "i1"
    assert isinstance(effects[0], SendToEntity)
    assert effects[0].request.parent_instance == "i1"
    assert created["InstanceId"] == "e1:1"
    assert isinstance(effects[1], StartChild)
    assert effects[1].child_id == "e1:1"
    again: list[Effect] = []
    apply_answer(_instance(), _answer(call), NOW, FUNCTIONS, again)
    assert again[0] == effects[0]  # the request id is derived, not random


def test_select_batch_takes_at_most_one_retry_message_and_only_first() -> None:
    instance = _retrying()
    failed = event(EventType.TASK_FAILED, NOW, TaskScheduledId=0, Reason="x")
    raised = event(EventType.EVENT_RAISED, NOW, Name="go", Input=None)
    instance.inbox = [InboxItem(1, raised), InboxItem(2, failed), InboxItem(3, raised)]

    assert [i.seq for i in select_batch(instance)] == [1]
    del instance.inbox[0]
    assert [i.seq for i in select_batch(instance)] == [2, 3]


def test_a_failed_attempt_sets_a_retry_timer_and_its_firing_schedules_the_next() -> None:
    instance = _retrying()
    failed = event(EventType.TASK_FAILED, NOW, TaskScheduledId=0, Reason="x")

    effects: list[Effect] = []
    created = retry_internals(instance, failed, NOW, effects)

    fire_at = NOW + timedelta(seconds=5)
    assert [(e["EventType"], e["EventId"]) for e in created] == [(EventType.TIMER_CREATED, 1)]
    assert effects == [ArmTimer(1, fire_at, NOW)]

    fired = event(EventType.TIMER_FIRED, fire_at, TimerId=1, FireAt="x")
    effects.clear()
    again = retry_internals(instance, fired, fire_at, effects)

    assert [(e["EventType"], e["EventId"]) for e in again] == [(EventType.TASK_SCHEDULED, 2)]
    assert effects == [DispatchActivity(2, "flaky", '"x"')]
    assert instance.retries[2].attempts == 2


def test_the_last_failed_attempt_gets_the_dummy_timer_at_now() -> None:
    instance = _retrying(attempts=2)
    failed = event(EventType.TASK_FAILED, NOW, TaskScheduledId=0, Reason="x")

    effects: list[Effect] = []
    retry_internals(instance, failed, NOW, effects)

    assert effects == [ArmTimer(1, NOW, NOW)]
    fired = event(EventType.TIMER_FIRED, NOW, TimerId=1, FireAt="x")
    assert retry_internals(instance, fired, NOW, effects) == []


def test_a_timer_is_due_when_the_clock_moved_by_its_delay_never_after_fire_at() -> None:
    stamp = NOW + timedelta(microseconds=3)  # nudged ahead of a paused clock reading NOW
    fire_at = stamp + timedelta(hours=1)

    assert due_time(fire_at, stamp, NOW) == NOW + timedelta(hours=1)
    assert due_time(fire_at, stamp - timedelta(hours=2), NOW) == fire_at
