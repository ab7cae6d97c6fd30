"""Counting and timing the emulator's episodes from the bench process, without changing it.

The emulator has no statistics API, so the bench wraps engine seams while a probe is
active: ``EpisodeRunner._run_episode`` (a whole episode on the loop: build the context, run the
SDK on a worker thread, apply the answer), the episode runner's reference to the SDK call
(``invoke_orchestrator``, on the worker thread; its time is handed to the episode through the
result object it returns, which ``EpisodeRunner._apply_episode`` receives), the episode runner's
``build_context_json`` (the end of the episode's work before the hand-off) and the activity
runner's ``run_activity`` (counted; a sync activity's handler is timed in thread CPU on its
worker thread, the user's code alone).

An episode's wall time includes waiting: for a worker thread and for the loop to take the answer
back, each behind the GIL and the OS scheduler. Its CPU time is the work alone: the loop
thread's CPU before the hand-off (from the episode's start to its context built) and after it
(from ``_apply_episode`` to the episode's end, effects included), plus the worker thread's CPU
in the SDK call.
Installed only inside a bench subprocess.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, Self

from durable_localhost import activity_runner, episodes
from durable_localhost.episode_plan import select_batch
from durable_localhost.episodes import EpisodeRunner
from durable_localhost.functions import ActivityFunction
from durable_localhost.model import Instance


@dataclass
class EpisodeSample:
    """One episode: events in its context, whole-episode and SDK seconds (wall; CPU)."""

    events: int
    episode_s: float
    sdk_s: float
    sdk_cpu_s: float
    loop_cpu_s: float  # the emulator's own work on the loop thread, before and after the SDK


@dataclass
class EpisodeProbe:
    """``samples`` in completion order and ``activities`` counted while installed."""

    samples: list[EpisodeSample] = field(default_factory=list)
    activities: int = 0
    _activity_cpu: list[float] = field(default_factory=list)  # appended on worker threads
    _timed_activities: dict[int, ActivityFunction] = field(default_factory=dict)
    _sdk_by_result: dict[int, tuple[float, float]] = field(default_factory=dict)
    _sdk_by_instance: dict[int, tuple[float, float]] = field(default_factory=dict)
    _saved: dict[str, Any] = field(default_factory=dict)

    def reset(self) -> None:
        self.samples.clear()
        self.activities = 0
        self._activity_cpu.clear()

    @property
    def episodes(self) -> int:
        return len(self.samples)

    def total_episode_s(self) -> float:
        return sum(s.episode_s for s in self.samples)

    def total_sdk_s(self) -> float:
        return sum(s.sdk_s for s in self.samples)

    def total_sdk_cpu_s(self) -> float:
        return sum(s.sdk_cpu_s for s in self.samples)

    def total_activity_cpu_s(self) -> float:
        """Thread CPU of the sync activities' handlers (the user's code, nothing around it)."""
        return sum(self._activity_cpu)

    def _timed(self, function: ActivityFunction) -> ActivityFunction:
        """``function`` with its sync handler timed; async handlers run on the loop, untimed."""
        timed = self._timed_activities.get(id(function))
        if timed is not None:
            return timed
        handler: Callable[..., Any] = function.handler
        if inspect.iscoroutinefunction(handler):
            return function
        spent = self._activity_cpu

        def call(**kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return handler(**kwargs)
            finally:
                spent.append(time.thread_time() - started)

        timed = self._timed_activities[id(function)] = replace(function, handler=call)
        return timed

    def sdk_cpu_share(self) -> float:
        """The SDK call's share of the episodes' CPU time (-1 without episodes)."""
        sdk = self.total_sdk_cpu_s()
        total = sdk + sum(s.loop_cpu_s for s in self.samples)
        return sdk / total if total else -1.0

    def __enter__(self) -> Self:
        self._saved = {
            "episode": EpisodeRunner._run_episode,
            "apply": EpisodeRunner._apply_episode,
            "invoke": getattr(episodes, "invoke_orchestrator"),  # noqa: B009
            "context": getattr(episodes, "build_context_json"),  # noqa: B009
            "activity": getattr(activity_runner, "run_activity"),  # noqa: B009
        }
        original_episode = self._saved["episode"]
        original_apply = self._saved["apply"]
        original_invoke = self._saved["invoke"]
        original_activity = self._saved["activity"]
        original_context = self._saved["context"]
        # Loop-thread CPU per instance: at the episode's start, then at its context built.
        loop_cpu: dict[int, list[float]] = {}

        async def run_episode(
            runner: EpisodeRunner, loop: asyncio.AbstractEventLoop, instance: Instance
        ) -> None:
            # The context holds the stored history, OrchestratorStarted and the batch.
            events = len(instance.history) + 1 + len(select_batch(instance))
            marks = loop_cpu[id(instance)] = [time.thread_time()]
            started = time.perf_counter()
            await original_episode(runner, loop, instance)
            elapsed = time.perf_counter() - started
            marks.append(time.thread_time())
            del loop_cpu[id(instance)]
            sdk, sdk_cpu = self._sdk_by_instance.pop(id(instance), (0.0, 0.0))
            # [start, context built, apply started, end]; without an SDK call, start to end.
            own = marks[1] - marks[0] + marks[3] - marks[2] if len(marks) == 4 else 0.0
            own = own or marks[-1] - marks[0]
            self.samples.append(EpisodeSample(events, elapsed, sdk, sdk_cpu, own))

        def build_context(instance: Instance, *args: Any) -> str:
            context = original_context(instance, *args)
            loop_cpu.get(id(instance), []).append(time.thread_time())
            return str(context)

        def apply_episode(runner: EpisodeRunner, instance: Instance, *args: Any) -> None:
            loop_cpu.get(id(instance), []).append(time.thread_time())
            result = args[2]  # (batch, appended, result, now, effects)
            self._sdk_by_instance[id(instance)] = self._sdk_by_result.pop(id(result), (0.0, 0.0))
            original_apply(runner, instance, *args)

        def invoke(function: Any, context_json: str, *args: Any) -> Any:
            started, cpu = time.perf_counter(), time.thread_time()  # on the worker thread
            result = original_invoke(function, context_json, *args)
            spent = (time.perf_counter() - started, time.thread_time() - cpu)
            self._sdk_by_result[id(result)] = spent
            return result

        async def activity(function: ActivityFunction, *args: Any, **kwargs: Any) -> Any:
            self.activities += 1
            return await original_activity(self._timed(function), *args, **kwargs)

        self._patch(run_episode, apply_episode, invoke, build_context, activity)
        return self

    @staticmethod
    def _patch(
        run_episode: Any, apply_episode: Any, invoke: Any, build_context: Any, activity: Any
    ) -> None:
        setattr(EpisodeRunner, "_run_episode", run_episode)  # noqa: B010
        setattr(EpisodeRunner, "_apply_episode", apply_episode)  # noqa: B010
        setattr(episodes, "invoke_orchestrator", invoke)  # noqa: B010
        setattr(episodes, "build_context_json", build_context)  # noqa: B010
        setattr(activity_runner, "run_activity", activity)  # noqa: B010

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        saved = self._saved
        self._patch(
            saved["episode"], saved["apply"], saved["invoke"], saved["context"], saved["activity"]
        )
