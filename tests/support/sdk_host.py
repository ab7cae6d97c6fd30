"""A minimal stand-in for the Durable host, to replay orchestrators through the real SDK.

The mocked-context driver (`tests/support/orchestration.py`) proves what an orchestrator
asks for; this proves the SDK agrees: the orchestrator runs inside the SDK's own executor,
episode by episode, against a history built the way the host builds it
(`/work/shared/docs/durable-host-protocol.md` §2). It covers activities and timers, which is
what the sliding window schedules, sub-orchestrations (answered by a callback, which may run
another `MiniHost`) and entity signals; several completions may land in one episode, as they
do when the host batches queued messages.

Each episode the host materialises the new ID-consuming actions as TaskScheduled /
TimerCreated events, so `in_flight` is exactly "scheduled by the SDK, not yet answered".
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.errors import ActivityError

#: actionType values that consume a sequence number (protocol doc §2.5/§2.6).
_ID_CONSUMING = {0, 1, 2, 3, 5, 7, 8, 9}
_ACTIVITY, _SUB, _TIMER, _SIGNAL, _COMPOUND = 0, 2, 5, 9, (11, 12)

ActivityResponder = Callable[[str, Any], Any]
"""(activity name, decoded input) -> result, or raise an ActivityError to fail the attempt."""
SubResponder = Callable[[str, Any, str], Any]
"""(orchestrator name, decoded input, instance id) -> output, or raise to fail the child."""


def _no_subs(name: str, input_: Any, instance_id: str) -> Any:
    raise AssertionError(f"unexpected sub-orchestration {name}")


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@dataclass
class Pending:
    event_id: int
    kind: str  # "activity" | "sub" | "timer"
    name: str | None = None
    input: Any = None
    fire_at: datetime | None = None
    instance_id: str | None = None


@dataclass
class MiniHost:
    orchestrator: Callable[[str], str]
    input: Any
    respond: ActivityResponder
    respond_sub: SubResponder = _no_subs
    instance_id: str = "replay-instance"
    name: str = "orchestrator"
    now: datetime = field(default_factory=lambda: datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    seed: int = 7
    max_completions_per_episode: int = 3

    history: list[dict[str, Any]] = field(default_factory=list)
    in_flight: dict[int, Pending] = field(default_factory=dict)
    max_in_flight_activities: int = 0
    max_in_flight_subs: int = 0
    activity_calls: list[tuple[str, Any]] = field(default_factory=list)
    sub_calls: list[tuple[str, Any, str]] = field(default_factory=list)
    signals: list[tuple[str, str, Any]] = field(default_factory=list)
    timers: list[datetime] = field(default_factory=list)
    episodes: int = 0
    custom_statuses: list[Any] = field(default_factory=list)
    _materialised: int = 0

    def run(self, max_episodes: int = 20_000) -> Any:
        """Run to completion; return the orchestration output (raise if it failed)."""
        rng = random.Random(self.seed)
        state = self._episode(
            [
                self._event(
                    0,
                    Name=self.name,
                    Version="",
                    Input=json.dumps(self.input),
                    OrchestrationInstance={"InstanceId": self.instance_id, "ExecutionId": "e1"},
                    ParentInstance=None,
                    Tags=None,
                )
            ]
        )
        while not state["isDone"]:
            if self.episodes >= max_episodes:
                raise AssertionError("orchestration did not finish")
            if not self.in_flight:
                raise AssertionError(f"orchestration is stuck: {state}")
            state = self._episode(self._completions(rng))
        return state.get("output")

    # --- one episode ----------------------------------------------------------------------

    def _episode(self, new_events: list[dict[str, Any]]) -> dict[str, Any]:
        for event in self.history:
            if event["EventType"] != 12:
                event["IsPlayed"] = True
        self.history.append(self._event(12))
        self.history.extend(new_events)
        context = {
            "history": self.history,
            "input": json.dumps(self.input),
            "instanceId": self.instance_id,
            "isReplaying": len(self.history) > 2 + len(new_events),
            "parentInstanceId": None,
            "upperSchemaVersion": 1,
            "upperSchemaVersionNew": 2,
            "longRunningTimerIntervalDuration": "3.00:00:00",
            "maximumShortTimerDuration": "6.00:00:00",
        }
        self.episodes += 1
        state: dict[str, Any] = json.loads(self.orchestrator(json.dumps(context)))
        if "customStatus" in state:
            self.custom_statuses.append(state["customStatus"])
        self._materialise(state["actions"])
        self.history.append(self._event(13))
        return state

    def _materialise(self, actions: list[list[dict[str, Any]]]) -> None:
        flat: list[dict[str, Any]] = []

        def walk(action: dict[str, Any]) -> None:
            if action["actionType"] in _COMPOUND:
                for child in action["compoundActions"]:
                    walk(child)
            elif action["actionType"] in _ID_CONSUMING:
                flat.append(action)

        for group in actions:
            for action in group:
                walk(action)
        for event_id in range(self._materialised, len(flat)):
            action = flat[event_id]
            kind = action["actionType"]
            if kind == _ACTIVITY:
                decoded = json.loads(action["input"])
                self.in_flight[event_id] = Pending(
                    event_id, "activity", action["functionName"], decoded
                )
                self.history.append(
                    self._event(
                        4, EventId=event_id, Name=action["functionName"], Input=action["input"]
                    )
                )
            elif kind == _TIMER:
                fire_at = _parse(action["fireAt"])
                self.in_flight[event_id] = Pending(event_id, "timer", fire_at=fire_at)
                self.timers.append(fire_at)
                self.history.append(self._event(10, EventId=event_id, FireAt=action["fireAt"]))
            elif kind == _SUB:
                instance_id = action["instanceId"] or f"{self.instance_id}:{event_id}"
                decoded = json.loads(action["input"])
                self.in_flight[event_id] = Pending(
                    event_id, "sub", action["functionName"], decoded, instance_id=instance_id
                )
                self.history.append(
                    self._event(
                        7,
                        EventId=event_id,
                        Name=action["functionName"],
                        InstanceId=instance_id,
                        Input=action["input"],
                    )
                )
            elif kind == _SIGNAL:
                self.signals.append(
                    (action["instanceId"], action["operation"], json.loads(action["input"]))
                )
                self.history.append(
                    self._event(
                        14,
                        EventId=event_id,
                        InstanceId=action["instanceId"],
                        Name=action["operation"],
                        Input=json.dumps({"op": action["operation"], "signal": True}),
                    )
                )
            else:
                raise AssertionError(f"MiniHost does not support action {action}")
        self._materialised = len(flat)
        activities = sum(1 for p in self.in_flight.values() if p.kind == "activity")
        subs = sum(1 for p in self.in_flight.values() if p.kind == "sub")
        self.max_in_flight_activities = max(self.max_in_flight_activities, activities)
        self.max_in_flight_subs = max(self.max_in_flight_subs, subs)

    # --- answering ------------------------------------------------------------------------

    def _completions(self, rng: random.Random) -> list[dict[str, Any]]:
        activities = [p for p in self.in_flight.values() if p.kind != "timer"]
        timers = sorted(
            (p for p in self.in_flight.values() if p.kind == "timer"),
            key=lambda p: (p.fire_at, p.event_id),
        )
        due = [t for t in timers if t.fire_at is not None and t.fire_at <= self.now]
        candidates = activities + due
        if not candidates:  # only future timers: let time pass to the earliest
            assert timers[0].fire_at is not None
            self.now = timers[0].fire_at
            candidates = [t for t in timers if t.fire_at == self.now]
        count = rng.randint(1, min(self.max_completions_per_episode, len(candidates)))
        chosen = rng.sample(candidates, count)
        self.now += timedelta(milliseconds=10)
        return [self._complete(pending) for pending in chosen]

    def _complete(self, pending: Pending) -> dict[str, Any]:
        del self.in_flight[pending.event_id]
        if pending.kind == "timer":
            assert pending.fire_at is not None
            return self._event(11, TimerId=pending.event_id, FireAt=_ts(pending.fire_at))
        assert pending.name is not None
        if pending.kind == "sub":
            assert pending.instance_id is not None
            self.sub_calls.append((pending.name, pending.input, pending.instance_id))
            try:
                output = self.respond_sub(pending.name, pending.input, pending.instance_id)
            except Exception as error:
                reason = f"Orchestrator function '{pending.name}' failed: {error}"
                return self._event(9, TaskScheduledId=pending.event_id, Reason=reason, Details="")
            return self._event(8, TaskScheduledId=pending.event_id, Result=json.dumps(output))
        self.activity_calls.append((pending.name, pending.input))
        try:
            result = self.respond(pending.name, pending.input)
        except ActivityError as error:
            reason = f"Activity function '{pending.name}' failed:  {type(error).__name__}: {error}"
            details = json.dumps({"ClassName": "System.Exception", "Message": str(error)})
            return self._event(6, TaskScheduledId=pending.event_id, Reason=reason, Details=details)
        return self._event(5, TaskScheduledId=pending.event_id, Result=json.dumps(result))

    def _event(self, event_type: int, **fields: Any) -> dict[str, Any]:
        event = {
            "EventType": event_type,
            "EventId": -1,
            "IsPlayed": False,
            "Timestamp": _ts(self.now),
        }
        event.update(fields)
        return event
