"""The Durable engine: instances, episodes, activities, entities, timers and control operations.

Everything here runs on the emulator's event loop thread; only user code (orchestrator episodes,
entity batches, sync activities) runs on worker threads, and its results are applied back on the
loop. That keeps the state single-threaded without locks while the HTTP server stays responsive.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from emulator import persistence
from emulator.actions import ActionType, Step, consumes_id, iter_atomic, step_of
from emulator.clock import Clock, StampSource
from emulator.config import HostConfig, dumps_compact
from emulator.episode import EpisodeResult, build_context_json
from emulator.functions import FunctionIndex
from emulator.history import (
    ORCHESTRATION_STATUS_CODES,
    Event,
    EventType,
    event,
    execution_started,
    orchestrator_completed,
    orchestrator_started,
)
from emulator.ids import new_hex_id
from emulator.invokers import ActivityError, run_activity, run_builtin_http, run_entity
from emulator.invokers import run_orchestrator as invoke_orchestrator
from emulator.model import (
    ArmedTimer,
    EntityRecord,
    EntityRequest,
    InboxItem,
    Instance,
    ParentRef,
    RetryGroup,
    RuntimeStatus,
    ScheduledStep,
    entity_instance_id,
    split_entity_id,
)
from emulator.store import StateStore
from emulator.timeutil import parse, to_wire
from emulator.tracker import BusyTracker

log = logging.getLogger("emulator.engine")

BUILTIN_HTTP_ACTIVITY = "BuiltIn::HttpActivity"
MAX_EPISODE_BATCH = 10_000
MAX_ENTITY_BATCH = 100
_ENTITY_NAMESPACE = uuid.UUID("9e952958-5e33-4daf-827f-2fa12937b875")
#: ``kv`` key of the highest timestamp issued by the engine's ``StampSource``.
LAST_STAMP_KEY = "engine.last_stamp"


class UnknownFunctionError(LookupError):
    """The named function does not exist or has the wrong trigger type."""


def not_found_message(name: str, kind: str, known: list[str]) -> str:
    """The host's ``ThrowIfFunctionDoesNotExist`` text."""
    listing = ", ".join(f"'{k}'" for k in sorted(known)) or "(none)"
    return (
        f"The function '{name}' doesn't exist, is disabled, or is not an {kind} function. "
        f"Additional info: The following are the known {kind} functions: {listing}."
    )


@dataclass(order=True)
class _Timer:
    due: datetime  # clock time (``ArmedTimer.due``); the heap is ordered by it
    seq: int
    fire_at: datetime = field(compare=False)
    instance_id: str = field(compare=False)
    execution_id: str = field(compare=False)
    timer_id: int = field(compare=False)


@dataclass
class ListFilter:
    """Query of ``GET instances/`` and purge-by."""

    created_from: datetime | None = None
    created_to: datetime | None = None
    statuses: frozenset[RuntimeStatus] | None = None
    prefix: str | None = None
    name: str | None = None

    def matches(self, instance: Instance) -> bool:
        """Whether the instance passes every given condition."""
        if self.name is not None and instance.name != self.name:
            return False
        if self.created_from and instance.created < self.created_from:
            return False
        if self.created_to and instance.created > self.created_to:
            return False
        if self.statuses is not None and instance.status not in self.statuses:
            return False
        return not (self.prefix and not instance.instance_id.startswith(self.prefix))


@dataclass
class _Effects:
    """Side effects collected while applying an episode, run once state is consistent."""

    actions: list[Callable[[], None]] = field(default_factory=list)

    def add(self, fn: Callable[[], None]) -> None:
        self.actions.append(fn)

    def run(self) -> None:
        for fn in self.actions:
            fn()


class Engine:
    """Owns all durable state of one emulator."""

    def __init__(
        self,
        *,
        config: HostConfig,
        index: FunctionIndex,
        clock: Clock,
        store: StateStore,
        app_dir: Path,
    ) -> None:
        self.config = config
        self.index = index
        self.clock = clock
        # OrchestratorStarted (and other history events the engine writes itself) are stamped
        # from here: strictly increasing, so `new_uuid()` never repeats across executions.
        self.stamps = StampSource(clock)
        self.store = store
        self.app_dir = app_dir
        self.tracker = BusyTracker()
        self.instances: dict[str, Instance] = {}
        self.entities: dict[str, EntityRecord] = {}
        self._timers: list[_Timer] = []
        self._timer_seq = itertools.count()
        self._ready: asyncio.Queue[str] = asyncio.Queue()
        self._entity_ready: asyncio.Queue[str] = asyncio.Queue()
        self._orchestrator_pool = ThreadPoolExecutor(
            config.max_concurrent_orchestrators, thread_name_prefix="emulator-orchestrator"
        )
        self._entity_pool = ThreadPoolExecutor(
            config.max_concurrent_entities, thread_name_prefix="emulator-entity"
        )
        self._activity_pool = ThreadPoolExecutor(
            config.max_concurrent_activities, thread_name_prefix="emulator-activity"
        )
        self._activity_slots = asyncio.Semaphore(config.max_concurrent_activities)
        self._tasks: list[asyncio.Task[None]] = []
        self._activity_tasks: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._dirty: dict[str, Instance] = {}
        self._flush_scheduled = False

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Load persisted state, re-arm timers, re-dispatch pending work, start the workers."""
        instances = await self.store.read(persistence.load_instances)
        entities = await self.store.read(persistence.load_entities)
        last_stamp = await self.store.read(lambda conn: persistence.read_kv(conn, LAST_STAMP_KEY))
        self.stamps.raise_floor(parse(last_stamp) if last_stamp else None)
        for instance in instances:
            self.instances[instance.instance_id] = instance
            # State written before the high-water mark was persisted: its episodes' time.
            self.stamps.raise_floor(instance.updated)
        for record in entities:
            self.entities[record.entity_id] = record
        for _ in range(self.config.max_concurrent_orchestrators):
            self._tasks.append(asyncio.create_task(self._orchestrator_worker()))
        for _ in range(self.config.max_concurrent_entities):
            self._tasks.append(asyncio.create_task(self._entity_worker()))
        self._tasks.append(asyncio.create_task(self._timer_loop()))
        for instance in instances:
            if not instance.status.is_terminal:
                self._recover(instance)
        for record in entities:
            self._schedule_entity(record)

    async def stop(self) -> None:
        """Stop the workers, wait for running user code and flush state."""
        self._stopping = True
        self.tracker.notify()
        for task in [*self._tasks, *self._activity_tasks]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._activity_tasks, return_exceptions=True)
        self._flush_dirty()
        for pool in (self._orchestrator_pool, self._entity_pool, self._activity_pool):
            pool.shutdown(wait=True, cancel_futures=True)
        await self.store.flush()

    def _recover(self, instance: Instance) -> None:
        """After a restart: re-arm timers and re-run activities whose results never arrived."""
        for timer_id, armed in instance.timers.items():
            self._push_timer(instance, timer_id, armed)
        answered = {
            e.get("TaskScheduledId")
            for e in [*instance.history, *(i.event for i in instance.inbox)]
            if e["EventType"] in (EventType.TASK_COMPLETED, EventType.TASK_FAILED)
        }
        for past in instance.history:
            if past["EventType"] == EventType.TASK_SCHEDULED and past["EventId"] not in answered:
                inputs = json.loads(past.get("Input") or "[null]")
                payload = inputs[0] if inputs else None
                self._dispatch_activity(instance, int(past["EventId"]), str(past["Name"]), payload)
        self._schedule(instance)

    # ------------------------------------------------------------------ queries

    def get(self, instance_id: str) -> Instance | None:
        """The instance, if it exists."""
        return self.instances.get(instance_id)

    async def history_of(self, instance: Instance) -> list[Event]:
        """The current execution's history (read from SQLite for finished instances)."""
        if instance.history_loaded:
            return list(instance.history)
        instance_id = instance.instance_id
        return await self.store.read(lambda conn: persistence.load_history(conn, instance_id))

    def query(self, query: ListFilter) -> list[Instance]:
        """Instances matching the filter, oldest first."""
        found = [i for i in self.instances.values() if query.matches(i)]
        return sorted(found, key=lambda i: (i.created, i.instance_id))

    def next_timer(self) -> datetime | None:
        """The clock time at which the earliest live timer fires (stale heap entries dropped)."""
        while self._timers:
            head = self._timers[0]
            if self._timer_is_live(head):
                return head.due
            heapq.heappop(self._timers)
        return None

    def is_quiescent(self) -> bool:
        """Nothing runs and no timer is due; with auto-advancing virtual time, no timer at all."""
        if self.tracker.busy:
            return False
        upcoming = self.next_timer()
        if upcoming is None:
            return True
        if upcoming <= self.clock.now():
            return False
        return not (self.clock.is_virtual and not self.clock.paused)

    # ------------------------------------------------------------------ starting

    def start_orchestration(
        self,
        name: str,
        instance_id: str | None,
        input_json: str | None,
        *,
        version: str | None = None,
        parent: ParentRef | None = None,
    ) -> Instance:
        """Create (or overwrite) an instance and queue its ExecutionStarted."""
        if name not in self.index.orchestrators:
            raise UnknownFunctionError(
                not_found_message(name, "orchestrator", list(self.index.orchestrators))
            )
        instance_id = instance_id or new_hex_id()
        existing = self.instances.get(instance_id)
        if existing is not None:
            self._discard(existing)
        now = self.clock.now()
        instance = Instance(
            instance_id=instance_id,
            name=name,
            execution_id=new_hex_id(),
            status=RuntimeStatus.PENDING,
            input=input_json,
            created=now,
            updated=now,
            version=version,
            parent=parent,
        )
        self.instances[instance_id] = instance
        self._mark_dirty(instance)
        self._deliver(instance, self._execution_started(instance, now))
        return instance

    def _execution_started(self, instance: Instance, now: datetime) -> Event:
        parent = None
        if instance.parent is not None:
            parent = {
                "Name": instance.parent.name,
                "Version": "",
                "TaskScheduleId": instance.parent.task_id,
                "OrchestrationInstance": {
                    "InstanceId": instance.parent.instance_id,
                    "ExecutionId": instance.parent.execution_id,
                },
            }
        return execution_started(
            now,
            name=instance.name,
            instance_id=instance.instance_id,
            execution_id=instance.execution_id,
            input_json=instance.input,
            version=instance.version,
            parent=parent,
        )

    def _discard(self, instance: Instance) -> None:
        """Forget an instance's in-memory and persisted state before it is overwritten."""
        if instance.queued:
            instance.queued = False
            self.tracker.end()
        instance.timers.clear()
        instance.inbox.clear()
        self.instances.pop(instance.instance_id, None)
        self.store.write(persistence.delete_instance(instance.instance_id))

    # ------------------------------------------------------------------ time

    def _stamp(self, at_least: datetime | None = None) -> datetime:
        """The next strictly increasing timestamp, its high-water mark persisted first.

        Queued before the history that carries it, so it is committed no later than that
        history: after a restart every stamp still exceeds every persisted one, even those of
        instances purged meanwhile.
        """
        stamp = self.stamps.issue(at_least)
        self.store.write(persistence.write_kv(LAST_STAMP_KEY, to_wire(stamp)))
        return stamp

    # ------------------------------------------------------------------ persistence

    def _mark_dirty(self, instance: Instance) -> None:
        """Save the instance row once at the end of this loop turn, however often it changed."""
        self._dirty[instance.instance_id] = instance
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_dirty)

    def _flush_dirty(self) -> None:
        self._flush_scheduled = False
        dirty, self._dirty = self._dirty, {}
        for instance_id, instance in dirty.items():
            if self.instances.get(instance_id) is instance:
                self.store.write(persistence.save_instance(instance))

    # ------------------------------------------------------------------ messages

    def _deliver(self, instance: Instance, message: Event) -> None:
        """Queue a message for the instance's next episode (persisted first)."""
        instance.inbox_seq += 1
        item = InboxItem(instance.inbox_seq, message)
        instance.inbox.append(item)
        self.store.write(persistence.add_inbox(instance.instance_id, item))
        self._schedule(instance)

    def _deliver_to(self, instance_id: str, execution_id: str | None, message: Event) -> None:
        """Deliver to a live instance of the given execution; drop it otherwise (as DTFx)."""
        instance = self.instances.get(instance_id)
        if instance is None or instance.status.is_terminal:
            return
        if execution_id is not None and instance.execution_id != execution_id:
            return
        self._deliver(instance, message)

    def raise_event(self, instance: Instance, name: str, input_json: str | None) -> None:
        """``EventRaised`` for a running (or suspended: queued) instance."""
        self._deliver(
            instance, event(EventType.EVENT_RAISED, self.clock.now(), Name=name, Input=input_json)
        )

    def _schedule(self, instance: Instance) -> None:
        if (
            instance.queued
            or instance.running
            or not instance.inbox
            or instance.status is RuntimeStatus.SUSPENDED
            or instance.status.is_terminal
            or self._stopping
        ):
            return
        instance.queued = True
        self.tracker.begin()
        self._ready.put_nowait(instance.instance_id)

    # ------------------------------------------------------------------ episodes

    async def _orchestrator_worker(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            instance_id = await self._ready.get()
            instance = self.instances.get(instance_id)
            if instance is None or not instance.queued:
                continue
            instance.queued = False
            instance.running = True
            try:
                await self._run_episode(loop, instance)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("internal error in an episode of %s", instance_id)
            finally:
                instance.running = False
                self._apply_pending_control(instance)
                self._schedule(instance)
                self.tracker.end()

    def _select_batch(self, instance: Instance) -> list[InboxItem]:
        """The messages for one episode.

        Retry messages make the SDK take sequence numbers while it processes them (the retry
        timer, the rescheduled attempt). Putting at most one of them in an episode, first,
        keeps those numbers ahead of any action the user code yields in the same episode, so
        the emulator's numbering stays the SDK's.
        """
        batch: list[InboxItem] = []
        for item in instance.inbox:
            if len(batch) >= MAX_EPISODE_BATCH:
                break
            if self._is_retry_message(instance, item.event) and batch:
                break
            batch.append(item)
        return batch

    def _is_retry_message(self, instance: Instance, message: Event) -> bool:
        kind = message["EventType"]
        if kind in (EventType.TASK_FAILED, EventType.SUB_ORCHESTRATION_FAILED):
            group = instance.retry_for(int(message["TaskScheduledId"]))
            return group is not None and group.current_id == int(message["TaskScheduledId"])
        if kind == EventType.TIMER_FIRED:
            group = instance.retry_for(int(message["TimerId"]))
            return group is not None and group.timer_id == int(message["TimerId"])
        return False

    async def _run_episode(self, loop: asyncio.AbstractEventLoop, instance: Instance) -> None:
        if instance.status is RuntimeStatus.SUSPENDED or instance.status.is_terminal:
            return  # suspended or terminated after it was queued
        batch = self._select_batch(instance)
        if not batch:
            return
        messages = [item.event for item in batch]
        # A timer may be delivered while the clock is a few microseconds short of its FireAt
        # (see ArmedTimer); its episode must still start at or after FireAt (the SDK computes
        # the next segment of a long timer from current_utc_datetime).
        fired = [
            parse(str(m["FireAt"])) for m in messages if m["EventType"] == EventType.TIMER_FIRED
        ]
        now = self._stamp(max(fired, default=None))
        new_events = [orchestrator_started(now), *messages]
        effects = _Effects()
        internal = self._retry_internals(instance, messages[0], now, effects)
        function = self.index.orchestrators.get(instance.name)
        if function is None:
            result = EpisodeResult(
                crash=not_found_message(
                    instance.name, "orchestrator", list(self.index.orchestrators)
                )
            )
        else:
            context_json = build_context_json(instance, new_events, self.config)
            result = await loop.run_in_executor(
                self._orchestrator_pool, invoke_orchestrator, function, context_json
            )
        if instance.status.is_terminal or self.instances.get(instance.instance_id) is not instance:
            return  # overwritten or purged while the episode ran
        self._apply_episode(instance, batch, new_events, internal, result, now, effects)
        effects.run()

    def _retry_internals(
        self, instance: Instance, message: Event, now: datetime, effects: _Effects
    ) -> list[Event]:
        """Host-side retry steps the SDK numbers while processing ``message``."""
        if not self._is_retry_message(instance, message):
            return []
        if message["EventType"] == EventType.TIMER_FIRED:
            group = instance.retries.pop(int(message["TimerId"]))
            group.timer_id = None
            if group.attempts >= group.max_attempts:
                return []  # the dummy timer fired: the SDK surfaces the failure now
            new_id = self._take_id(instance)
            group.attempts += 1
            group.current_id = new_id
            instance.retries[new_id] = group
            return [self._schedule_retry_attempt(instance, group, new_id, now, effects)]
        group = instance.retries.pop(int(message["TaskScheduledId"]))
        timer_id = self._take_id(instance)
        if group.attempts >= group.max_attempts:
            fire_at = now  # DTFx's final "dummy" timer
        else:
            fire_at = now + timedelta(milliseconds=group.first_interval_ms)
        group.timer_id = timer_id
        instance.retries[timer_id] = group
        effects.add(lambda: self._arm_timer(instance, timer_id, fire_at, now))
        return [event(EventType.TIMER_CREATED, now, timer_id, FireAt=to_wire(fire_at))]

    def _schedule_retry_attempt(
        self, instance: Instance, group: RetryGroup, new_id: int, now: datetime, effects: _Effects
    ) -> Event:
        if group.kind == "activity":
            name, payload = group.name, group.input
            effects.add(lambda: self._dispatch_activity(instance, new_id, name, payload))
            return self._task_scheduled(now, new_id, name, payload)
        child_id = group.sub_instance_id or f"{instance.execution_id}:{new_id}"
        created = self._start_child(
            instance, new_id, group.name, child_id, group.input, now, effects
        )
        return created

    def _take_id(self, instance: Instance) -> int:
        new_id = instance.next_event_id
        instance.next_event_id += 1
        return new_id

    def _apply_episode(
        self,
        instance: Instance,
        batch: list[InboxItem],
        new_events: list[Event],
        internal: list[Event],
        result: EpisodeResult,
        now: datetime,
        effects: _Effects,
    ) -> None:
        """Turn the SDK's answer into history, side effects and a new status."""
        del instance.inbox[: len(batch)]
        if instance.status is RuntimeStatus.PENDING:
            instance.status = RuntimeStatus.RUNNING
        appended = [*new_events, *internal]
        failure: str | None = None
        continue_input: str | None = None
        continue_as_new = False
        if result.crash is not None:
            failure = f"Orchestrator function '{instance.name}' failed: {result.crash}"
        else:
            try:
                scheduled = self._materialize(instance, result, now, effects)
            except _NonDeterminism as exc:
                failure = f"Orchestrator function '{instance.name}' failed: {exc}"
                scheduled = []
            except UnknownFunctionError as exc:
                failure = f"Orchestrator function '{instance.name}' failed: {exc}"
                scheduled = []
            appended.extend(scheduled)
            if "customStatus" in result.state:
                instance.custom_status = dumps_compact(result.state["customStatus"])
            if failure is None and result.error is not None:
                failure = f"Orchestrator function '{instance.name}' failed: {result.error}"
            for action in iter_atomic(result.actions):
                if action.get("actionType") == ActionType.CONTINUE_AS_NEW:
                    continue_as_new = True
                    continue_input = action.get("input")
        appended.append(orchestrator_completed(now))
        instance.updated = now
        if failure is not None:
            self._finish(instance, appended, RuntimeStatus.FAILED, json.dumps(failure), now, batch)
            log.error("%s", failure)
        elif continue_as_new and result.is_done:
            self._commit_history(instance, appended, batch)
            self._continue_as_new(instance, json.dumps(continue_input), now)
        elif result.is_done:
            output = dumps_compact(result.state.get("output"))
            self._finish(instance, appended, RuntimeStatus.COMPLETED, output, now, batch)
        else:
            self._commit_history(instance, appended, batch)

    def _commit_history(
        self, instance: Instance, appended: list[Event], batch: list[InboxItem]
    ) -> None:
        first = instance.history_seq
        instance.history.extend(appended)
        instance.history_seq += len(appended)
        self.store.write(persistence.append_history(instance.instance_id, first, appended))
        self.store.write(persistence.remove_inbox(instance.instance_id, [i.seq for i in batch]))
        self._mark_dirty(instance)

    def _materialize(
        self, instance: Instance, result: EpisodeResult, now: datetime, effects: _Effects
    ) -> list[Event]:
        """Check the replayed steps against the history, then schedule the new ones."""
        id_actions = [a for a in iter_atomic(result.actions) if consumes_id(a)]
        self._check_determinism(instance, id_actions, result)
        created: list[Event] = []
        for position, action in enumerate(id_actions):
            if position < len(instance.steps):
                if action.get("actionType") == ActionType.CREATE_TIMER and action.get("isCanceled"):
                    instance.timers.pop(instance.steps[position].event_id, None)
                continue
            new_id = self._take_id(instance)
            instance.steps.append(ScheduledStep(new_id, _family(step_of(action))))
            created.append(self._schedule_action(instance, action, new_id, now, effects))
        return created

    def _check_determinism(
        self, instance: Instance, id_actions: list[dict[str, Any]], result: EpisodeResult
    ) -> None:
        for position, scheduled in enumerate(instance.steps):
            if position >= len(id_actions):
                if result.error is not None or result.is_done:
                    return
                raise _NonDeterminism(
                    f"Non-Deterministic workflow detected: orchestrator '{instance.name}', step "
                    f"{position} (event id {scheduled.event_id}): the history holds "
                    f"{scheduled.step.describe()}, but the replay did not schedule it. Was a "
                    "change made to the orchestrator code after this instance had already "
                    "started running?"
                )
            replayed = _family(step_of(id_actions[position]))
            if replayed != scheduled.step:
                raise _NonDeterminism(
                    f"Non-Deterministic workflow detected: orchestrator '{instance.name}', step "
                    f"{position} (event id {scheduled.event_id}): the history holds "
                    f"{scheduled.step.describe()}, but the replay asked for "
                    f"{replayed.describe()}. Was a change made to the orchestrator code after "
                    "this instance had already started running?"
                )

    def _schedule_action(
        self,
        instance: Instance,
        action: dict[str, Any],
        new_id: int,
        now: datetime,
        effects: _Effects,
    ) -> Event:
        kind = ActionType(int(action["actionType"]))
        if kind in (ActionType.CALL_ACTIVITY, ActionType.CALL_ACTIVITY_WITH_RETRY):
            name = str(action["functionName"])
            if name not in self.index.activities:
                raise UnknownFunctionError(
                    not_found_message(name, "activity", list(self.index.activities))
                )
            payload = action.get("input")
            if kind is ActionType.CALL_ACTIVITY_WITH_RETRY:
                instance.retries[new_id] = self._retry_group("activity", action, new_id, None)
            effects.add(lambda: self._dispatch_activity(instance, new_id, name, payload))
            return self._task_scheduled(now, new_id, name, payload)
        if kind in (ActionType.CALL_SUB_ORCHESTRATOR, ActionType.CALL_SUB_ORCHESTRATOR_WITH_RETRY):
            name = str(action["functionName"])
            if name not in self.index.orchestrators:
                raise UnknownFunctionError(
                    not_found_message(name, "orchestrator", list(self.index.orchestrators))
                )
            explicit = action.get("instanceId")
            child_id = str(explicit) if explicit else f"{instance.execution_id}:{new_id}"
            if kind is ActionType.CALL_SUB_ORCHESTRATOR_WITH_RETRY:
                instance.retries[new_id] = self._retry_group(
                    "suborchestration", action, new_id, str(explicit) if explicit else None
                )
            return self._start_child(
                instance, new_id, name, child_id, action.get("input"), now, effects
            )
        if kind is ActionType.CREATE_TIMER:
            fire_at = parse(str(action["fireAt"]))
            if not action.get("isCanceled"):
                effects.add(lambda: self._arm_timer(instance, new_id, fire_at, now))
            return event(EventType.TIMER_CREATED, now, new_id, FireAt=to_wire(fire_at))
        if kind in (ActionType.CALL_ENTITY, ActionType.SIGNAL_ENTITY):
            return self._send_to_entity(instance, action, new_id, now, effects)
        if kind is ActionType.CALL_HTTP:
            request = dict(action.get("httpRequest") or {})
            payload = json.dumps(request)
            effects.add(
                lambda: self._dispatch_activity(instance, new_id, BUILTIN_HTTP_ACTIVITY, payload)
            )
            return self._task_scheduled(now, new_id, BUILTIN_HTTP_ACTIVITY, payload)
        raise _NonDeterminism(f"unsupported action type {kind.name}")

    @staticmethod
    def _retry_group(
        kind: str, action: dict[str, Any], first_id: int, explicit_id: str | None
    ) -> RetryGroup:
        options = action.get("retryOptions") or {}
        return RetryGroup(
            kind=kind,
            name=str(action["functionName"]),
            input=action.get("input"),
            max_attempts=int(options.get("maxNumberOfAttempts", 1)),
            first_interval_ms=int(options.get("firstRetryIntervalInMilliseconds", 0)),
            attempts=1,
            current_id=first_id,
            sub_instance_id=explicit_id,
        )

    @staticmethod
    def _task_scheduled(now: datetime, new_id: int, name: str, payload: str | None) -> Event:
        return event(
            EventType.TASK_SCHEDULED,
            now,
            new_id,
            Name=name,
            Version="",
            Input=json.dumps([payload]),
            Tags=None,
        )

    def _start_child(
        self,
        parent: Instance,
        task_id: int,
        name: str,
        child_id: str,
        payload: str | None,
        now: datetime,
        effects: _Effects,
    ) -> Event:
        ref = ParentRef(parent.instance_id, parent.execution_id, task_id, parent.name)

        def start() -> None:
            # The host passes the action's input *string* as the input object, so the child's
            # ExecutionStarted.Input is that string JSON-encoded once more.
            self.start_orchestration(name, child_id, json.dumps(payload), parent=ref)

        effects.add(start)
        return event(
            EventType.SUB_ORCHESTRATION_CREATED,
            now,
            task_id,
            Name=name,
            Version="",
            InstanceId=child_id,
            Input=payload,
        )

    def _send_to_entity(
        self,
        instance: Instance,
        action: dict[str, Any],
        new_id: int,
        now: datetime,
        effects: _Effects,
    ) -> Event:
        target = str(action["instanceId"])
        name, key = split_entity_id(target)
        if self.index.entity(name) is None:
            raise UnknownFunctionError(not_found_message(name, "entity", list(self.index.entities)))
        target = entity_instance_id(name, key)
        is_signal = int(action["actionType"]) == ActionType.SIGNAL_ENTITY
        request_id = str(
            uuid.uuid5(
                _ENTITY_NAMESPACE, f"{instance.instance_id}:{instance.execution_id}:{new_id}"
            )
        )
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
        effects.add(lambda: self.enqueue_entity(name, key, request))
        return event(
            EventType.EVENT_SENT,
            now,
            new_id,
            InstanceId=target,
            Name=request.operation,
            Input=json.dumps(message),
        )

    # ------------------------------------------------------------------ completion

    def _finish(
        self,
        instance: Instance,
        appended: list[Event],
        status: RuntimeStatus,
        output_json: str,
        now: datetime,
        batch: list[InboxItem],
    ) -> None:
        """Complete, fail or terminate: record it, stop timers, tell the parent.

        ``output_json`` is JSON text: the output, or the failure/termination reason as a string.
        """
        if status is not RuntimeStatus.TERMINATED:
            result = output_json if status is RuntimeStatus.COMPLETED else json.loads(output_json)
            completed = event(
                EventType.EXECUTION_COMPLETED,
                now,
                instance.next_event_id,
                OrchestrationStatus=ORCHESTRATION_STATUS_CODES[str(status)],
                Result=result,
                FailureDetails=None,
            )
            appended = [*appended, completed]
        instance.status = status
        instance.output = output_json
        instance.updated = now
        instance.timers.clear()
        instance.retries.clear()
        dropped = [i.seq for i in instance.inbox]
        instance.inbox.clear()
        self._commit_history(instance, appended, batch)
        if dropped:
            self.store.write(persistence.remove_inbox(instance.instance_id, dropped))
        # Finished instances stay cold: the history is on disk for status queries.
        instance.played_json = []
        instance.history = []
        instance.history_loaded = False
        self._notify_parent(instance, status, now)

    def _notify_parent(self, instance: Instance, status: RuntimeStatus, now: datetime) -> None:
        parent = instance.parent
        if parent is None:
            return
        if status is RuntimeStatus.COMPLETED:
            message = event(
                EventType.SUB_ORCHESTRATION_COMPLETED,
                now,
                TaskScheduledId=parent.task_id,
                Result=instance.output,
            )
        else:
            reason = json.loads(instance.output) if instance.output else ""
            message = event(
                EventType.SUB_ORCHESTRATION_FAILED,
                now,
                TaskScheduledId=parent.task_id,
                Reason=reason,
                Details=None,
                FailureDetails=None,
            )
        self._deliver_to(parent.instance_id, parent.execution_id, message)

    def _continue_as_new(self, instance: Instance, input_json: str | None, now: datetime) -> None:
        """New execution, same id; delivered-but-unconsumed events are dropped with the history."""
        self.store.write(persistence.clear_history(instance.instance_id))
        kept = [i for i in instance.inbox if i.event["EventType"] == EventType.EVENT_RAISED]
        dropped = [i.seq for i in instance.inbox if i not in kept]
        if dropped:
            self.store.write(persistence.remove_inbox(instance.instance_id, dropped))
        instance.execution_id = new_hex_id()
        instance.input = input_json
        instance.history = []
        instance.played_json = []
        instance.history_seq = 0
        instance.next_event_id = 0
        instance.steps = []
        instance.retries = {}
        instance.timers = {}
        instance.inbox = kept
        instance.status = RuntimeStatus.CONTINUED_AS_NEW
        instance.updated = now
        instance.inbox_seq += 1
        started = InboxItem(instance.inbox_seq, self._execution_started(instance, now))
        instance.inbox.insert(0, started)
        self.store.write(persistence.add_inbox(instance.instance_id, started))
        self._mark_dirty(instance)

    # ------------------------------------------------------------------ control operations

    def terminate(self, instance: Instance, reason: str | None) -> None:
        """Queue or apply termination."""
        self._control(instance, "terminate", reason or "")

    def suspend(self, instance: Instance, reason: str | None) -> None:
        """Queue or apply suspension."""
        self._control(instance, "suspend", reason or "")

    def resume(self, instance: Instance, reason: str | None) -> None:
        """Queue or apply resumption."""
        self._control(instance, "resume", reason or "")

    def _control(self, instance: Instance, operation: str, reason: str) -> None:
        instance.pending_control.append((operation, reason))
        if not instance.running:
            self._apply_pending_control(instance)
        else:
            self._mark_dirty(instance)

    def _apply_pending_control(self, instance: Instance) -> None:
        while instance.pending_control and not instance.running:
            operation, reason = instance.pending_control.pop(0)
            if instance.status.is_terminal:
                continue
            now = self._stamp()
            if operation == "terminate":
                self._terminate_now(instance, reason, now)
            elif operation == "suspend" and instance.status is not RuntimeStatus.SUSPENDED:
                instance.status = RuntimeStatus.SUSPENDED
                self._commit_history(
                    instance, [event(EventType.EXECUTION_SUSPENDED, now, Reason=reason)], []
                )
            elif operation == "resume" and instance.status is RuntimeStatus.SUSPENDED:
                instance.status = RuntimeStatus.RUNNING
                self._commit_history(
                    instance, [event(EventType.EXECUTION_RESUMED, now, Reason=reason)], []
                )
                self._schedule(instance)
            self._mark_dirty(instance)
            self.tracker.notify()

    def _terminate_now(self, instance: Instance, reason: str, now: datetime) -> None:
        if instance.queued:
            instance.queued = False
            self.tracker.end()
        terminated = [
            event(EventType.EXECUTION_TERMINATED, now, Input=reason),
            event(
                EventType.EXECUTION_COMPLETED,
                now,
                instance.next_event_id,
                OrchestrationStatus=ORCHESTRATION_STATUS_CODES["Terminated"],
                Result=reason,
                FailureDetails=None,
            ),
        ]
        self._finish(instance, terminated, RuntimeStatus.TERMINATED, json.dumps(reason), now, [])

    def purge(self, instance: Instance) -> bool:
        """Delete a finished instance; running ones are not purged."""
        if not instance.status.is_terminal:
            return False
        self.instances.pop(instance.instance_id, None)
        self.store.write(persistence.delete_instance(instance.instance_id))
        return True

    def restart(self, instance: Instance, new_instance_id: bool) -> Instance:
        """Start the same orchestrator with the same input (``restart`` API)."""
        target = new_hex_id() if new_instance_id else instance.instance_id
        return self.start_orchestration(
            instance.name, target, instance.input, version=instance.version
        )

    # ------------------------------------------------------------------ activities

    def _dispatch_activity(
        self, instance: Instance, task_id: int, name: str, payload: str | None
    ) -> None:
        instance_id, execution_id = instance.instance_id, instance.execution_id
        self.tracker.begin()
        task = asyncio.get_running_loop().create_task(
            self._run_activity(instance_id, execution_id, task_id, name, payload)
        )
        self._activity_tasks.add(task)
        task.add_done_callback(self._activity_tasks.discard)

    async def _run_activity(
        self, instance_id: str, execution_id: str, task_id: int, name: str, payload: str | None
    ) -> None:
        try:
            async with self._activity_slots:
                message = await self._activity_outcome(task_id, name, payload)
            self._deliver_to(instance_id, execution_id, message)
        finally:
            self.tracker.end()

    async def _activity_outcome(self, task_id: int, name: str, payload: str | None) -> Event:
        try:
            if name == BUILTIN_HTTP_ACTIVITY:
                result = await run_builtin_http(json.loads(payload or "{}"))
            else:
                function = self.index.activities[name]
                result = await run_activity(function, payload, self._activity_pool, self.app_dir)
        except ActivityError as exc:
            return event(
                EventType.TASK_FAILED,
                self.clock.now(),
                TaskScheduledId=task_id,
                Reason=exc.reason,
                Details=exc.details,
                FailureDetails=None,
            )
        except Exception as exc:
            return event(
                EventType.TASK_FAILED,
                self.clock.now(),
                TaskScheduledId=task_id,
                Reason=f"Activity function '{name}' failed:  {type(exc).__name__}: {exc}",
                Details=None,
                FailureDetails=None,
            )
        return event(
            EventType.TASK_COMPLETED, self.clock.now(), TaskScheduledId=task_id, Result=result
        )

    # ------------------------------------------------------------------ timers

    def _arm_timer(
        self, instance: Instance, timer_id: int, fire_at: datetime, stamp: datetime
    ) -> None:
        """Arm a timer created by the episode stamped ``stamp``.

        It is due when the clock has moved as far past its reading at that episode as FireAt
        is past the stamp: the stamp's nudge ahead of the clock (a few microseconds on a
        paused virtual clock) is not waited for, so advancing a paused clock by exactly an
        orchestration's delay fires it. Never later than FireAt.
        """
        if instance.status.is_terminal:
            return
        due = min(fire_at, self.clock.now() + (fire_at - stamp))
        armed = ArmedTimer(fire_at, due)
        instance.timers[timer_id] = armed
        self._mark_dirty(instance)
        self._push_timer(instance, timer_id, armed)

    def _push_timer(self, instance: Instance, timer_id: int, armed: ArmedTimer) -> None:
        timer = _Timer(
            armed.due,
            next(self._timer_seq),
            armed.fire_at,
            instance.instance_id,
            instance.execution_id,
            timer_id,
        )
        heapq.heappush(self._timers, timer)
        self.tracker.notify()

    def _timer_is_live(self, timer: _Timer) -> bool:
        instance = self.instances.get(timer.instance_id)
        return (
            instance is not None
            and instance.execution_id == timer.execution_id
            and instance.timers.get(timer.timer_id) == (timer.fire_at, timer.due)
            and not instance.status.is_terminal
        )

    def fire_due_timers(self) -> int:
        """Deliver ``TimerFired`` for every live timer due at the clock's now, in order."""
        now = self.clock.now()
        fired = 0
        while self._timers and self._timers[0].due <= now:
            timer = heapq.heappop(self._timers)
            if not self._timer_is_live(timer):
                continue
            instance = self.instances[timer.instance_id]
            del instance.timers[timer.timer_id]
            message = event(
                EventType.TIMER_FIRED,
                max(now, timer.fire_at),
                TimerId=timer.timer_id,
                FireAt=to_wire(timer.fire_at),
            )
            self._deliver(instance, message)
            fired += 1
        return fired

    async def _timer_loop(self) -> None:
        while not self._stopping:
            self.fire_due_timers()
            upcoming = self.next_timer()
            if self.clock.is_virtual:
                if upcoming is not None and not self.clock.paused and self.tracker.busy == 0:
                    self.clock.set_virtual(upcoming)
                    await asyncio.sleep(0)
                    continue
                await self.tracker.changed()
            else:
                delay = None if upcoming is None else self.clock.real_seconds_until(upcoming)
                await self.tracker.changed(within=delay)

    # ------------------------------------------------------------------ entities

    def enqueue_entity(self, name: str, key: str, request: EntityRequest) -> None:
        """Queue an operation (call or signal) for an entity, creating its record if needed."""
        entity_id = entity_instance_id(name, key)
        record = self.entities.get(entity_id)
        if record is None:
            record = EntityRecord(entity_id=entity_id, name=name.lower(), key=key)
            self.entities[entity_id] = record
        record.queue_seq += 1
        request.seq = record.queue_seq
        record.queue.append(request)
        self.store.write(persistence.save_entity(record))
        self.store.write(persistence.add_entity_request(entity_id, request))
        self._schedule_entity(record)

    def _schedule_entity(self, record: EntityRecord) -> None:
        if record.queued or record.running or not record.queue or self._stopping:
            return
        record.queued = True
        self.tracker.begin()
        self._entity_ready.put_nowait(record.entity_id)

    async def _entity_worker(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            entity_id = await self._entity_ready.get()
            record = self.entities[entity_id]
            record.queued = False
            record.running = True
            try:
                await self._run_entity_batch(loop, record)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("internal error in a batch of entity %s", entity_id)
            finally:
                record.running = False
                self._schedule_entity(record)
                self.tracker.end()

    async def _run_entity_batch(
        self, loop: asyncio.AbstractEventLoop, record: EntityRecord
    ) -> None:
        batch = record.queue[:MAX_ENTITY_BATCH]
        function = self.index.entity(record.name)
        results: list[tuple[bool, str]]
        if function is None:
            message = not_found_message(record.name, "entity", list(self.index.entities))
            results = [(True, json.dumps(message))] * len(batch)
        else:
            context = json.dumps(
                {
                    "self": {"name": record.name, "key": record.key},
                    "exists": record.exists,
                    "state": record.state,
                    "batch": [
                        {"name": r.operation, "input": r.input, "isSignal": r.is_signal}
                        for r in batch
                    ],
                }
            )
            try:
                state = await loop.run_in_executor(self._entity_pool, run_entity, function, context)
                results = [
                    (bool(r.get("isError")), str(r.get("result"))) for r in state.get("results", [])
                ]
                record.exists = bool(state.get("entityExists"))
                record.state = state.get("entityState") if record.exists else None
            except Exception as exc:
                log.exception("entity %s failed its batch", record.entity_id)
                results = [(True, json.dumps(str(exc)))] * len(batch)
        del record.queue[: len(batch)]
        record.updated = self.clock.now()
        self.store.write(persistence.save_entity(record))
        self.store.write(
            persistence.remove_entity_requests(record.entity_id, [r.seq for r in batch])
        )
        for request, (is_error, result) in zip(batch, results, strict=False):
            if request.is_signal or request.parent_instance is None:
                continue
            response: dict[str, Any] = {"result": result}
            if is_error:
                response["exceptionType"] = "Error"
            self._deliver_to(
                request.parent_instance,
                request.parent_execution,
                event(
                    EventType.EVENT_RAISED,
                    self.clock.now(),
                    Name=request.request_id,
                    Input=json.dumps(response),
                ),
            )

    def entity_state(self, name: str, key: str) -> EntityRecord | None:
        """The entity if it exists (has state)."""
        record = self.entities.get(entity_instance_id(name, key))
        return record if record is not None and record.exists else None


class _NonDeterminism(Exception):
    """The replay asked for different steps than the history holds."""


def _family(step: Step) -> Step:
    """Retry and non-retry variants of a call are the same step for determinism checks."""
    if step.action_type is ActionType.CALL_ACTIVITY_WITH_RETRY:
        return Step(ActionType.CALL_ACTIVITY, step.target)
    if step.action_type is ActionType.CALL_SUB_ORCHESTRATOR_WITH_RETRY:
        return Step(ActionType.CALL_SUB_ORCHESTRATOR, step.target)
    return step
