"""Orchestrator episodes: a batch of messages in, the SDK run on a worker thread, history out.

The worker takes an instance that has messages, builds the context JSON, calls the SDK's
orchestrator wrapper on a thread, and applies the answer (decided by ``episode_plan``) back on
the loop, carrying out its effects once the instance's state is consistent.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from durable_localhost.effects import ArmTimer, DispatchActivity, Effect, SendToEntity, StartChild
from durable_localhost.episode import EpisodeResult, build_context_json
from durable_localhost.episode_plan import apply_answer, not_found_message, select_batch
from durable_localhost.history import (
    Event,
    EventType,
    encode_event,
    orchestrator_completed,
    orchestrator_started,
)
from durable_localhost.invokers import run_orchestrator as invoke_orchestrator
from durable_localhost.model import InboxItem, Instance, RuntimeStatus
from durable_localhost.retry_plan import retry_internals
from durable_localhost.timeutil import parse
from durable_localhost.trace_context import child_of
from durable_localhost.worker_threads import WorkerThreads

if TYPE_CHECKING:
    from durable_localhost.engine import Engine

log = logging.getLogger("durable_localhost.engine")


class EpisodeRunner:
    """The orchestrator workers of one engine, and what they do with an episode's answer."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.ready: asyncio.Queue[str] = asyncio.Queue()
        self.pool = WorkerThreads(
            engine.config.max_concurrent_orchestrators, "emulator-orchestrator"
        )

    async def worker(self) -> None:
        """Run episodes of whichever instance is ready."""
        loop = asyncio.get_running_loop()
        while True:
            instance_id = await self.ready.get()
            instance = self.engine.instances.get(instance_id)
            if instance is None or not instance.queued:
                continue
            instance.queued = False
            instance.running = True
            try:
                async with self.engine.turn():
                    await self._run_episode(loop, instance)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("internal error in an episode of %s", instance_id)
            finally:
                instance.running = False
                self.engine.control.apply_pending(instance)
                self.engine.schedule(instance)
                self.engine.tracker.end()

    async def _run_episode(self, loop: asyncio.AbstractEventLoop, instance: Instance) -> None:
        if instance.status is RuntimeStatus.SUSPENDED or instance.status.is_terminal:
            return  # suspended or terminated after it was queued
        batch = select_batch(instance)
        if not batch:
            return
        rewound, instance.rewound_activities = instance.rewound_activities, []
        messages = [item.event for item in batch]
        # A timer may be delivered while the clock is a few microseconds short of its FireAt
        # (see ArmedTimer); its episode must still start at or after FireAt (the SDK computes
        # the next segment of a long timer from current_utc_datetime).
        fired = [
            parse(str(m["FireAt"])) for m in messages if m["EventType"] == EventType.TIMER_FIRED
        ]
        now = self.engine.stamp(max(fired, default=None))
        new_events = [orchestrator_started(now), *messages]
        encoded = [encode_event(new_events[0]), *(item.encoded for item in batch)]
        mismatch = self.engine.versions.failure(instance.version)
        if mismatch is not None:
            appended = [*new_events, orchestrator_completed(now)]
            self._fail_version(instance, batch, appended, mismatch, now, encoded)
            return
        effects: list[Effect] = []
        internal = retry_internals(instance, messages[0], now, effects)
        function = self.engine.index.orchestrators.get(instance.name)
        if function is None:
            known = list(self.engine.index.orchestrators)
            result = EpisodeResult(crash=not_found_message(instance.name, "orchestrator", known))
        else:
            context_json = build_context_json(instance, new_events, self.engine.config, encoded)
            result = await self.pool.call(
                invoke_orchestrator,
                function,
                context_json,
                child_of(instance.trace_parent),
            )
        if (
            instance.status.is_terminal
            or self.engine.instances.get(instance.instance_id) is not instance
        ):
            return  # overwritten or purged while the episode ran
        self._apply_episode(
            instance, batch, [*new_events, *internal], result, now, effects, encoded
        )
        for effect in effects:
            self._carry_out(instance, effect)
        if not instance.status.is_terminal:
            for task_id, name, payload in rewound:
                self.engine._dispatch_activity(instance, task_id, name, payload)

    def _apply_episode(
        self,
        instance: Instance,
        batch: list[InboxItem],
        appended: list[Event],
        result: EpisodeResult,
        now: datetime,
        effects: list[Effect],
        encoded: list[str],
    ) -> None:
        """Turn the SDK's answer into history and a new status (effects are run after).

        ``encoded``: the texts of the first events of ``appended``, made for the context.
        """
        del instance.inbox[: len(batch)]
        if instance.status is RuntimeStatus.PENDING:
            instance.status = RuntimeStatus.RUNNING
        scheduled, outcome = apply_answer(
            instance,
            result,
            now,
            self.engine.index,
            effects,
            self.engine.config.versioning.default_version,
        )
        appended = [*appended, *scheduled, orchestrator_completed(now)]
        instance.updated = now
        if outcome.status is RuntimeStatus.RUNNING:
            self.engine.commit_history(instance, appended, batch, encoded)
        elif outcome.status is RuntimeStatus.CONTINUED_AS_NEW:
            self.engine.commit_history(instance, appended, batch, encoded)
            self.engine.continue_as_new(instance, outcome.output_json, now)
        else:
            assert outcome.output_json is not None
            self.engine.finish(
                instance, appended, outcome.status, outcome.output_json, now, batch, encoded
            )
            if outcome.status is RuntimeStatus.FAILED:
                log.error("%s", json.loads(outcome.output_json))

    def _fail_version(
        self,
        instance: Instance,
        batch: list[InboxItem],
        appended: list[Event],
        reason: str,
        now: datetime,
        encoded: list[str],
    ) -> None:
        """``versionFailureStrategy`` Fail: the instance fails without running its code."""
        del instance.inbox[: len(batch)]
        failed = RuntimeStatus.FAILED
        self.engine.finish(instance, appended, failed, json.dumps(reason), now, batch, encoded)
        log.error("%s failed: %s", instance.instance_id, reason)

    def _carry_out(self, instance: Instance, effect: Effect) -> None:
        """Run one effect of an episode, once the episode's state is consistent."""
        match effect:
            case DispatchActivity(task_id, name, payload):
                self.engine._dispatch_activity(instance, task_id, name, payload)
            case ArmTimer(timer_id, fire_at, stamp):
                self.engine.timers.arm(instance, timer_id, fire_at, stamp)
            case StartChild(name, child_id, payload, parent, version):
                # The host passes the action's input *string* as the input object, so the
                # child's ExecutionStarted.Input is that string JSON-encoded once more.
                self.engine.start_orchestration(
                    name, child_id, json.dumps(payload), version=version, parent=parent
                )
            case SendToEntity(name, key, request):
                self.engine.entities.enqueue(name, key, request)
