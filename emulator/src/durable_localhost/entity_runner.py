"""Durable entities: per-entity queues of operations, run in batches one entity at a time.

An entity never runs two batches at once; answers to calls go back to the calling instance as
``EventRaised`` messages named by the request id, as the extension sends them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from durable_localhost import persistence
from durable_localhost.activity_runner import Turn
from durable_localhost.clock import Clock
from durable_localhost.episode_plan import not_found_message
from durable_localhost.functions import FunctionIndex
from durable_localhost.history import Event, EventType, event
from durable_localhost.invokers import run_entity
from durable_localhost.model import EntityRecord, EntityRequest, entity_instance_id
from durable_localhost.store import StateStore
from durable_localhost.tracker import BusyTracker
from durable_localhost.worker_threads import WorkerThreads

log = logging.getLogger("durable_localhost.engine")

MAX_ENTITY_BATCH = 100
DeliverTo = Callable[[str, str | None, Event], None]


class EntityRunner:
    """Every entity's record and queue, and the workers that run their batches."""

    def __init__(
        self,
        *,
        index: FunctionIndex,
        clock: Clock,
        tracker: BusyTracker,
        store: StateStore,
        max_concurrent: int,
        deliver_to: DeliverTo,
        stopping: Callable[[], bool],
        turn: Turn = nullcontext,
    ) -> None:
        self.index = index
        self.clock = clock
        self.tracker = tracker
        self.store = store
        self._deliver_to = deliver_to
        self._stopping = stopping
        self._turn = turn
        self.records: dict[str, EntityRecord] = {}
        self._ready: asyncio.Queue[str] = asyncio.Queue()
        self.pool = WorkerThreads(max_concurrent, "emulator-entity")

    def load(self, records: list[EntityRecord]) -> None:
        """Records read back from the state store."""
        for record in records:
            self.records[record.entity_id] = record

    def resume(self) -> None:
        """Schedule every entity that still has queued operations (after a restart)."""
        for record in self.records.values():
            self._schedule(record)

    def enqueue(self, name: str, key: str, request: EntityRequest) -> None:
        """Queue an operation (call or signal) for an entity, creating its record if needed."""
        entity_id = entity_instance_id(name, key)
        record = self.records.get(entity_id)
        if record is None:
            record = EntityRecord(entity_id=entity_id, name=name.lower(), key=key)
            self.records[entity_id] = record
        record.queue_seq += 1
        request.seq = record.queue_seq
        record.queue.append(request)
        self.store.write(persistence.save_entity(record))
        self.store.write(persistence.add_entity_request(entity_id, request))
        self._schedule(record)

    def state(self, name: str, key: str) -> EntityRecord | None:
        """The entity if it exists (has state)."""
        record = self.records.get(entity_instance_id(name, key))
        return record if record is not None and record.exists else None

    def existing(self) -> list[EntityRecord]:
        """Every entity that has state."""
        return [r for r in self.records.values() if r.exists]

    def _schedule(self, record: EntityRecord) -> None:
        if record.queued or record.running or not record.queue or self._stopping():
            return
        record.queued = True
        self.tracker.begin()
        self._ready.put_nowait(record.entity_id)

    async def worker(self) -> None:
        """Run batches of whichever entity is ready, one at a time."""
        while True:
            entity_id = await self._ready.get()
            record = self.records[entity_id]
            record.queued = False
            record.running = True
            try:
                async with self._turn():
                    await self._run_batch(record)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("internal error in a batch of entity %s", entity_id)
            finally:
                record.running = False
                self._schedule(record)
                self.tracker.end()

    async def _run_batch(self, record: EntityRecord) -> None:
        batch = record.queue[:MAX_ENTITY_BATCH]
        results = await self._results(record, batch)
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

    async def _results(
        self, record: EntityRecord, batch: list[EntityRequest]
    ) -> list[tuple[bool, str]]:
        """``(is_error, result)`` per operation; the record's state is updated on success."""
        function = self.index.entity(record.name)
        if function is None:
            message = not_found_message(record.name, "entity", list(self.index.entities))
            return [(True, json.dumps(message))] * len(batch)
        context = json.dumps(
            {
                "self": {"name": record.name, "key": record.key},
                "exists": record.exists,
                "state": record.state,
                "batch": [
                    {"name": r.operation, "input": r.input, "isSignal": r.is_signal} for r in batch
                ],
            }
        )
        try:
            state = await self.pool.call(run_entity, function, context)
            results = [
                (bool(r.get("isError")), str(r.get("result"))) for r in state.get("results", [])
            ]
            record.exists = bool(state.get("entityExists"))
            record.state = state.get("entityState") if record.exists else None
        except Exception as exc:
            log.exception("entity %s failed its batch", record.entity_id)
            results = [(True, json.dumps(str(exc)))] * len(batch)
        return results
