"""Counting and timing the emulator's episodes from the bench process, without changing it.

The emulator has no statistics API, so the bench wraps three engine seams while a probe is
active: ``EpisodeRunner._run_episode`` (a whole episode on the loop: build the context, run the
SDK on a worker thread, apply the answer), the episode runner's reference to the SDK call
(``invoke_orchestrator``, on the worker thread; its time is handed to the episode through the
result object it returns, which ``EpisodeRunner._apply_episode`` receives) and the activity
runner's ``run_activity``.
Installed only inside a bench subprocess.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from durable_localhost import activity_runner, episodes
from durable_localhost.episode_plan import select_batch
from durable_localhost.episodes import EpisodeRunner
from durable_localhost.model import Instance


@dataclass
class EpisodeSample:
    """One episode: events in its context, whole-episode and SDK seconds (wall; SDK CPU)."""

    events: int
    episode_s: float
    sdk_s: float
    sdk_cpu_s: float


@dataclass
class EpisodeProbe:
    """``samples`` in completion order and ``activities`` counted while installed."""

    samples: list[EpisodeSample] = field(default_factory=list)
    activities: int = 0
    _sdk_by_result: dict[int, tuple[float, float]] = field(default_factory=dict)
    _sdk_by_instance: dict[int, tuple[float, float]] = field(default_factory=dict)
    _saved: dict[str, Any] = field(default_factory=dict)

    def reset(self) -> None:
        self.samples.clear()
        self.activities = 0

    @property
    def episodes(self) -> int:
        return len(self.samples)

    def total_episode_s(self) -> float:
        return sum(s.episode_s for s in self.samples)

    def total_sdk_s(self) -> float:
        return sum(s.sdk_s for s in self.samples)

    def total_sdk_cpu_s(self) -> float:
        return sum(s.sdk_cpu_s for s in self.samples)

    def __enter__(self) -> Self:
        self._saved = {
            "episode": EpisodeRunner._run_episode,
            "apply": EpisodeRunner._apply_episode,
            "invoke": getattr(episodes, "invoke_orchestrator"),  # noqa: B009
            "activity": getattr(activity_runner, "run_activity"),  # noqa: B009
        }
        original_episode = self._saved["episode"]
        original_apply = self._saved["apply"]
        original_invoke = self._saved["invoke"]
        original_activity = self._saved["activity"]

        async def run_episode(
            runner: EpisodeRunner, loop: asyncio.AbstractEventLoop, instance: Instance
        ) -> None:
            # The context holds the stored history, OrchestratorStarted and the batch.
            events = len(instance.history) + 1 + len(select_batch(instance))
            started = time.perf_counter()
            await original_episode(runner, loop, instance)
            elapsed = time.perf_counter() - started
            sdk, sdk_cpu = self._sdk_by_instance.pop(id(instance), (0.0, 0.0))
            self.samples.append(EpisodeSample(events, elapsed, sdk, sdk_cpu))

        def apply_episode(runner: EpisodeRunner, instance: Instance, *args: Any) -> None:
            result = args[2]  # (batch, appended, result, now, effects)
            self._sdk_by_instance[id(instance)] = self._sdk_by_result.pop(id(result), (0.0, 0.0))
            original_apply(runner, instance, *args)

        def invoke(function: Any, context_json: str, *args: Any) -> Any:
            started, cpu = time.perf_counter(), time.thread_time()  # on the worker thread
            result = original_invoke(function, context_json, *args)
            spent = (time.perf_counter() - started, time.thread_time() - cpu)
            self._sdk_by_result[id(result)] = spent
            return result

        async def activity(*args: Any, **kwargs: Any) -> Any:
            self.activities += 1
            return await original_activity(*args, **kwargs)

        self._patch(run_episode, apply_episode, invoke, activity)
        return self

    @staticmethod
    def _patch(run_episode: Any, apply_episode: Any, invoke: Any, activity: Any) -> None:
        setattr(EpisodeRunner, "_run_episode", run_episode)  # noqa: B010
        setattr(EpisodeRunner, "_apply_episode", apply_episode)  # noqa: B010
        setattr(episodes, "invoke_orchestrator", invoke)  # noqa: B010
        setattr(activity_runner, "run_activity", activity)  # noqa: B010

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        saved = self._saved
        self._patch(saved["episode"], saved["apply"], saved["invoke"], saved["activity"])
