"""Replay a recorded history through the real SDK and say where today's code departs from it.

Each execution's history is sent to the orchestrator's SDK entry point exactly as the host sends
its last episode (past events played, the last episode's messages new). The SDK answers with
every action the code asks for since the start; those are compared, in order, with the steps
the history recorded (`TaskScheduled`, `TimerCreated`, `SubOrchestrationInstanceCreated`,
`EventSent`), and the way the execution ends with the way it ended. The first step that
differs is the one an in-flight instance would trip over after a deploy.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from tests.replay.history_file import EVENT_NAMES, Event, Execution, RecordedInstance
from tests.support.function_app import fresh_app

Orchestrator = Callable[[str], str]
"""The SDK's orchestrator entry point: the host's context JSON in, the orchestrator state out."""

ROOT: Final = Path(__file__).resolve().parents[2]
#: Messages the host delivers to an episode (everything else in a history the host writes itself
#: from the episode's answer, after it ran).
INCOMING: Final = frozenset({0, 3, 5, 6, 8, 9, 11, 15, 19, 20})
ORCHESTRATOR_STARTED: Final = 12
#: Recorded event type -> the kind of step it stands for.
SCHEDULED: Final = {4: "activity", 7: "sub-orchestration", 10: "timer", 14: "entity"}
#: SDK action types that take a sequence number, and the kind of step each is.
ACTION_KINDS: Final = {
    0: "activity",
    1: "activity",
    2: "sub-orchestration",
    3: "sub-orchestration",
    5: "timer",
    7: "entity",
    8: "activity",
    9: "entity",
}
CONTINUE_AS_NEW, WAIT_FOR_EVENT, WHEN_ANY, WHEN_ALL = 4, 6, 11, 12
OUT_OF_PROC_DATA: Final = "\n\n$OutOfProcData$:"
INPUT_SHOWN: Final = 160
CONTEXT_STEPS: Final = 3


@dataclass(frozen=True)
class Step:
    """One ID-consuming step: an activity, timer, sub-orchestration or entity operation."""

    kind: str
    name: str
    input: Any = None
    target: str | None = None  # a sub-orchestration's instance id, an entity's id
    fire_at: datetime | None = None

    def describe(self) -> str:
        if self.kind == "timer":
            assert self.fire_at is not None
            return f"timer firing at {self.fire_at.isoformat()}"
        shown = _short(self.input)
        if self.kind == "activity":
            return f"activity {self.name!r} with input {shown}"
        if self.kind == "sub-orchestration":
            return f"sub-orchestration {self.name!r} as {self.target!r} with input {shown}"
        return f"entity operation {self.name!r} on {self.target!r} with input {shown}"


@dataclass(frozen=True)
class CodeAnswer:
    """What the SDK answered for the whole history."""

    steps: list[Step]
    done: bool
    continued: bool
    error: str | None
    waits: list[str]  # external events the code waits for, in order


@functools.cache
def app_orchestrators() -> dict[str, Orchestrator]:
    """The app's orchestrators by function name, as the worker indexes `function_app.py`."""
    found: dict[str, Orchestrator] = {}
    for function in fresh_app("_function_app_replayed").get_functions():
        if any(b.type == "orchestrationTrigger" for b in function.get_bindings()):
            found[str(function.get_function_name())] = function.get_user_function()
    return found


def replay_failure(recorded: RecordedInstance, orchestrator: Orchestrator) -> str | None:
    """None when today's code replays every execution; otherwise the message a developer reads."""
    for number, execution in enumerate(recorded.executions, start=1):
        answer = run_sdk(recorded.instance_id, execution.events, orchestrator)
        problem = _first_difference(execution, answer)
        if problem is not None:
            return _message(recorded, number, execution, problem)
    return None


def run_sdk(instance_id: str, events: list[Event], orchestrator: Orchestrator) -> CodeAnswer:
    """The SDK's answer to the host's context for the last episode of `events`."""
    try:
        state = json.loads(orchestrator(host_context(instance_id, events)))
        error = None
    except Exception as exc:  # the SDK reports user code failures this way
        text = str(exc)
        if OUT_OF_PROC_DATA not in text:
            raise
        message, data = text.split(OUT_OF_PROC_DATA, 1)
        state, error = json.loads(data), message.strip() or "the orchestrator raised"
    actions = list(_atomic(state.get("actions") or []))
    return CodeAnswer(
        steps=[_action_step(a) for a in actions if a.get("actionType") in ACTION_KINDS],
        done=bool(state.get("isDone")),
        continued=any(a.get("actionType") == CONTINUE_AS_NEW for a in actions),
        error=error,
        waits=list(
            dict.fromkeys(
                str(a["externalEventName"])
                for a in actions
                if a.get("actionType") == WAIT_FOR_EVENT
            )
        ),
    )


def host_context(instance_id: str, events: list[Event]) -> str:
    """`OrchestrationContextToString` for the last episode: its own output events left out."""
    last_start = max(i for i, e in enumerate(events) if e["EventType"] == ORCHESTRATOR_STARTED)
    end = last_start + 1
    while end < len(events) and events[end]["EventType"] in INCOMING:
        end += 1
    history = [
        e | {"IsPlayed": i < last_start and e["EventType"] != ORCHESTRATOR_STARTED}
        for i, e in enumerate(events[:end])
    ]
    started = next(e for e in events if e["EventType"] == 0)
    parent = started.get("ParentInstance") or {}
    raw_input = started.get("Input")
    return json.dumps(
        {
            "history": history,
            "input": None if raw_input is None else _json_or_text(raw_input),
            "instanceId": instance_id,
            "isReplaying": last_start > 0,
            "parentInstanceId": (parent.get("OrchestrationInstance") or {}).get("InstanceId"),
            "upperSchemaVersion": 1,
            "upperSchemaVersionNew": 2,
            "longRunningTimerIntervalDuration": "3.00:00:00",
            "maximumShortTimerDuration": "6.00:00:00",
            "defaultHttpAsyncRequestSleepTimeMillseconds": 30000,
        }
    )


# --- steps ----------------------------------------------------------------------------------


def recorded_steps(events: list[Event]) -> list[tuple[int, Step]]:
    """(index in `events`, step) of every step the history scheduled, in the order it did."""
    return [(i, _event_step(e)) for i, e in enumerate(events) if e["EventType"] in SCHEDULED]


def _event_step(event: Event) -> Step:
    kind = SCHEDULED[event["EventType"]]
    if kind == "timer":
        return Step(kind, "timer", fire_at=_instant(event["FireAt"]))
    if kind == "entity":  # the host wraps the operation's input in its request message
        request = json.loads(event["Input"])
        operation_input = _decoded(_decoded(request.get("input")))
        return Step(kind, event["Name"], operation_input, target=event["InstanceId"])
    if kind == "sub-orchestration":
        return Step(kind, event["Name"], _decoded(event.get("Input")), target=event["InstanceId"])
    # TaskScheduled.Input is a JSON array whose first element is what reached the activity.
    sent = _decoded(event.get("Input"))
    return Step(kind, event["Name"], _decoded(sent[0]) if isinstance(sent, list) else sent)


def _action_step(action: dict[str, Any]) -> Step:
    kind = ACTION_KINDS[action["actionType"]]
    if kind == "timer":
        return Step(kind, "timer", fire_at=_instant(action["fireAt"]))
    if kind == "entity":
        return Step(
            kind, action["operation"], _decoded(action.get("input")), target=action["instanceId"]
        )
    if action["actionType"] == 8:
        return Step(kind, "BuiltIn::HttpActivity", action.get("httpRequest"))
    target = action.get("instanceId") if kind == "sub-orchestration" else None
    return Step(kind, action["functionName"], _decoded(action.get("input")), target=target)


def _atomic(actions: list[Any]) -> Iterator[dict[str, Any]]:
    for item in actions:
        if isinstance(item, list):
            yield from _atomic(item)
        elif item.get("actionType") in (WHEN_ANY, WHEN_ALL):
            yield from _atomic(item.get("compoundActions") or [])
        else:
            yield item


# --- comparing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """The first place where today's code and the recorded history part ways."""

    step_number: int  # 1-based; 0 when the steps agree and the ending differs
    event_index: int | None  # where the recorded step sits in the history
    recorded: str
    code: str
    detail: str = ""


def _first_difference(execution: Execution, answer: CodeAnswer) -> Difference | None:
    recorded = recorded_steps(execution.events)
    for n in range(max(len(recorded), len(answer.steps))):
        mine = recorded[n] if n < len(recorded) else None
        theirs = answer.steps[n] if n < len(answer.steps) else None
        if mine is not None and theirs is not None and mine[1] == theirs:
            continue
        if mine is None:
            assert theirs is not None
            return Difference(n + 1, None, "no further step", theirs.describe())
        code = theirs.describe() if theirs is not None else _stopped(answer, execution)
        detail = _how_they_differ(mine[1], theirs) if theirs is not None else ""
        return Difference(n + 1, mine[0], mine[1].describe(), code, detail)
    return _ending_difference(execution.ending, answer)


def _stopped(answer: CodeAnswer, execution: Execution) -> str:
    if answer.error:
        return f"no such step: the orchestrator raised {_short(answer.error)}"
    if answer.continued:
        return "no such step: it continues as new"
    if answer.done:
        return "no such step: it finishes"
    raised = list(dict.fromkeys(str(e["Name"]) for e in execution.events if e["EventType"] == 15))
    unheard = [name for name in raised if name not in answer.waits]
    waiting = f" for {_names(answer.waits)}" if answer.waits else ""
    missed = f"; the history raised {_names(unheard)}, which it never waits for" if unheard else ""
    return f"no such step: it waits{waiting}{missed}"


def _names(names: list[str]) -> str:
    return ", ".join(repr(name) for name in names)


def _ending_difference(ending: str, answer: CodeAnswer) -> Difference | None:
    if ending == "Terminated":
        return None  # ended from outside; the steps are all there is to compare
    if answer.error and ending != "Failed":
        return Difference(0, None, f"ends {ending}", f"fails: {_short(answer.error)}")
    now = (
        "Failed"
        if answer.error
        else "ContinuedAsNew"
        if answer.continued
        else "Completed"
        if answer.done
        else "waits for something the history never delivered (still Running)"
    )
    expected = "Running" if ending in ("Running", "Suspended") else ending
    if now == expected or (expected == "Running" and not answer.done):
        return None
    return Difference(0, None, f"ends {ending}", f"ends {now}")


def _how_they_differ(recorded: Step, code: Step) -> str:
    if recorded.kind != code.kind:
        return f"{_a(code.kind)} where the instance scheduled {_a(recorded.kind)}"
    if recorded.name != code.name:
        return f"another {code.kind}: {code.name!r} instead of {recorded.name!r}"
    if recorded.fire_at is not None and code.fire_at is not None:
        delta = code.fire_at - recorded.fire_at
        later = "later" if delta.total_seconds() > 0 else "earlier"
        return f"the timer fires {abs(delta)} {later} than the recorded one"
    if recorded.target != code.target:
        return f"another target: {code.target!r} instead of {recorded.target!r}"
    paths = list(_differing_paths(recorded.input, code.input))
    shown = "; ".join(paths[:4]) + ("; ..." if len(paths) > 4 else "")
    return f"same {code.kind}, other input: {shown}"


def _differing_paths(recorded: Any, code: Any, path: str = "input") -> Iterator[str]:
    if isinstance(recorded, dict) and isinstance(code, dict):
        for key in sorted(set(recorded) | set(code), key=str):
            yield from _differing_paths(
                recorded.get(key, _MISSING), code.get(key, _MISSING), f"{path}.{key}"
            )
    elif isinstance(recorded, list) and isinstance(code, list) and len(recorded) == len(code):
        for n, (a, b) in enumerate(zip(recorded, code, strict=True)):
            yield from _differing_paths(a, b, f"{path}[{n}]")
    elif recorded != code:
        yield f"{path} recorded {_shown(recorded)}, now {_shown(code)}"


class _Missing:
    def __repr__(self) -> str:
        return "(absent)"


_MISSING = _Missing()


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, _Missing) else _short(value, 60)


# --- the message ----------------------------------------------------------------------------


def _message(
    recorded: RecordedInstance, number: int, execution: Execution, problem: Difference
) -> str:
    where = str(recorded.path.relative_to(ROOT)) if recorded.path else recorded.label
    executions = len(recorded.executions)
    generation = f", execution {number} of {executions}" if executions > 1 else ""
    version = recorded.version or "(none)"
    lines = [
        f"Replay of {recorded.label} departs from its recorded history ({where}).",
        f"  orchestrator {recorded.orchestrator!r}, case {recorded.case!r}: {recorded.description}",
        f"  instance {recorded.instance_id!r}{generation}, instance version {version}, "
        f"app defaultVersion when recorded: {recorded.default_version or '(none)'}",
        "",
    ]
    if problem.step_number:
        lines.append(f"First differing step: step {problem.step_number}{_when(execution, problem)}")
    else:
        lines.append("Every step matches, but the execution ends differently:")
    lines += [f"  recorded: {problem.recorded}", f"  code now: {problem.code}"]
    if problem.detail:
        lines.append(f"  ({problem.detail})")
    matched = recorded_steps(execution.events)[: max(problem.step_number - 1, 0)]
    if matched:
        lines.append("Steps before it still match:")
        first = len(matched) - min(CONTEXT_STEPS, len(matched))
        if first:
            lines.append(f"  ... {first} earlier step(s)")
        for n, (_, step) in enumerate(matched[first:], start=first + 1):
            lines.append(f"  {n}. {step.describe()}")
    lines += [
        "",
        f"An instance {_of_version(recorded.version)} that is running at this point would fail "
        "or take another path once this code is deployed.",
        "  - If the change is meant for new instances only, keep the old steps for this version:",
        "    branch on context.version (orchestrators/versions.py,",
        "    docs/changing-orchestrations.md).",
        "  - If the change is meant and no instance of this version can still be running, "
        "re-record on purpose: make record-histories (docs/replay-checks.md).",
    ]
    return "\n".join(lines)


def _of_version(version: str) -> str:
    return f"of version {version}" if version else "without a version (started before any was set)"


def _when(execution: Execution, problem: Difference) -> str:
    """`, scheduled in episode 4 after TaskCompleted of step 3` for a recorded step."""
    if problem.event_index is None:
        return ", which the instance never scheduled"
    events = execution.events[: problem.event_index]
    starts = [i for i, e in enumerate(events) if e["EventType"] == ORCHESTRATOR_STARTED]
    episode = len(starts)
    messages = [e for e in events[starts[-1] + 1 :] if e["EventType"] in INCOMING]
    if not messages or messages[0]["EventType"] == 0:
        return f", scheduled in episode {episode} (the first)"
    return f", scheduled in episode {episode}, after {_message_name(execution, messages)}"


def _message_name(execution: Execution, messages: list[Event]) -> str:
    first = messages[0]
    name = EVENT_NAMES.get(first["EventType"], str(first["EventType"]))
    scheduled_id = first.get("TaskScheduledId", first.get("TimerId"))
    if scheduled_id is not None:
        origin = next(
            (
                e
                for e in execution.events
                if e["EventType"] in SCHEDULED and e["EventId"] == scheduled_id
            ),
            None,
        )
        if origin is not None:
            name += f" of {_event_step(origin).describe().split(' with input')[0]}"
    elif first.get("Name"):
        name += f" {first['Name']!r}"
    more = len(messages) - 1
    return name + (f" (and {more} more message(s))" if more else "")


# --- values ---------------------------------------------------------------------------------


def _decoded(text: Any) -> Any:
    return _json_or_text(text) if isinstance(text, str) else text


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, json.JSONDecodeError):
        return text


def _instant(stamp: str) -> datetime:
    text = stamp.rstrip("Z")
    head, _, fraction = text.partition(".")
    return datetime.fromisoformat(f"{head}.{(fraction + '000000')[:6]}+00:00")


def _short(value: Any, limit: int = INPUT_SHOWN) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."
