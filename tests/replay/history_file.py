"""Recorded histories on disk: `tests/replay/histories/<orchestrator>/<case>.json`.

One file per orchestration instance: what it is (orchestrator, case, instance id, version, the
app's `defaultVersion` when it was recorded) and the host's history of each of its executions
(several after `continue_as_new`), one event per line so that a re-recording diffs by event.
Events are the host's own JSON (PascalCase, integer `EventType`); the `#` key names the event
type for readers and is dropped before the history is sent to the SDK.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

HISTORIES: Final = Path(__file__).parent / "histories"
#: DTFx event type names (the SDK's `HistoryEventType`), for the `#` key and for messages.
EVENT_NAMES: Final = {
    0: "ExecutionStarted",
    1: "ExecutionCompleted",
    3: "ExecutionTerminated",
    4: "TaskScheduled",
    5: "TaskCompleted",
    6: "TaskFailed",
    7: "SubOrchestrationInstanceCreated",
    8: "SubOrchestrationInstanceCompleted",
    9: "SubOrchestrationInstanceFailed",
    10: "TimerCreated",
    11: "TimerFired",
    12: "OrchestratorStarted",
    13: "OrchestratorCompleted",
    14: "EventSent",
    15: "EventRaised",
    16: "ContinueAsNew",
    19: "ExecutionSuspended",
    20: "ExecutionResumed",
}
NOTE_KEY: Final = "#"

Event = dict[str, Any]


@dataclass(frozen=True)
class Execution:
    """One execution's history and how it ended (`Completed`, `ContinuedAsNew`, `Failed`...)."""

    events: list[Event]
    ending: str


@dataclass(frozen=True)
class RecordedInstance:
    orchestrator: str
    case: str
    description: str
    instance_id: str
    version: str
    default_version: str | None
    executions: list[Execution]
    path: Path | None = None

    @property
    def label(self) -> str:
        """`<orchestrator>/<case>`, as tests and messages name it."""
        return f"{self.orchestrator}/{self.case}"

    def to_text(self) -> str:
        """The file's text: stable key order, one history event per line."""
        header = {
            "orchestrator": self.orchestrator,
            "case": self.case,
            "description": self.description,
            "instanceId": self.instance_id,
            "version": self.version,
            "recordedWith": {"defaultVersion": self.default_version},
        }
        lines = ["{"]
        lines += [
            f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in header.items()
        ]
        lines.append('  "executions": [')
        for n, execution in enumerate(self.executions):
            lines.append(f'    {{"ending": {json.dumps(execution.ending)}, "events": [')
            events = [_annotated(e) for e in execution.events]
            lines += [f"      {e}," for e in events[:-1]] + [f"      {events[-1]}"]
            lines.append("    ]}" + ("," if n < len(self.executions) - 1 else ""))
        lines += ["  ]", "}", ""]
        return "\n".join(lines)


def _annotated(event: Event) -> str:
    named = {NOTE_KEY: EVENT_NAMES.get(event["EventType"], str(event["EventType"]))} | event
    return json.dumps(named, ensure_ascii=False, separators=(", ", ": "))


def load(path: Path) -> RecordedInstance:
    data = json.loads(path.read_text(encoding="utf-8"))
    return RecordedInstance(
        orchestrator=data["orchestrator"],
        case=data["case"],
        description=data["description"],
        instance_id=data["instanceId"],
        version=data["version"],
        default_version=data["recordedWith"]["defaultVersion"],
        executions=[
            Execution(
                events=[{k: v for k, v in e.items() if k != NOTE_KEY} for e in x["events"]],
                ending=x["ending"],
            )
            for x in data["executions"]
        ],
        path=path,
    )


def all_recorded(root: Path = HISTORIES) -> list[RecordedInstance]:
    """Every committed history, sorted by orchestrator and case."""
    return [load(path) for path in sorted(root.glob("*/*.json"))]
