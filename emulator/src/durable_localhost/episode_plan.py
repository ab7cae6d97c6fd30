"""The pure half of an episode: which messages it takes, and what the SDK's answer means.

Nothing here does I/O or reaches the engine. The functions read and update one instance's
bookkeeping (event ids, scheduled steps, retry groups, armed timers) and return history events
plus the :data:`~durable_localhost.effects.Effect` values the engine carries out once its state
is consistent, so the rules of numbering and non-determinism are testable without a server.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from durable_localhost.actions import ActionType, Step, consumes_id, iter_atomic, step_of
from durable_localhost.builtin_http import scheduled_http_input
from durable_localhost.config import dumps_compact
from durable_localhost.effects import (
    BUILTIN_HTTP_ACTIVITY,
    ArmTimer,
    DispatchActivity,
    Effect,
    SendToEntity,
    start_child,
    take_id,
    task_scheduled,
)
from durable_localhost.episode import EpisodeResult
from durable_localhost.functions import FunctionIndex
from durable_localhost.history import (
    Event,
    EventType,
    event,
)
from durable_localhost.model import (
    EntityRequest,
    InboxItem,
    Instance,
    RuntimeStatus,
    ScheduledStep,
    entity_instance_id,
    split_entity_id,
)
from durable_localhost.retry_plan import is_retry_message, retry_group
from durable_localhost.timeutil import parse, to_wire

MAX_EPISODE_BATCH = 10_000
_ENTITY_NAMESPACE = uuid.UUID("9e952958-5e33-4daf-827f-2fa12937b875")


class UnknownFunctionError(LookupError):
    """The named function does not exist or has the wrong trigger type."""


class NonDeterminismError(Exception):
    """The replay asked for different steps than the history holds."""


def not_found_message(name: str, kind: str, known: list[str]) -> str:
    """The host's ``ThrowIfFunctionDoesNotExist`` text."""
    listing = ", ".join(f"'{k}'" for k in sorted(known)) or "(none)"
    return (
        f"The function '{name}' doesn't exist, is disabled, or is not an {kind} function. "
        f"Additional info: The following are the known {kind} functions: {listing}."
    )


@dataclass(frozen=True)
class Outcome:
    """How an episode leaves the instance: still running, finished, or continued as new.

    ``output_json`` is the output (completed), the failure reason as a JSON string (failed) or
    the new input (continued as new).
    """

    status: RuntimeStatus
    output_json: str | None = None


def select_batch(instance: Instance) -> list[InboxItem]:
    """The messages for one episode.

    Retry messages make the SDK take sequence numbers while it processes them (the retry
    timer, the rescheduled attempt). Putting at most one of them in an episode, first, keeps
    those numbers ahead of any action the user code yields in the same episode, so the
    emulator's numbering stays the SDK's.
    """
    batch: list[InboxItem] = []
    for item in instance.inbox:
        if len(batch) >= MAX_EPISODE_BATCH:
            break
        if is_retry_message(instance, item.event) and batch:
            break
        batch.append(item)
    return batch


# ---------------------------------------------------------------------- the SDK's answer


def apply_answer(
    instance: Instance,
    result: EpisodeResult,
    now: datetime,
    functions: FunctionIndex,
    effects: list[Effect],
    default_version: str | None = None,
) -> tuple[list[Event], Outcome]:
    """The events the answer schedules and the outcome of the episode.

    Effects of actions scheduled before a failure was found stay in ``effects``; a
    sub-orchestration that names no version gets ``default_version``.
    """
    if result.crash is not None:
        return [], _failed(instance, result.crash)
    failure: str | None = None
    try:
        scheduled = materialize(instance, result, now, functions, effects, default_version)
    except (NonDeterminismError, UnknownFunctionError) as exc:
        failure = str(exc)
        scheduled = []
    if "customStatus" in result.state:
        instance.custom_status = dumps_compact(result.state["customStatus"])
    if failure is None and result.error is not None:
        failure = result.error
    if failure is not None:
        return scheduled, _failed(instance, failure)
    if not result.is_done:
        return scheduled, Outcome(RuntimeStatus.RUNNING)
    continued = [
        a for a in iter_atomic(result.actions) if a.get("actionType") == ActionType.CONTINUE_AS_NEW
    ]
    if continued:
        return scheduled, Outcome(
            RuntimeStatus.CONTINUED_AS_NEW, json.dumps(continued[-1].get("input"))
        )
    return scheduled, Outcome(RuntimeStatus.COMPLETED, dumps_compact(result.state.get("output")))


def _failed(instance: Instance, reason: str) -> Outcome:
    text = f"Orchestrator function '{instance.name}' failed: {reason}"
    return Outcome(RuntimeStatus.FAILED, json.dumps(text))


def family(step: Step) -> Step:
    """Retry and non-retry variants of a call are the same step for determinism checks."""
    if step.action_type is ActionType.CALL_ACTIVITY_WITH_RETRY:
        return Step(ActionType.CALL_ACTIVITY, step.target)
    if step.action_type is ActionType.CALL_SUB_ORCHESTRATOR_WITH_RETRY:
        return Step(ActionType.CALL_SUB_ORCHESTRATOR, step.target)
    return step


def materialize(
    instance: Instance,
    result: EpisodeResult,
    now: datetime,
    functions: FunctionIndex,
    effects: list[Effect],
    default_version: str | None = None,
) -> list[Event]:
    """Check the replayed steps against the history, then schedule the new ones."""
    id_actions = [a for a in iter_atomic(result.actions) if consumes_id(a)]
    check_determinism(instance, id_actions, result)
    created: list[Event] = []
    for position, action in enumerate(id_actions):
        if position < len(instance.steps):
            continue
        new_id = take_id(instance)
        instance.steps.append(ScheduledStep(new_id, family(step_of(action))))
        created.append(
            _schedule_action(instance, action, new_id, now, functions, effects, default_version)
        )
    return created


def check_determinism(
    instance: Instance, id_actions: list[dict[str, Any]], result: EpisodeResult
) -> None:
    """Raise :class:`NonDeterminismError` if the replay differs from the recorded steps."""
    for position, scheduled in enumerate(instance.steps):
        if position >= len(id_actions):
            if result.error is not None or result.is_done:
                return
            found = "the replay did not schedule it"
        else:
            replayed = family(step_of(id_actions[position]))
            if replayed == scheduled.step:
                continue
            found = f"the replay asked for {replayed.describe()}"
        raise NonDeterminismError(
            f"Non-Deterministic workflow detected: orchestrator '{instance.name}', step "
            f"{position} (event id {scheduled.event_id}): the history holds "
            f"{scheduled.step.describe()}, but {found}. Was a change made to the orchestrator "
            "code after this instance had already started running?"
        )


def _require(name: str, kind: str, known: dict[str, Any]) -> None:
    if name not in known:
        raise UnknownFunctionError(not_found_message(name, kind, list(known)))


def _schedule_action(
    instance: Instance,
    action: dict[str, Any],
    new_id: int,
    now: datetime,
    functions: FunctionIndex,
    effects: list[Effect],
    default_version: str | None,
) -> Event:
    kind = ActionType(int(action["actionType"]))
    if kind in (ActionType.CALL_ACTIVITY, ActionType.CALL_ACTIVITY_WITH_RETRY):
        name = str(action["functionName"])
        _require(name, "activity", functions.activities)
        payload = action.get("input")
        if kind is ActionType.CALL_ACTIVITY_WITH_RETRY:
            instance.retries[new_id] = retry_group("activity", action, new_id, None)
        effects.append(DispatchActivity(new_id, name, payload))
        return task_scheduled(now, new_id, name, payload)
    if kind in (ActionType.CALL_SUB_ORCHESTRATOR, ActionType.CALL_SUB_ORCHESTRATOR_WITH_RETRY):
        name = str(action["functionName"])
        _require(name, "orchestrator", functions.orchestrators)
        explicit = str(action["instanceId"]) if action.get("instanceId") else None
        child_id = explicit or f"{instance.execution_id}:{new_id}"
        named = action.get("version")
        version = str(named) if named is not None else default_version
        if kind is ActionType.CALL_SUB_ORCHESTRATOR_WITH_RETRY:
            group = retry_group("suborchestration", action, new_id, explicit)
            instance.retries[new_id] = replace(group, version=version)
        payload = action.get("input")
        return start_child(instance, new_id, name, child_id, payload, now, effects, version)
    if kind is ActionType.CREATE_TIMER:
        # Armed even if already canceled: the extension creates the DTFx timer and only cancels
        # the task, so a canceled timer still fires into the history at its time.
        fire_at = parse(str(action["fireAt"]))
        effects.append(ArmTimer(new_id, fire_at, now))
        return event(EventType.TIMER_CREATED, now, new_id, FireAt=to_wire(fire_at))
    if kind in (ActionType.CALL_ENTITY, ActionType.SIGNAL_ENTITY):
        return _send_to_entity(instance, action, new_id, now, functions, effects)
    if kind is ActionType.CALL_HTTP:
        request = dict(action.get("httpRequest") or {})
        payload = json.dumps(request)
        effects.append(DispatchActivity(new_id, BUILTIN_HTTP_ACTIVITY, payload))
        recorded = scheduled_http_input(request)
        return task_scheduled(now, new_id, BUILTIN_HTTP_ACTIVITY, payload, input_json=recorded)
    raise NonDeterminismError(f"unsupported action type {kind.name}")


def _send_to_entity(
    instance: Instance,
    action: dict[str, Any],
    new_id: int,
    now: datetime,
    functions: FunctionIndex,
    effects: list[Effect],
) -> Event:
    name, key = split_entity_id(str(action["instanceId"]))
    if functions.entity(name) is None:
        raise UnknownFunctionError(not_found_message(name, "entity", list(functions.entities)))
    is_signal = int(action["actionType"]) == ActionType.SIGNAL_ENTITY
    seed = f"{instance.instance_id}:{instance.execution_id}:{new_id}"
    request_id = str(uuid.uuid5(_ENTITY_NAMESPACE, seed))
    operation_input = json.dumps(action.get("input"))
    message: dict[str, Any] = {
        "op": action.get("operation"),
        "input": operation_input,
        "id": request_id,
        "parent": instance.instance_id,
        "parentExecution": instance.execution_id,
        "Timestamp": to_wire(now),
        "Predecessor": "0001-01-01T00:00:00",
    }
    if is_signal:
        message["signal"] = True
    request = EntityRequest(
        operation=str(action.get("operation")),
        input=operation_input,
        is_signal=is_signal,
        request_id=request_id,
        parent_instance=None if is_signal else instance.instance_id,
        parent_execution=None if is_signal else instance.execution_id,
    )
    effects.append(SendToEntity(name, key, request))
    return event(
        EventType.EVENT_SENT,
        now,
        new_id,
        InstanceId=entity_instance_id(name, key),
        Name=request.operation,
        Input=json.dumps(message),
    )
