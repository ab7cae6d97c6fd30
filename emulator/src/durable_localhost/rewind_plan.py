"""The pure half of rewind: which events of a failed execution go, and what runs again.

The extension's rewind (DTFx ``RewindHistoryAsync``) clears the execution's failure events
(``TaskFailed``, ``SubOrchestrationInstanceFailed``, the failed ``ExecutionCompleted``),
rewinds failed sub-orchestrations in place, and wakes the instance so its activities run
again. Here a failed activity keeps its ``TaskScheduled`` (and event id) and is dispatched
once more, which is what the replay amounts to; timers that had not fired are armed again
(DTFx's timer messages outlive the failure). For a ``*_with_retry`` call only its last
attempt runs again, with one attempt left: the attempts before it stay in the history so the
SDK's retry count replays unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from durable_localhost.effects import scheduled_payload
from durable_localhost.history import Event, EventType
from durable_localhost.model import Instance, RetryGroup
from durable_localhost.timeutil import parse

_FAILED = (EventType.TASK_FAILED, EventType.SUB_ORCHESTRATION_FAILED)
_ANSWERS = (
    EventType.TASK_COMPLETED,
    EventType.TASK_FAILED,
    EventType.SUB_ORCHESTRATION_COMPLETED,
    EventType.SUB_ORCHESTRATION_FAILED,
)


@dataclass(frozen=True)
class RerunActivity:
    """Dispatch the activity of ``TaskScheduled`` ``task_id`` again."""

    task_id: int
    name: str
    payload: str | None


@dataclass(frozen=True)
class RerunChild:
    """Bring sub-orchestration ``instance_id`` (created as task ``task_id``) back to work."""

    task_id: int
    instance_id: str
    name: str
    payload: str | None
    version: str = ""  # as SubOrchestrationInstanceCreated recorded it ("": none)


@dataclass
class RewindPlan:
    """The history to keep and the work to start again."""

    history: list[Event]
    activities: list[RerunActivity] = field(default_factory=list)
    children: list[RerunChild] = field(default_factory=list)
    timers: dict[int, datetime] = field(default_factory=dict)
    retries: dict[int, RetryGroup] = field(default_factory=dict)
    next_event_id: int = 0


def plan_rewind(instance: Instance, history: list[Event]) -> RewindPlan:
    """What rewinding the failed ``instance`` with this (current execution's) history does."""
    user_ids = {step.event_id for step in instance.steps}
    dropped: set[int] = set()  # positions in history
    retries: dict[int, RetryGroup] = {}
    next_event_id = instance.next_event_id
    for position, past in enumerate(history):
        if past["EventType"] == EventType.EXECUTION_COMPLETED:
            dropped.add(position)
        if past["EventType"] not in _FAILED:
            continue
        task_id = int(past["TaskScheduledId"])
        timer = _retry_timer_after(history, position, user_ids)
        if timer is None:
            dropped.add(position)
            continue
        timer_position, timer_id = timer
        fired = _fired_at(history, timer_id)
        if fired is not None and _attempt_after(history, fired, user_ids):
            continue  # an earlier attempt of a retried call: the SDK replays it as it was
        dropped.update({position, timer_position} | ({fired} if fired is not None else set()))
        retries[task_id] = _last_attempt(history, task_id, past["EventType"])
        if timer_id == next_event_id - 1:
            next_event_id = timer_id  # the SDK numbers the next retry timer with this id again
    kept = [e for position, e in enumerate(history) if position not in dropped]
    plan = RewindPlan(kept, retries=retries, next_event_id=next_event_id)
    _unanswered_work(plan)
    return plan


def _episode_end(history: list[Event], position: int) -> int:
    """Index of the ``OrchestratorCompleted`` closing the episode holding ``position``."""
    for index in range(position, len(history)):
        if history[index]["EventType"] == EventType.ORCHESTRATOR_COMPLETED:
            return index
    return len(history)


def _retry_timer_after(
    history: list[Event], position: int, user_ids: set[int]
) -> tuple[int, int] | None:
    """The host's retry timer created in the same episode as the failure at ``position``."""
    for index in range(position + 1, _episode_end(history, position)):
        past = history[index]
        if past["EventType"] == EventType.TIMER_CREATED and past["EventId"] not in user_ids:
            return index, int(past["EventId"])
    return None


def _fired_at(history: list[Event], timer_id: int) -> int | None:
    for index, past in enumerate(history):
        if past["EventType"] == EventType.TIMER_FIRED and past.get("TimerId") == timer_id:
            return index
    return None


def _attempt_after(history: list[Event], position: int, user_ids: set[int]) -> bool:
    """Whether the episode that took the retry timer scheduled another attempt."""
    attempts = (EventType.TASK_SCHEDULED, EventType.SUB_ORCHESTRATION_CREATED)
    return any(
        history[index]["EventType"] in attempts and history[index]["EventId"] not in user_ids
        for index in range(position + 1, _episode_end(history, position))
    )


def _last_attempt(history: list[Event], task_id: int, failure: int) -> RetryGroup:
    """A retry group whose next failure ends the call, as the SDK's count expects."""
    created = _scheduling_event(history, task_id)
    kind = "activity" if failure == EventType.TASK_FAILED else "suborchestration"
    child = str(created.get("InstanceId")) if kind == "suborchestration" else None
    return RetryGroup(
        kind=kind,
        name=str(created.get("Name")),
        input=scheduled_payload(created) if kind == "activity" else created.get("Input"),
        max_attempts=1,
        first_interval_ms=0,
        attempts=1,
        current_id=task_id,
        sub_instance_id=child,
    )


def _scheduling_event(history: list[Event], task_id: int) -> Event:
    scheduling = (EventType.TASK_SCHEDULED, EventType.SUB_ORCHESTRATION_CREATED)
    for past in history:
        if past["EventType"] in scheduling and past["EventId"] == task_id:
            return past
    raise LookupError(f"no TaskScheduled or SubOrchestrationInstanceCreated with id {task_id}")


def _unanswered_work(plan: RewindPlan) -> None:
    """Every activity, sub-orchestration and timer the kept history still waits for."""
    answered = {e["TaskScheduledId"] for e in plan.history if e["EventType"] in _ANSWERS}
    fired = {e["TimerId"] for e in plan.history if e["EventType"] == EventType.TIMER_FIRED}
    for past in plan.history:
        if past["EventType"] == EventType.TIMER_CREATED and past["EventId"] not in fired:
            plan.timers[int(past["EventId"])] = parse(str(past["FireAt"]))
        if past["EventId"] in answered:
            continue
        if past["EventType"] == EventType.TASK_SCHEDULED:
            plan.activities.append(
                RerunActivity(int(past["EventId"]), str(past["Name"]), scheduled_payload(past))
            )
        elif past["EventType"] == EventType.SUB_ORCHESTRATION_CREATED:
            plan.children.append(
                RerunChild(
                    int(past["EventId"]),
                    str(past["InstanceId"]),
                    str(past["Name"]),
                    past.get("Input"),
                    str(past.get("Version") or ""),
                )
            )
