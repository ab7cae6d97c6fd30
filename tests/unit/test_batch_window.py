"""The sliding window: never more than `limit` unresolved tasks, whatever order they finish in."""

from __future__ import annotations

import random
from collections.abc import Generator
from typing import Any

import pytest
from pytest_mock import MockerFixture

from orchestrators.window import run_windowed
from tests.support.orchestration import FakeTask, OrchestrationDriver


def unique(tasks: list[FakeTask]) -> list[FakeTask]:
    """Each task once: a task waited on by several `task_any`s is listed by each of them."""
    return list({id(task): task for task in tasks}.values())


class WindowTracker:
    """A responder for `task_any` that completes a random child and checks the window.

    It keeps every task the orchestrator is waiting on: each `task_any` must list all of
    them again (a task left out would never be answered) and at most `limit` of them.
    """

    def __init__(self, limit: int, seed: int = 3, fail: set[Any] | None = None) -> None:
        self.limit = limit
        self.rng = random.Random(seed)
        self.unresolved: set[int] = set()
        self.widths: list[int] = []
        self.fail = fail or set()

    def __call__(self, task: FakeTask) -> Any:
        assert task.kind == "any", task
        children = {id(child) for child in task.children}
        assert self.unresolved <= children, "a waiting task was dropped from the window"
        self.unresolved = children
        self.widths.append(len(children))
        assert len(children) <= self.limit
        winner = self.rng.choice(task.children)
        self.unresolved.discard(id(winner))
        if winner.input in self.fail:
            return winner.resolved(RuntimeError(f"work {winner.input} failed"))
        return winner.resolved(winner.input * 10)


def _orchestrator(jobs_for: Any, limit: int, done: list[tuple[int, Any]] | None = None) -> Any:
    def orchestrate(context: Any) -> Generator[Any, Any, Any]:
        on_done = (lambda i, r: done.append((i, r))) if done is not None else None
        return (yield from run_windowed(context, jobs_for(context), limit, on_done))

    return orchestrate


def _work(context: Any, n: int) -> Generator[Any, Any, Any]:
    return (yield context.call_activity("work", n))


def test_the_window_fills_up_to_its_limit_and_never_beyond(mocker: MockerFixture) -> None:
    tracker = WindowTracker(limit=4)
    driver = OrchestrationDriver(
        mocker, _orchestrator(lambda ctx: (_work(ctx, n) for n in range(25)), 4)
    )

    results = driver.run(tracker)

    assert results == [n * 10 for n in range(25)]  # job order, not completion order
    assert max(tracker.widths) == 4
    assert tracker.widths[0] == 4  # it starts full
    assert tracker.widths[-3:] == [3, 2, 1]  # and drains at the end
    assert len(unique(driver.activities)) == 25


def test_jobs_are_created_only_when_a_slot_frees(mocker: MockerFixture) -> None:
    created: list[int] = []

    def jobs(context: Any) -> Generator[Any, None, None]:
        for n in range(10):
            created.append(n)
            yield _work(context, n)

    seen_at_first_wait: list[int] = []

    def respond(task: FakeTask) -> Any:
        if not seen_at_first_wait:
            seen_at_first_wait.extend(created)
        return task.children[0].resolved(task.children[0].input)

    OrchestrationDriver(mocker, _orchestrator(jobs, 3)).run(respond)

    assert seen_at_first_wait == [0, 1, 2]
    assert created == list(range(10))


def test_a_failed_task_goes_back_to_its_own_job(mocker: MockerFixture) -> None:
    def careful(context: Any, n: int) -> Generator[Any, Any, Any]:
        try:
            return (yield context.call_activity("work", n))
        except RuntimeError as exc:
            return f"job {n}: {exc}"

    tracker = WindowTracker(limit=2, fail={3, 5})
    driver = OrchestrationDriver(
        mocker, _orchestrator(lambda ctx: (careful(ctx, n) for n in range(6)), 2)
    )

    assert driver.run(tracker) == [0, 10, 20, "job 3: work 3 failed", 40, "job 5: work 5 failed"]


def test_a_job_can_wait_on_several_tasks_in_turn(mocker: MockerFixture) -> None:
    def two_steps(context: Any, n: int) -> Generator[Any, Any, Any]:
        first = yield context.call_activity("work", n)
        second = yield context.call_activity("work", first)
        return second

    driver = OrchestrationDriver(
        mocker, _orchestrator(lambda ctx: (two_steps(ctx, n) for n in range(1, 6)), 2)
    )

    assert driver.run(WindowTracker(limit=2)) == [n * 100 for n in range(1, 6)]
    assert len(unique(driver.activities)) == 10


def test_an_exception_escaping_a_job_ends_the_window(mocker: MockerFixture) -> None:
    tracker = WindowTracker(limit=3, fail={2})
    driver = OrchestrationDriver(
        mocker, _orchestrator(lambda ctx: (_work(ctx, n) for n in range(8)), 3)
    )

    with pytest.raises(RuntimeError, match="work 2 failed"):
        driver.run(tracker)


def test_jobs_that_finish_without_waiting_do_not_take_a_slot(mocker: MockerFixture) -> None:
    def maybe(context: Any, n: int) -> Generator[Any, Any, Any]:
        if n % 2:
            return "skipped"
        return (yield context.call_activity("work", n))

    done: list[tuple[int, Any]] = []
    tracker = WindowTracker(limit=2)
    driver = OrchestrationDriver(
        mocker, _orchestrator(lambda ctx: (maybe(ctx, n) for n in range(7)), 2, done)
    )

    results = driver.run(tracker)

    assert results == [0, "skipped", 20, "skipped", 40, "skipped", 60]
    assert sorted(done) == list(enumerate(results))
    assert tracker.widths[0] == 2


def test_no_jobs_yields_nothing(mocker: MockerFixture) -> None:
    driver = OrchestrationDriver(mocker, _orchestrator(lambda ctx: iter(()), 4))

    assert driver.run(lambda task: pytest.fail("nothing to wait for")) == []


def test_a_window_needs_a_slot(mocker: MockerFixture) -> None:
    driver = OrchestrationDriver(mocker, _orchestrator(lambda ctx: iter(()), 0))

    with pytest.raises(ValueError, match="at least one slot"):
        driver.run(lambda task: None)
