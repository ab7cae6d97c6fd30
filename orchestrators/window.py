"""A sliding window for orchestrators: run many small workflows, at most `limit` at a time.

Each job is a generator that yields one durable task at a time (an activity, a retry timer,
a sub-orchestration) and returns its result, e.g. `call_activity_with_backoff(...)`. The
window starts jobs until `limit` of them wait on a task, then waits for *any* of those tasks
with `task_any`, hands the winner's outcome back to its job (its result, or its exception
thrown in), and refills the freed slot from the queue. So:

- at most `limit` tasks are ever scheduled and unresolved, whatever the jobs do;
- a failing job does not stop the others: a job decides what a failure means (retry it,
  report it) and only an exception escaping a job ends the window.

SDK semantics this relies on (azure-functions-durable 1.7.0, `models/Task.py`): `task_any`
over tasks that are already scheduled emits no new actions, only the new ones; each task
reports to the most recent compound task that contains it; a `task_any` built over a set
that already holds a completed task resolves at once. Every wait here is over the complete
set of unresolved tasks, so each completion event wakes the orchestrator exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from typing import Any, TypeVar

import azure.durable_functions as df
from azure.durable_functions.models.Task import TaskBase

R = TypeVar("R")
Job = Generator[TaskBase, Any, R]


def run_windowed(
    context: df.DurableOrchestrationContext,
    jobs: Iterable[Job[R]],
    limit: int,
    on_done: Callable[[int, R], None] | None = None,
) -> Generator[TaskBase, Any, list[R]]:
    """Run `jobs` with at most `limit` outstanding tasks; return their results in job order.

    `on_done(index, result)` is called as each job finishes (e.g. to update custom status).
    Jobs are pulled from `jobs` lazily, so a generator of jobs costs nothing up front.
    """
    if limit < 1:
        raise ValueError("the window needs at least one slot")
    queue = iter(enumerate(jobs))
    waiting: dict[TaskBase, tuple[int, Job[R]]] = {}
    results: dict[int, R] = {}

    def advance(index: int, job: Job[R], value: Any = None, error: Exception | None = None) -> None:
        try:
            task = job.send(value) if error is None else job.throw(error)
        except StopIteration as finished:
            results[index] = finished.value
            if on_done is not None:
                on_done(index, finished.value)
            return
        if task in waiting:
            raise RuntimeError(f"job {index} yielded a task another job is waiting on")
        waiting[task] = (index, job)

    def refill() -> None:
        while len(waiting) < limit:
            queued = next(queue, None)
            if queued is None:
                return
            advance(*queued)

    refill()
    while waiting:
        winner = yield context.task_any(list(waiting))
        index, job = waiting.pop(winner)
        error = failure_of(winner)
        advance(index, job, None if error is not None else winner.result, error)
        refill()
    return [results[index] for index in sorted(results)]


def failure_of(task: Any) -> Exception | None:
    """The exception a completed task failed with, or None if it succeeded.

    A failed SDK task holds its exception as `result` (the SDK builds `Exception(reason)`);
    activities return JSON, never exception objects, so the check is unambiguous.
    """
    result = getattr(task, "result", None)
    return result if isinstance(result, Exception) else None
