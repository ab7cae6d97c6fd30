"""Replay cost per episode at history lengths 100 / 1,000 / 10,000.

Histories are those of ``long_chain`` (sequential activity calls) in the host's JSON, built with
the emulator's own event helpers and checked against a history the emulator really produced.
Three measurements per length:

* SDK: the Durable SDK's orchestrator wrapper on the context JSON the host sends (parse every
  event and its timestamp, replay the generator, answer with every action so far), in wall
  and thread CPU time, with the parse and timestamp shares; once as the SDK ships (dateutil)
  and once with the app's `shared.sdk_timestamps` installed, calls alternating so drifting
  load touches both alike, and the two answers checked to be identical.
* durabletask: the same history as protobuf, from request bytes to the executor's answer.
* Emulator episode: the state seeded into a SQLite file, the emulator started on it, and the
  chain run a few steps further: the first episode after the restart is "cold" (its history
  read back and serialized from scratch), the next ones are "hot" (history cached).
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from dateutil.parser import parse as dateutil_parse  # type: ignore[import-untyped]
from durabletask import task
from durabletask.internal import helpers as dt_helpers
from durabletask.internal import orchestrator_service_pb2 as pb
from durabletask.serialization import JsonDataConverter
from durabletask.worker import _OrchestrationExecutor, _Registry

from durable_localhost import persistence
from durable_localhost.actions import ActionType, Step
from durable_localhost.app_loader import load_app
from durable_localhost.config import HostConfig
from durable_localhost.episode import build_context_json
from durable_localhost.history import (
    Event,
    EventType,
    event,
    execution_started,
    orchestrator_completed,
    orchestrator_started,
)
from durable_localhost.model import InboxItem, Instance, RuntimeStatus, ScheduledStep
from durable_localhost.store import StateStore
from durable_localhost.testing import EmulatorServer
from durable_localhost.timeutil import to_wire
from shared import sdk_timestamps
from tests.bench.common import CHAIN_APP, CHAIN_SETTINGS, median, quiet_logs
from tests.bench.probes import EpisodeProbe
from tests.bench.results import ReplayPoint, ReplayReport, TimestampCost

ACTIVITY = "chain_tick"
ORCHESTRATOR = "long_chain"
EVENTS_PER_STEP = 4  # OrchestratorStarted, TaskCompleted, TaskScheduled, OrchestratorCompleted


@dataclass
class ChainState:
    """An instance after ``steps`` scheduled calls, the last one's completion waiting."""

    instance: Instance
    completion: Event

    @property
    def context_events(self) -> int:
        return len(self.instance.history) + 2  # + OrchestratorStarted and the completion


def steps_for(events: int) -> int:
    """Steps whose context (history + OrchestratorStarted + TaskCompleted) is ~``events``."""
    return max(1, (events + 1) // EVENTS_PER_STEP)


def _task_scheduled(at: datetime, event_id: int) -> Event:
    return event(
        EventType.TASK_SCHEDULED,
        at,
        event_id,
        Name=ACTIVITY,
        Version="",
        Input=json.dumps([json.dumps(event_id)]),
        Tags=None,
    )


def _task_completed(at: datetime, event_id: int) -> Event:
    return event(EventType.TASK_COMPLETED, at, TaskScheduledId=event_id, Result="1")


def chain_state(steps: int, total_steps: int, base: datetime) -> ChainState:
    """The history ``long_chain({"steps": total_steps})`` has after ``steps`` calls."""
    instance_id, execution_id = f"replay-{steps}", f"exec-{steps}"
    input_json = json.dumps(json.dumps({"steps": total_steps}))

    def at(step: int, offset_us: int = 0) -> datetime:
        return base + timedelta(microseconds=step * 41_273 + offset_us)

    history: list[Event] = [
        orchestrator_started(at(0)),
        execution_started(
            at(0),
            name=ORCHESTRATOR,
            instance_id=instance_id,
            execution_id=execution_id,
            input_json=input_json,
            version=None,
            parent=None,
        ),
        _task_scheduled(at(0, 137), 0),
        orchestrator_completed(at(0, 211)),
    ]
    for step in range(1, steps):
        history += [
            orchestrator_started(at(step)),
            _task_completed(at(step, -3_917), step - 1),
            _task_scheduled(at(step, 152), step),
            orchestrator_completed(at(step, 230)),
        ]
    instance = Instance(
        instance_id=instance_id,
        name=ORCHESTRATOR,
        execution_id=execution_id,
        status=RuntimeStatus.RUNNING,
        input=input_json,
        created=at(0),
        updated=at(steps - 1, 230),
        history=history,
        next_event_id=steps,
        steps=[ScheduledStep(i, Step(ActionType.CALL_ACTIVITY, ACTIVITY)) for i in range(steps)],
        inbox_seq=1,
        history_seq=len(history),
    )
    return ChainState(instance, _task_completed(at(steps, -3_917), steps - 1))


def _shape(events: list[Event]) -> list[tuple[Any, ...]]:
    return [
        (e["EventType"], e["EventId"], e.get("TaskScheduledId"), e.get("Name"), sorted(e))
        for e in events
    ]


def check_builder() -> None:
    """The built history must look like one the emulator produces itself (3 steps)."""
    with EmulatorServer(
        CHAIN_APP, state=":memory:", settings={**CHAIN_SETTINGS, "TASKHUB_NAME": "Check"}
    ) as server:
        with httpx.Client(base_url=server.webhook_url) as http:
            started = http.post(
                f"/orchestrators/{ORCHESTRATOR}", json=json.dumps({"steps": 3})
            ).json()
        server.wait_idle(timeout=60)
        engine = server.host.engine
        record = engine.get(started["id"])
        assert record is not None
        real = server.call(engine.history_of(record))
    built = chain_state(3, 3, datetime.now(UTC))
    expected = _shape([*built.instance.history, orchestrator_started(datetime.now(UTC))])
    expected.append(_shape([built.completion])[0])
    actual = _shape(real[: len(expected)])
    # ExecutionStarted carries the real instance id; only the shapes are compared.
    if actual != expected:
        raise RuntimeError(f"history builder drifted from the emulator:\n{actual}\n{expected}")


# --- the SDK alone -----------------------------------------------------------------------


def _cpu_and_wall(fn: Any, repeats: int, parser: bool | None = None) -> tuple[float, float]:
    """Median thread-CPU and wall seconds of ``fn()`` after one warm-up call."""
    return _paired([(parser, fn)], repeats)[0]


def _use_parser(fast: bool | None) -> None:
    """Make the SDK parse timestamps by `parse_timestamp` (True) or dateutil (False)."""
    if fast is True:
        sdk_timestamps.install()
    elif fast is False:
        sdk_timestamps.uninstall()


def _paired(calls: list[tuple[bool | None, Any]], repeats: int) -> list[tuple[float, float]]:
    """Median thread-CPU and wall seconds of each (parser, fn), called in turn ``repeats`` times.

    The parser is switched before each call, outside the timed window.
    """
    for parser, fn in calls:
        _use_parser(parser)
        fn()
    cpu: list[list[float]] = [[] for _ in calls]
    wall: list[list[float]] = [[] for _ in calls]
    for _ in range(repeats):
        for index, (parser, fn) in enumerate(calls):
            _use_parser(parser)
            c0, w0 = time.thread_time(), time.perf_counter()
            fn()
            cpu[index].append(time.thread_time() - c0)
            wall[index].append(time.perf_counter() - w0)
    return [(median(c), median(w)) for c, w in zip(cpu, wall, strict=True)]


@dataclass
class SdkReplay:
    """Medians in ms: (wall, CPU, from_json CPU, timestamps CPU), without and with the patch."""

    dateutil: tuple[float, float, float, float]
    fast: tuple[float, float, float, float]


def sdk_replay(handler: Any, state: ChainState, repeats: int) -> SdkReplay:
    """The SDK's replay of one context, as it ships and with `shared.sdk_timestamps`."""
    from azure.durable_functions.models.DurableOrchestrationContext import (
        DurableOrchestrationContext,
    )

    now = state.instance.updated + timedelta(milliseconds=5)
    context = build_context_json(
        state.instance, [orchestrator_started(now), state.completion], HostConfig()
    )

    def replay() -> str:
        answer: str = handler(context)
        return answer

    def from_json() -> Any:
        return DurableOrchestrationContext.from_json(context)

    answers = []
    for fast in (False, True):
        _use_parser(fast)
        answers.append(replay())
    if answers[0] != answers[1]:
        raise RuntimeError("the SDK answered differently with shared.sdk_timestamps installed")
    answer = json.loads(answers[0])
    scheduled = [a for group in answer["actions"] for a in group]
    if answer.get("isDone") or len(scheduled) != len(state.instance.steps) + 1:
        raise RuntimeError(f"unexpected SDK answer: {str(answer)[:300]}")
    stamps = [e["Timestamp"] for e in json.loads(context)["history"]]
    parsers = {False: dateutil_parse, True: sdk_timestamps.parse_timestamp}
    figures: dict[bool, tuple[float, float, float, float]] = {}
    replays = _paired([(fast, replay) for fast in (False, True)], repeats)
    for fast, (cpu, wall) in zip((False, True), replays, strict=True):
        parse_cpu, _ = _cpu_and_wall(from_json, repeats, parser=fast)
        stamps_cpu, _ = _cpu_and_wall(lambda p=parsers[fast]: [p(s) for s in stamps], repeats)
        figures[fast] = (wall * 1e3, cpu * 1e3, parse_cpu * 1e3, stamps_cpu * 1e3)
    sdk_timestamps.uninstall()
    return SdkReplay(dateutil=figures[False], fast=figures[True])


def timestamp_costs(repeats: int) -> list[TimestampCost]:
    """What one parse costs in each timestamp format a host may write, by either parser."""
    moment = datetime(2026, 11, 21, 5, 52, 51, 123456, tzinfo=UTC)
    formats = [
        ("emulator (.FFFFFFF, trimmed)", to_wire(moment)),
        ("emulator before 09a2c6c (.fffffff0)", moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"),
        ("Azure, 7 digits of ticks", "2026-11-21T05:52:51.1234567Z"),
        ("whole second", "2026-11-21T05:52:51Z"),
    ]
    found: list[TimestampCost] = []
    batch = 200
    for label, text in formats:
        parsers = (dateutil_parse, sdk_timestamps.parse_timestamp)
        (slow, _), (fast, _) = _paired(
            [(None, lambda p=parse, t=text: [p(t) for _ in range(batch)]) for parse in parsers],
            repeats,
        )
        found.append(TimestampCost(label, text, slow / batch * 1e6, fast / batch * 1e6))
    return found


# --- durabletask --------------------------------------------------------------------------


def dt_long_chain(ctx: task.OrchestrationContext, payload: dict[str, int]) -> Any:
    total = 0
    for index in range(payload["steps"]):
        total += yield ctx.call_activity(ACTIVITY, input=index)
    return total


def durabletask_replay(steps: int, repeats: int) -> float:
    """CPU ms from OrchestratorRequest bytes to the executor's answer for the same history."""
    base = datetime.now(UTC)
    # durabletask numbers tasks from 1 (the Functions host from 0).
    past: list[pb.HistoryEvent] = [
        dt_helpers.new_orchestrator_started_event(base),
        dt_helpers.new_execution_started_event(
            "dt_long_chain", "replay", json.dumps({"steps": steps + 1})
        ),
        dt_helpers.new_task_scheduled_event(1, ACTIVITY, "0"),
        dt_helpers.new_orchestrator_completed_event(),
    ]
    for step in range(1, steps):
        past += [
            dt_helpers.new_orchestrator_started_event(base + timedelta(milliseconds=step)),
            dt_helpers.new_task_completed_event(step, "1"),
            dt_helpers.new_task_scheduled_event(step + 1, ACTIVITY, json.dumps(step)),
            dt_helpers.new_orchestrator_completed_event(),
        ]
    new = [
        dt_helpers.new_orchestrator_started_event(base + timedelta(milliseconds=steps)),
        dt_helpers.new_task_completed_event(steps, "1"),
    ]
    payload = pb.OrchestratorRequest(
        instanceId="replay", pastEvents=past, newEvents=new
    ).SerializeToString()
    registry = _Registry()  # type: ignore[no-untyped-call]
    registry.add_orchestrator(dt_long_chain)
    logger = logging.getLogger("bench.durabletask")

    def execute() -> Any:
        request = pb.OrchestratorRequest.FromString(payload)
        executor = _OrchestrationExecutor(registry, logger, JsonDataConverter())
        return executor.execute(request.instanceId, request.pastEvents, request.newEvents)

    result = execute()
    if len(result.actions) != 1 or not result.actions[0].HasField("scheduleTask"):
        raise RuntimeError(f"unexpected durabletask answer: {result.actions}")
    cpu, _ = _cpu_and_wall(execute, repeats)
    return cpu * 1e3


# --- the emulator's episode ---------------------------------------------------------------


def emulator_episodes(steps: int, hot: int) -> tuple[list[tuple[int, float, float]], float]:
    """Seed a state file at ``steps``, restart the emulator on it, run ``hot`` more steps.

    Returns the hot episodes as (context events, episode ms, SDK ms) and the cold episode's ms.
    """
    total_steps = steps + hot + 1  # the last, completing episode is not counted
    state = chain_state(steps, total_steps, datetime.now(UTC) - timedelta(hours=1))
    instance = state.instance
    with tempfile.TemporaryDirectory(prefix="bench-replay-") as folder:
        path = Path(folder) / "state.sqlite3"
        store = StateStore(path)
        store.write(persistence.save_instance(instance))
        store.write(persistence.append_history(instance.instance_id, 0, instance.history))
        store.write(persistence.add_inbox(instance.instance_id, InboxItem(1, state.completion)))
        store.read_sync(lambda _conn: None)
        store.close()
        server = EmulatorServer(
            CHAIN_APP,
            clock="wall",
            state=path,
            settings={**CHAIN_SETTINGS, "TASKHUB_NAME": "BenchReplay"},
        )
        with EpisodeProbe() as probe, server:
            if not server.wait_idle(timeout=900):
                raise RuntimeError("the seeded chain did not finish")
            record = server.host.engine.get(instance.instance_id)
            if record is None or record.status is not RuntimeStatus.COMPLETED:
                raise RuntimeError(f"seeded chain ended as {record and record.status}")
    samples = probe.samples
    if len(samples) != hot + 2:
        raise RuntimeError(f"expected {hot + 2} episodes, saw {len(samples)}")
    hot_samples = [(s.events, s.episode_s * 1e3, s.sdk_s * 1e3) for s in samples[1:-1]]
    return hot_samples, samples[0].episode_s * 1e3


# --- all together -------------------------------------------------------------------------


def run(lengths: list[int], repeats: dict[str, int], hot: dict[str, int]) -> ReplayReport:
    quiet_logs()
    check_builder()
    app = load_app(CHAIN_APP)
    try:
        handler = app.index.orchestrators[ORCHESTRATOR].handler
        points: list[ReplayPoint] = []
        for length in lengths:
            steps = steps_for(length)
            count = repeats[str(length)]
            state = chain_state(steps, steps + 1, datetime.now(UTC) - timedelta(hours=1))
            sdk = sdk_replay(handler, state, count)
            wall, cpu, parse_cpu, stamps_cpu = sdk.dateutil
            fast_wall, fast_cpu, fast_parse_cpu, fast_stamps_cpu = sdk.fast
            dt_cpu = durabletask_replay(steps, count)
            hot_samples, cold = emulator_episodes(steps, hot[str(length)])
            points.append(
                ReplayPoint(
                    events=state.context_events,
                    repeats=count,
                    sdk_ms=wall,
                    sdk_cpu_ms=cpu,
                    sdk_parse_ms=parse_cpu,
                    sdk_timestamps_ms=stamps_cpu,
                    fast_sdk_ms=fast_wall,
                    fast_sdk_cpu_ms=fast_cpu,
                    fast_sdk_parse_ms=fast_parse_cpu,
                    fast_sdk_timestamps_ms=fast_stamps_cpu,
                    durabletask_ms=dt_cpu,
                    episode_events=round(median([s[0] for s in hot_samples])),
                    episode_ms=median([s[1] for s in hot_samples]),
                    episode_sdk_ms=median([s[2] for s in hot_samples]),
                    episode_repeats=len(hot_samples),
                    cold_episode_ms=cold,
                )
            )
    finally:
        app.unload()
    return ReplayReport(points, timestamp_costs(repeats.get("timestamps", 20)))
