"""Drive an orchestrator generator against a mocked orchestration context.

The context is `mocker.create_autospec(DurableOrchestrationContext)`, so calling a method the
SDK does not have fails the test. Each scheduling call returns a `FakeTask` that records what
was asked; a test supplies a *responder* that decides each yielded task's outcome (return a
value, raise an exception, or for `task_any` pick the winning child). Timers move the mocked
clock to their fire time, so backoff and deadline arithmetic is observable.

    driver = OrchestrationDriver(mocker, orchestrator_function(onboarding.onboard_customer),
                                 input={"email": "ada@example.com", "name": "Ada"})
    output = driver.run(lambda task: {"customerId": "c1"} if task.kind == "activity" else None)
    assert [t.name for t in driver.activities] == [...]
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import azure.durable_functions as df
from pytest_mock import MockerFixture

TaskKind = Literal[
    "activity", "timer", "event", "sub_orchestrator", "entity_call", "entity_signal", "any", "all"
]
DEFAULT_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass(eq=False)
class FakeTask:
    """What an orchestrator scheduled. Compare by identity, as the SDK's tasks are."""

    kind: TaskKind
    name: str | None = None
    input: Any = None
    fire_at: datetime | None = None
    instance_id: str | None = None
    operation: str | None = None
    children: list[FakeTask] = field(default_factory=list)
    result: Any = None
    is_cancelled: bool = False

    def cancel(self) -> None:
        if self.kind != "timer":
            raise AssertionError("only timers can be cancelled")
        self.is_cancelled = True

    def resolved(self, value: Any = None) -> FakeTask:
        """Mark as the winner of a `task_any` with `value` as its result."""
        self.result = value
        return self

    def child(self, kind: TaskKind, name: str | None = None) -> FakeTask:
        """The first child of a compound task with this kind (and name)."""
        for task in self.children:
            if task.kind == kind and (name is None or task.name == name):
                return task
        raise AssertionError(f"no {kind} {name or ''} among {self.children}")

    def __repr__(self) -> str:
        detail = self.name or (self.fire_at.isoformat() if self.fire_at else "")
        if self.children:
            detail = ", ".join(repr(c) for c in self.children)
        return f"<{self.kind} {detail}>"


Responder = Callable[[FakeTask], Any]
_NOT_CONTINUED = object()


class OrchestrationDriver:
    """Runs one orchestrator function to completion against a mocked context."""

    def __init__(
        self,
        mocker: MockerFixture,
        orchestrator: Callable[[df.DurableOrchestrationContext], Any],
        input: Any = None,
        *,
        instance_id: str = "test-instance",
        start: datetime = DEFAULT_START,
        version: str | None = None,
    ) -> None:
        self.now = start
        self.input = input
        self.instance_id = instance_id
        self.version = version
        self.custom_statuses: list[Any] = []
        self.signals: list[FakeTask] = []
        self.yielded: list[FakeTask] = []
        self.continued_with: Any = _NOT_CONTINUED
        self._uuids = (uuid.UUID(int=n) for n in itertools.count(1))
        self.context = self._mock_context(mocker)
        self._orchestrator = orchestrator

    # --- what the orchestrator did ------------------------------------------------------

    @property
    def activities(self) -> list[FakeTask]:
        """Every activity the orchestrator yielded, including those inside task_all/any."""
        return [t for t in self._atomic_yielded() if t.kind == "activity"]

    @property
    def timers(self) -> list[FakeTask]:
        return [t for t in self._atomic_yielded() if t.kind == "timer"]

    @property
    def continued_as_new(self) -> bool:
        return self.continued_with is not _NOT_CONTINUED

    @property
    def custom_status(self) -> Any:
        return self.custom_statuses[-1] if self.custom_statuses else None

    def _atomic_yielded(self) -> Iterable[FakeTask]:
        for task in self.yielded:
            yield from (task.children if task.kind in ("any", "all") else [task])

    # --- running ------------------------------------------------------------------------

    def run(self, respond: Responder, max_steps: int = 100_000) -> Any:
        """Run to completion; return the orchestrator's output (or raise its exception)."""
        result = self._orchestrator(self.context)
        if not isinstance(result, Generator):
            return result
        generator: Generator[FakeTask, Any, Any] = result
        try:
            task = next(generator)
            for _ in range(max_steps):
                self.yielded.append(task)
                try:
                    value = self._resolve(task, respond)
                except Exception as exc:  # the orchestrator sees the task's failure
                    task = generator.throw(exc)
                else:
                    task = generator.send(value)
            raise AssertionError(f"orchestrator still running after {max_steps} tasks")
        except StopIteration as stop:
            return stop.value

    def _resolve(self, task: FakeTask, respond: Responder) -> Any:
        if not isinstance(task, FakeTask):
            raise AssertionError(f"orchestrator yielded {task!r}, not a durable task")
        outcome = respond(task)
        if task.kind == "any":
            if not isinstance(outcome, FakeTask) or outcome not in task.children:
                raise AssertionError("a task_any responder must return one of task.children")
            self._advance_for(outcome)
            return outcome
        self._advance_for(task)
        task.result = outcome
        return outcome

    def _advance_for(self, task: FakeTask) -> None:
        timers = [task] if task.kind == "timer" else [c for c in task.children if c.kind == "timer"]
        for timer in timers:
            if timer.fire_at is not None and timer.fire_at > self.now:
                self.now = timer.fire_at
        self.context.current_utc_datetime = self.now

    # --- the mocked context --------------------------------------------------------------

    def _mock_context(self, mocker: MockerFixture) -> Any:
        context = mocker.create_autospec(df.DurableOrchestrationContext, instance=True)
        context.instance_id = self.instance_id
        context.version = self.version
        context.current_utc_datetime = self.now
        context.is_replaying = False
        context.parent_instance_id = None
        context.get_input.side_effect = lambda: self.input
        context.call_activity.side_effect = lambda name, input_=None: FakeTask(
            "activity", name=name, input=input_
        )
        context.create_timer.side_effect = lambda fire_at: FakeTask("timer", fire_at=fire_at)
        context.wait_for_external_event.side_effect = lambda name: FakeTask("event", name=name)
        context.call_sub_orchestrator.side_effect = lambda name, input_=None, instance_id=None: (
            FakeTask("sub_orchestrator", name=name, input=input_, instance_id=instance_id)
        )
        context.call_entity.side_effect = lambda entity_id, operation, input_=None: FakeTask(
            "entity_call", name=str(entity_id), operation=operation, input=input_
        )
        context.signal_entity.side_effect = self._signal
        context.task_any.side_effect = lambda tasks: FakeTask("any", children=list(tasks))
        context.task_all.side_effect = lambda tasks: FakeTask("all", children=list(tasks))
        context.set_custom_status.side_effect = self.custom_statuses.append
        context.continue_as_new.side_effect = self._continue_as_new
        context.new_uuid.side_effect = lambda: str(next(self._uuids))
        context.call_activity_with_retry.side_effect = _forbidden("call_activity_with_retry")
        context.call_http.side_effect = _forbidden("call_http")
        return context

    def _signal(self, entity_id: Any, operation: str, input_: Any = None) -> None:
        self.signals.append(
            FakeTask("entity_signal", name=str(entity_id), operation=operation, input=input_)
        )

    def _continue_as_new(self, input_: Any) -> None:
        self.continued_with = input_


def _forbidden(name: str) -> Callable[..., Any]:
    def fail(*_: Any, **__: Any) -> Any:
        raise AssertionError(f"{name} is not used by this app: use orchestrators.retry instead")

    return fail


def after(start: datetime = DEFAULT_START, **delta: float) -> datetime:
    """A time relative to the driver's default start, for readable timer assertions."""
    return start + timedelta(**delta)
