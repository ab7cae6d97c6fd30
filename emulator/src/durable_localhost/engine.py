"""The Durable engine: orchestration instances and their episodes, with its helpers put together.

Everything here runs on the emulator's event loop thread; only user code (orchestrator episodes,
entity batches, sync activities) runs on worker threads, and its results are applied back on the
loop. That keeps the state single-threaded without locks while the HTTP server stays responsive.
Episodes, timers, activities, entities and control operations each live in their own module;
what an episode's answer means is decided by the pure functions of ``episode_plan``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from durable_localhost import persistence
from durable_localhost.activity_runner import ActivityRunner
from durable_localhost.clock import Clock, StampSource
from durable_localhost.config import HostConfig
from durable_localhost.control import ControlOperations
from durable_localhost.effects import scheduled_payload
from durable_localhost.entity_runner import EntityRunner
from durable_localhost.episode_plan import UnknownFunctionError, not_found_message
from durable_localhost.episodes import EpisodeRunner
from durable_localhost.functions import FunctionIndex
from durable_localhost.history import (
    Event,
    EventType,
    encode_event,
    event,
    played_text,
)
from durable_localhost.ids import new_hex_id
from durable_localhost.lifecycle import (
    execution_completed_event,
    execution_started_event,
    parent_notification,
)
from durable_localhost.model import InboxItem, Instance, ListFilter, ParentRef, RuntimeStatus
from durable_localhost.overrides import ActivityOverrides
from durable_localhost.pacing import BackgroundPacing
from durable_localhost.shared_flush import SharedFlush
from durable_localhost.startup_checks import DEFAULT_FUNCTION_TIMEOUT
from durable_localhost.store import StateStore
from durable_localhost.timers import Timers
from durable_localhost.timeutil import parse, to_wire
from durable_localhost.trace_context import child_of
from durable_localhost.tracker import BusyTracker
from durable_localhost.versioning import VersionGate

log = logging.getLogger("durable_localhost.engine")

#: ``kv`` key of the highest timestamp issued by the engine's ``StampSource``.
LAST_STAMP_KEY = "engine.last_stamp"
#: ``kv`` key of a virtual clock's time when the engine stopped (advanced past every stamp).
VIRTUAL_NOW_KEY = "engine.virtual_now"


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
        activity_overrides: ActivityOverrides | None = None,
        function_timeout: timedelta | None = DEFAULT_FUNCTION_TIMEOUT,
        serial: bool = False,
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
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._dirty: dict[str, Instance] = {}
        self._flush_scheduled = False
        self._commit = SharedFlush(store.flush)
        store.at_turn_end(self._flush_dirty)
        # Serial runs take turns: one episode, activity or entity batch at a time, in the order
        # they became ready (asyncio.Lock wakes its waiters first come, first served).
        self._turns = asyncio.Lock() if serial else None
        self.pacing = BackgroundPacing()
        self.timers = Timers(clock, self.tracker, self.instances, self.deliver, self.mark_dirty)
        self.activities = ActivityRunner(
            index=index,
            clock=clock,
            tracker=self.tracker,
            app_dir=app_dir,
            max_concurrent=config.max_concurrent_activities,
            deliver_to=self.deliver_to,
            overrides=activity_overrides,
            function_timeout=function_timeout,
            turn=self.turn,
        )
        self.entities = EntityRunner(
            index=index,
            clock=clock,
            tracker=self.tracker,
            store=store,
            max_concurrent=config.max_concurrent_entities,
            deliver_to=self.deliver_to,
            stopping=lambda: self._stopping,
            turn=self.turn,
        )
        self.versions = VersionGate(config.versioning)
        self.control = ControlOperations(self)
        self.episodes = EpisodeRunner(self)

    def turn(self) -> AbstractAsyncContextManager[Any]:
        """Held while user code runs: a shared lock in serial runs, else paced behind requests."""
        return self._turns if self._turns is not None else self.pacing

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
        await self._resume_virtual_time()
        self.entities.load(entities)
        for _ in range(self.config.max_concurrent_orchestrators):
            self._tasks.append(asyncio.create_task(self.episodes.worker()))
        for _ in range(self.config.max_concurrent_entities):
            self._tasks.append(asyncio.create_task(self.entities.worker()))
        self._tasks.append(asyncio.create_task(self.timers.run(lambda: self._stopping)))
        for instance in instances:
            if not instance.status.is_terminal:
                self._recover(instance)
        self.entities.resume()

    async def stop(self) -> None:
        """Stop the workers, wait for running user code and flush state."""
        self._stopping = True
        self.tracker.notify()
        running = [*self._tasks, *self.activities.tasks]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        self._flush_dirty()
        for pool in (self.episodes.pool, self.entities.pool, self.activities.pool):
            pool.shutdown(wait=True, cancel_futures=True)
        if self.clock.is_virtual:
            self.store.write(persistence.raise_kv(VIRTUAL_NOW_KEY, to_wire(self.clock.now())))
        await self.store.flush()

    async def _resume_virtual_time(self) -> None:
        """Start a virtual clock no earlier than the latest time this state recorded.

        Time on one state only moves forward: an earlier ``--start-time`` is overridden, with a
        warning, rather than refused, so a run can be restarted with the same command line.
        """
        stopped = await self.store.read(lambda conn: persistence.read_kv(conn, VIRTUAL_NOW_KEY))
        self.stamps.raise_floor(parse(stopped) if stopped else None)
        requested = self.clock.now()
        if self.clock.resume_after(self.stamps.last) and self.clock.start_given:
            log.warning(
                "The virtual clock starts at %s, the latest time in the state, not at the "
                "requested start %s: time on one state only moves forward (use a new --state "
                "to start earlier).",
                to_wire(self.clock.now()),
                to_wire(requested),
            )

    def _recover(self, instance: Instance) -> None:
        """After a restart: re-arm timers and re-run activities whose results never arrived."""
        for timer_id, armed in instance.timers.items():
            self.timers.push(instance, timer_id, armed)
        answered = {
            e.get("TaskScheduledId")
            for e in [*instance.history, *(i.event for i in instance.inbox)]
            if e["EventType"] in (EventType.TASK_COMPLETED, EventType.TASK_FAILED)
        }
        for past in instance.history:
            if past["EventType"] == EventType.TASK_SCHEDULED and past["EventId"] not in answered:
                payload = scheduled_payload(past)
                self._dispatch_activity(instance, int(past["EventId"]), str(past["Name"]), payload)
        self.schedule(instance)

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
        """The clock time at which the earliest live timer fires."""
        return self.timers.next_due()

    def fire_due_timers(self) -> int:
        """Deliver ``TimerFired`` for every live timer due at the clock's now, in order."""
        return self.timers.fire_due()

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
        trace_parent: str | None = None,
    ) -> Instance:
        """Create (or overwrite) an instance and queue its ExecutionStarted.

        ``version`` is the one the start names; ``None`` stamps the host's ``defaultVersion``.
        A child orchestration joins its parent's trace; a started one, its starter's.
        """
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
            version=self.config.versioning.stamp(version),
            parent=parent,
            trace_parent=self._trace_of(parent) if parent else trace_parent,
        )
        self.instances[instance_id] = instance
        self.mark_dirty(instance)
        self.deliver(instance, execution_started_event(instance, now))
        return instance

    def _trace_of(self, parent: ParentRef) -> str | None:
        owner = self.instances.get(parent.instance_id)
        return owner.trace_parent if owner else None

    def _discard(self, instance: Instance) -> None:
        """Forget an instance's in-memory and persisted state before it is overwritten."""
        if instance.queued:
            instance.queued = False
            self.tracker.end()
        instance.timers.clear()
        instance.inbox.clear()
        instance.pending_control.clear()  # queued for an episode that no longer counts
        self.instances.pop(instance.instance_id, None)
        self.store.write(persistence.delete_instance(instance.instance_id))

    # ------------------------------------------------------------------ state

    def stamp(self, at_least: datetime | None = None) -> datetime:
        """The next strictly increasing timestamp, its high-water mark persisted first.

        Queued before the history that carries it, so it is committed no later than that
        history: after a restart every stamp still exceeds every persisted one, even those of
        instances purged meanwhile.
        """
        stamp = self.stamps.issue(at_least)
        self.store.write(persistence.raise_kv(LAST_STAMP_KEY, to_wire(stamp)))
        return stamp

    def mark_dirty(self, instance: Instance) -> None:
        """Save the instance row once at the end of this loop turn, however often it changed."""
        self._dirty[instance.instance_id] = instance
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_dirty)

    async def committed(self) -> None:
        """Wait until every change made so far is on disk, rows saved at the turn's end too.

        Callers in one loop turn (requests answered together) share one flush.
        """
        await self._commit()

    def _flush_dirty(self) -> None:
        self._flush_scheduled = False
        dirty, self._dirty = self._dirty, {}
        for instance_id, instance in dirty.items():
            if self.instances.get(instance_id) is instance:
                self.store.write(persistence.save_instance(instance))

    # ------------------------------------------------------------------ messages

    def deliver(self, instance: Instance, message: Event) -> None:
        """Queue a message for the instance's next episode (persisted first)."""
        instance.inbox_seq += 1
        item = InboxItem(instance.inbox_seq, message)
        instance.inbox.append(item)
        self.store.write(persistence.add_inbox(instance.instance_id, item))
        self.schedule(instance)

    def deliver_to(self, instance_id: str, execution_id: str | None, message: Event) -> None:
        """Deliver to a live instance of the given execution; drop it otherwise (as DTFx)."""
        instance = self.instances.get(instance_id)
        if instance is None or instance.status.is_terminal:
            return
        if execution_id is not None and instance.execution_id != execution_id:
            return
        self.deliver(instance, message)

    def raise_event(self, instance: Instance, name: str, input_json: str | None) -> None:
        """``EventRaised`` for a running (or suspended: queued) instance."""
        raised = event(EventType.EVENT_RAISED, self.clock.now(), Name=name, Input=input_json)
        self.deliver(instance, raised)

    def schedule(self, instance: Instance) -> None:
        """Queue the instance for an episode if it has messages and may run."""
        if (
            instance.queued
            or instance.running
            or not instance.inbox
            or instance.status is RuntimeStatus.SUSPENDED
            or instance.status.is_terminal
            or self._stopping
            or not self.versions.admits(instance.instance_id, instance.version)
        ):
            return
        instance.queued = True
        self.tracker.begin()
        self.episodes.ready.put_nowait(instance.instance_id)

    def _dispatch_activity(
        self, instance: Instance, task_id: int, name: str, payload: str | None
    ) -> None:
        self.activities.dispatch(
            instance.instance_id,
            instance.execution_id,
            task_id,
            name,
            payload,
            trace_parent=child_of(instance.trace_parent),
        )

    def commit_history(
        self,
        instance: Instance,
        appended: list[Event],
        batch: list[InboxItem],
        encoded: Sequence[str] = (),
    ) -> None:
        """Append events to the history and drop the inbox messages they consumed.

        ``encoded``: the texts of the first appended events, already made by ``encode_event``;
        the replay cache (``played_json``) grows from the same texts as the rows.
        """
        texts = [*encoded, *(encode_event(e) for e in appended[len(encoded) :])]
        first = instance.history_seq
        if len(instance.played_json) == len(instance.history):
            instance.played_json.extend(map(played_text, appended, texts))
        instance.history.extend(appended)
        instance.history_seq += len(appended)
        self.store.write(persistence.append_history(instance.instance_id, first, appended, texts))
        self.store.write(persistence.remove_inbox(instance.instance_id, [i.seq for i in batch]))
        self.mark_dirty(instance)

    # ------------------------------------------------------------------ completion

    def finish(
        self,
        instance: Instance,
        appended: list[Event],
        status: RuntimeStatus,
        output_json: str,
        now: datetime,
        batch: list[InboxItem] | None = None,
        encoded: Sequence[str] = (),
    ) -> None:
        """Complete, fail or terminate: record it, stop timers, tell the parent.

        ``output_json`` is JSON text: the output, or the failure/termination reason as a string;
        ``encoded`` as for :meth:`commit_history`.
        """
        if status is not RuntimeStatus.TERMINATED:
            completed = execution_completed_event(instance, status, output_json, now)
            appended = [*appended, completed]
        instance.status = status
        instance.output = output_json
        instance.updated = now
        instance.timers.clear()
        instance.retries.clear()
        dropped = [i.seq for i in instance.inbox]
        instance.inbox.clear()
        self.commit_history(instance, appended, batch or [], encoded)
        if dropped:
            self.store.write(persistence.remove_inbox(instance.instance_id, dropped))
        # Finished instances stay cold: the history is on disk for status queries.
        instance.played_json = []
        instance.history = []
        instance.history_loaded = False
        if instance.parent is not None:
            message = parent_notification(instance, status, now)
            self.deliver_to(instance.parent.instance_id, instance.parent.execution_id, message)

    def continue_as_new(self, instance: Instance, input_json: str | None, now: datetime) -> None:
        """New execution, same id; delivered-but-unconsumed events are dropped with the history.

        The status is Running at once: DTFx starts the next generation in the same work item,
        so the instance row never settles on ContinuedAsNew.
        """
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
        instance.status = RuntimeStatus.RUNNING
        instance.updated = now
        instance.inbox_seq += 1
        started = InboxItem(instance.inbox_seq, execution_started_event(instance, now))
        instance.inbox.insert(0, started)
        self.store.write(persistence.add_inbox(instance.instance_id, started))
        self.mark_dirty(instance)
