"""In-memory records of orchestration instances and entities (persisted by ``store``)."""

from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from durable_localhost.actions import ActionType, Step
from durable_localhost.history import Event, encode_event
from durable_localhost.timeutil import parse, to_wire


class RuntimeStatus(enum.StrEnum):
    """The status names the SDK accepts (``OrchestrationRuntimeStatus``)."""

    RUNNING = "Running"
    COMPLETED = "Completed"
    CONTINUED_AS_NEW = "ContinuedAsNew"
    FAILED = "Failed"
    CANCELED = "Canceled"
    TERMINATED = "Terminated"
    PENDING = "Pending"
    SUSPENDED = "Suspended"

    @property
    def is_terminal(self) -> bool:
        """Completed, Failed, Terminated or Canceled."""
        return self in _TERMINAL


_TERMINAL = frozenset(
    {
        RuntimeStatus.COMPLETED,
        RuntimeStatus.FAILED,
        RuntimeStatus.TERMINATED,
        RuntimeStatus.CANCELED,
    }
)


@dataclass
class InboxItem:
    """A message waiting for the instance's next episode, with its persisted sequence number.

    ``encoded`` is the event's JSON text (``encode_event``), made once: the inbox row, the
    episode's context and the history row all use it.
    """

    seq: int
    event: Event
    encoded: str = ""

    def __post_init__(self) -> None:
        if not self.encoded:
            self.encoded = encode_event(self.event)


@dataclass
class ParentRef:
    """Where a sub-orchestration reports back."""

    instance_id: str
    execution_id: str
    task_id: int
    name: str
    version: str | None = None


@dataclass
class RetryGroup:
    """Host-side retry state of one ``call_*_with_retry`` (DTFx ``RetryInterceptor``)."""

    kind: str  # "activity" or "suborchestration"
    name: str
    input: str | None
    max_attempts: int
    first_interval_ms: int
    attempts: int
    current_id: int
    timer_id: int | None = None
    sub_instance_id: str | None = None
    version: str | None = None


class ArmedTimer(NamedTuple):
    """A live durable timer: its ``FireAt`` and the clock time at which it is delivered.

    ``due`` is ``FireAt`` minus how far the creating episode's stamp was ahead of the clock
    (see ``clock.StampSource``): a timer set for "now + 1 h" fires when the clock has moved 1 h,
    even if the stamp it was computed from had been nudged a few microseconds ahead. The episode
    that receives its ``TimerFired`` is still stamped at or after ``FireAt``.
    """

    fire_at: datetime
    due: datetime


@dataclass
class ScheduledStep:
    """The k-th ID-consuming user action of an execution and the event id it received."""

    event_id: int
    step: Step


@dataclass
class Instance:
    """One orchestration instance and its current execution."""

    instance_id: str
    name: str
    execution_id: str
    status: RuntimeStatus
    input: str | None
    created: datetime
    updated: datetime
    version: str | None = None
    output: str | None = None
    custom_status: str | None = None
    parent: ParentRef | None = None
    #: W3C ``traceparent`` of the start request, or of the parent orchestration (in memory).
    trace_parent: str | None = None
    history: list[Event] = field(default_factory=list)
    played_json: list[str] = field(default_factory=list)
    inbox: list[InboxItem] = field(default_factory=list)
    next_event_id: int = 0
    steps: list[ScheduledStep] = field(default_factory=list)
    retries: dict[int, RetryGroup] = field(default_factory=dict)
    timers: dict[int, ArmedTimer] = field(default_factory=dict)
    history_loaded: bool = True
    running: bool = False
    queued: bool = False
    pending_control: list[tuple[str, str]] = field(default_factory=list)
    #: Activities a rewind runs again once the wake-up episode has replayed (in memory: a
    #: restart's recovery dispatches every unanswered ``TaskScheduled`` anyway).
    rewound_activities: list[tuple[int, str, str | None]] = field(default_factory=list)
    inbox_seq: int = 0
    history_seq: int = 0

    def retry_for(self, event_id: int) -> RetryGroup | None:
        """The retry group whose current attempt or timer has this id."""
        return self.retries.get(event_id)

    def meta_json(self) -> str:
        """Everything about the execution that the history alone does not say."""
        return json.dumps(
            {
                "next_event_id": self.next_event_id,
                "steps": [[s.event_id, int(s.step.action_type), s.step.target] for s in self.steps],
                "retries": {str(k): asdict(v) for k, v in self.retries.items()},
                "timers": {
                    str(k): [to_wire(v.fire_at), to_wire(v.due)] for k, v in self.timers.items()
                },
                "inbox_seq": self.inbox_seq,
                "history_seq": self.history_seq,
                "pending_control": self.pending_control,
            }
        )

    def load_meta(self, text: str | None) -> None:
        """Inverse of :meth:`meta_json`."""
        if not text:
            return
        data: dict[str, Any] = json.loads(text)
        self.next_event_id = int(data.get("next_event_id", 0))
        self.steps = [
            ScheduledStep(int(e), Step(ActionType(int(t)), str(n))) for e, t, n in data["steps"]
        ]
        self.retries = {int(k): RetryGroup(**v) for k, v in data.get("retries", {}).items()}
        self.timers = {int(k): _armed_timer(v) for k, v in data.get("timers", {}).items()}
        self.inbox_seq = int(data.get("inbox_seq", 0))
        self.history_seq = int(data.get("history_seq", 0))
        self.pending_control = [(str(a), str(b)) for a, b in data.get("pending_control", [])]


def _armed_timer(saved: str | list[str]) -> ArmedTimer:
    """A persisted timer: ``[FireAt, due]``, or ``FireAt`` alone (state files before ``due``)."""
    if isinstance(saved, str):
        return ArmedTimer(parse(saved), parse(saved))
    fire_at, due = saved
    return ArmedTimer(parse(fire_at), parse(due))


@dataclass
class EntityRequest:
    """An operation waiting in an entity's queue."""

    operation: str
    input: str | None
    is_signal: bool
    request_id: str
    parent_instance: str | None = None
    parent_execution: str | None = None
    seq: int = 0

    def to_json(self) -> str:
        """Persisted form."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> EntityRequest:
        """Inverse of :meth:`to_json`."""
        return cls(**json.loads(text))


@dataclass
class EntityRecord:
    """One entity: its state (JSON text as the SDK returned it) and its queue."""

    entity_id: str  # "@name@key"
    name: str
    key: str
    exists: bool = False
    state: str | None = None
    updated: datetime | None = None
    queue: list[EntityRequest] = field(default_factory=list)
    running: bool = False
    queued: bool = False
    queue_seq: int = 0


def entity_instance_id(name: str, key: str) -> str:
    """``@name@key`` with the name lower-cased, as the host does."""
    return f"@{name.lower()}@{key}"


def split_entity_id(instance_id: str) -> tuple[str, str]:
    """Inverse of :func:`entity_instance_id`."""
    _, name, key = instance_id.split("@", 2)
    return name, key


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
