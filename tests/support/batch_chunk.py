"""A batch chunk's test world: items that follow a script of behaviours per attempt, and a
check of the chunk's window on every wait."""

from __future__ import annotations

import random
from typing import Any

from orchestrators import batch
from tests.support.functions import orchestrator_function
from tests.support.orchestration import FakeTask

chunk_orchestrator = orchestrator_function(batch.process_batch_chunk)

Behaviour = Any  # "ok" | "reject" | an exception to raise


class ChunkWorld:
    """Answers a chunk's tasks. Items follow a script of behaviours, one per attempt.

    For every `task_any` it checks the window: all unresolved tasks are waited on again,
    and never more than `limit` of them (activities plus the retry timers holding a slot).
    """

    def __init__(
        self,
        item_ids: list[str],
        limit: int,
        script: dict[str, list[Behaviour]] | None = None,
        seed: int = 11,
        recorded: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.item_ids = item_ids
        self.limit = limit
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.rng = random.Random(seed)
        self.recorded = recorded or {}
        self.unresolved: set[int] = set()
        self.max_activities_in_flight = 0
        self.attempts: dict[str, int] = {}
        self.record_requests: list[dict[str, Any]] = []
        self.list_requests: list[dict[str, Any]] = []
        self.list_failure: Exception | None = None
        self.record_failure: Exception | None = None

    def __call__(self, task: FakeTask) -> Any:
        if task.kind == "any":
            return self._any(task)
        if task.kind == "activity" and task.name == "list_batch_chunk_items":
            self.list_requests.append(task.input)
            if self.list_failure is not None:
                raise self.list_failure
            first = task.input["firstPosition"]  # positions index `item_ids`
            return {"itemIds": self.item_ids[first : first + task.input["count"]]}
        raise AssertionError(f"unexpected {task}")

    def _record(self, task: FakeTask) -> FakeTask:
        """`record_batch_item_failure`: the row the table holds after recording."""
        self.record_requests.append(task.input)
        if self.record_failure is not None:
            return task.resolved(self.record_failure)
        failure = task.input["failure"]
        row = {"itemId": failure["id"], "status": "failed"} | {
            k: failure[k] for k in ("code", "error")
        }
        return task.resolved(self.recorded.get(failure["id"], row))

    def _any(self, task: FakeTask) -> FakeTask:
        children = {id(child) for child in task.children}
        assert self.unresolved <= children, "a waiting task was dropped from the window"
        assert len(children) <= self.limit
        activities = sum(1 for child in task.children if child.kind == "activity")
        self.max_activities_in_flight = max(self.max_activities_in_flight, activities)
        self.unresolved = children
        winner = self.rng.choice(task.children)
        self.unresolved.discard(id(winner))
        if winner.kind == "timer":
            return winner.resolved(None)
        if winner.name == "record_batch_item_failure":
            return self._record(winner)
        assert winner.name in ("process_batch_item", "price_batch_item"), winner
        item_id = winner.input["itemId"]
        self.attempts[item_id] = self.attempts.get(item_id, 0) + 1
        steps = self.script.get(item_id) or ["ok"]
        behaviour = steps.pop(0) if len(steps) > 1 else steps[0]
        if behaviour == "ok":
            return winner.resolved({"itemId": item_id, "status": "processed"})
        if behaviour == "reject":
            return winner.resolved(
                {"itemId": item_id, "status": "failed", "code": "validation", "error": "bad"}
            )
        return winner.resolved(behaviour)


def chunk_input(item_count: int, max_parallel: int, chunk_index: int = 0) -> dict[str, Any]:
    return {
        "batchId": "b1",
        "chunkIndex": chunk_index,
        "firstPosition": 0,
        "itemCount": item_count,
        "maxParallel": max_parallel,
    }


def ids(count: int) -> list[str]:
    return [f"item-{n}" for n in range(count)]
