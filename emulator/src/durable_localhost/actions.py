"""The SDK's actions (``OrchestratorState.actions``), flattened in the order they are numbered."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


class ActionType(enum.IntEnum):
    """``actionType`` values of SDK 1.7.0 (``models/actions/ActionType.py``)."""

    CALL_ACTIVITY = 0
    CALL_ACTIVITY_WITH_RETRY = 1
    CALL_SUB_ORCHESTRATOR = 2
    CALL_SUB_ORCHESTRATOR_WITH_RETRY = 3
    CONTINUE_AS_NEW = 4
    CREATE_TIMER = 5
    WAIT_FOR_EXTERNAL_EVENT = 6
    CALL_ENTITY = 7
    CALL_HTTP = 8
    SIGNAL_ENTITY = 9
    SCHEDULED_SIGNAL_ENTITY = 10
    WHEN_ANY = 11
    WHEN_ALL = 12


#: Actions that take the next sequence number (DTFx ``idCounter`` / SDK ``_sequence_number``).
ID_CONSUMING = frozenset(
    {
        ActionType.CALL_ACTIVITY,
        ActionType.CALL_ACTIVITY_WITH_RETRY,
        ActionType.CALL_SUB_ORCHESTRATOR,
        ActionType.CALL_SUB_ORCHESTRATOR_WITH_RETRY,
        ActionType.CREATE_TIMER,
        ActionType.CALL_ENTITY,
        ActionType.CALL_HTTP,
        ActionType.SIGNAL_ENTITY,
    }
)

_COMPOUND = frozenset({ActionType.WHEN_ANY, ActionType.WHEN_ALL})


@dataclass(frozen=True)
class Step:
    """One ID-consuming action, as materialized in the history."""

    action_type: ActionType
    target: str

    def describe(self) -> str:
        """Human-readable ``CallActivity 'name'`` for non-determinism errors."""
        label = "".join(part.title() for part in self.action_type.name.split("_"))
        return f"{label} '{self.target}'" if self.target else label


def iter_atomic(actions: Any) -> Iterator[dict[str, Any]]:
    """Depth-first over every non-compound action, in list order (V1 or V2/V3 shapes)."""
    for item in actions or []:
        if isinstance(item, list):
            yield from iter_atomic(item)
        elif isinstance(item, dict):
            kind = item.get("actionType")
            if kind in _COMPOUND:
                yield from iter_atomic(item.get("compoundActions"))
            else:
                yield item


def step_of(action: dict[str, Any]) -> Step:
    """The comparable identity of an action: its type and target name."""
    kind = ActionType(int(action["actionType"]))
    if kind in (ActionType.CALL_ENTITY, ActionType.SIGNAL_ENTITY):
        target = f"{action.get('instanceId')}:{action.get('operation')}"
    elif kind is ActionType.CALL_HTTP:
        request = action.get("httpRequest") or {}
        target = f"{request.get('method')} {request.get('uri')}"
    elif kind is ActionType.CREATE_TIMER:
        target = ""
    else:
        target = str(action.get("functionName") or "")
    return Step(kind, target)


def consumes_id(action: dict[str, Any]) -> bool:
    """Whether the action takes a sequence number."""
    try:
        return ActionType(int(action.get("actionType", -1))) in ID_CONSUMING
    except ValueError:
        return False
