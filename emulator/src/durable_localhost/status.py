"""The status JSON of ``GET instances/{id}`` (``StatusResponsePayload``) and its history view."""

from __future__ import annotations

import json
from typing import Any

from durable_localhost.history import Event, EventType
from durable_localhost.model import Instance
from durable_localhost.timeutil import parse, to_status


def parse_json_text(text: str | None) -> Any:
    """The host shows JSON text parsed when it can, and as a plain string otherwise."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return text


def status_payload(
    instance: Instance,
    *,
    show_input: bool = True,
    history: list[Event] | None = None,
    show_history_output: bool = False,
) -> dict[str, Any]:
    """The status object; ``historyEvents`` only when a history is given."""
    payload: dict[str, Any] = {
        "name": instance.name,
        "instanceId": instance.instance_id,
        "runtimeStatus": str(instance.status),
        "input": parse_json_text(instance.input) if show_input else None,
        "customStatus": parse_json_text(instance.custom_status),
        "output": parse_json_text(instance.output),
        "createdTime": to_status(instance.created),
        "lastUpdatedTime": to_status(instance.updated),
    }
    if history is not None:
        payload["historyEvents"] = history_view(history, show_input, show_history_output)
    return payload


_FOLDED_COMPLETIONS = {
    EventType.TASK_COMPLETED,
    EventType.TASK_FAILED,
    EventType.SUB_ORCHESTRATION_COMPLETED,
    EventType.SUB_ORCHESTRATION_FAILED,
}
_HIDDEN = {
    EventType.ORCHESTRATOR_STARTED,
    EventType.ORCHESTRATOR_COMPLETED,
    EventType.TASK_SCHEDULED,
    EventType.SUB_ORCHESTRATION_CREATED,
}


def history_view(history: list[Event], show_input: bool, show_output: bool) -> list[dict[str, Any]]:
    """The host's summarized history: names instead of numbers, scheduling folded in."""
    scheduled = {
        e["EventId"]: e
        for e in history
        if e["EventType"] in (EventType.TASK_SCHEDULED, EventType.SUB_ORCHESTRATION_CREATED)
    }
    view: list[dict[str, Any]] = []
    for item in history:
        kind = EventType(item["EventType"])
        if kind in _HIDDEN:
            continue
        entry: dict[str, Any] = {"EventType": _pascal(kind), "Timestamp": item["Timestamp"]}
        if kind is EventType.EXECUTION_STARTED:
            entry["FunctionName"] = item.get("Name")
            if show_input:
                entry["Input"] = parse_json_text(item.get("Input"))
        elif kind in _FOLDED_COMPLETIONS:
            source = scheduled.get(item.get("TaskScheduledId"), {})
            entry["FunctionName"] = source.get("Name")
            entry["ScheduledTime"] = source.get("Timestamp")
            if kind in (EventType.TASK_FAILED, EventType.SUB_ORCHESTRATION_FAILED):
                entry["Reason"] = item.get("Reason")
                entry["Details"] = item.get("Details")
            elif show_output:
                entry["Result"] = parse_json_text(item.get("Result"))
        elif kind is EventType.EXECUTION_COMPLETED:
            entry["OrchestrationStatus"] = _status_name(item.get("OrchestrationStatus"))
            if show_output:
                entry["Result"] = parse_json_text(item.get("Result"))
        elif kind is EventType.TIMER_CREATED or kind is EventType.TIMER_FIRED:
            entry["FireAt"] = item.get("FireAt")
            if kind is EventType.TIMER_FIRED:
                entry["TimerId"] = item.get("TimerId")
        elif kind is EventType.EVENT_RAISED:
            entry["Name"] = item.get("Name")
            if show_input:
                entry["Input"] = parse_json_text(item.get("Input"))
        elif kind is EventType.EVENT_SENT:
            entry["Name"] = item.get("Name")
            entry["InstanceId"] = item.get("InstanceId")
        elif kind is EventType.EXECUTION_TERMINATED:
            entry["Input"] = item.get("Input")
        view.append(entry)
    return view


def _pascal(kind: EventType) -> str:
    names = {
        EventType.SUB_ORCHESTRATION_CREATED: "SubOrchestrationInstanceCreated",
        EventType.SUB_ORCHESTRATION_COMPLETED: "SubOrchestrationInstanceCompleted",
        EventType.SUB_ORCHESTRATION_FAILED: "SubOrchestrationInstanceFailed",
        EventType.GENERIC: "GenericEvent",
    }
    return names.get(kind) or "".join(p.title() for p in kind.name.split("_"))


def _status_name(code: Any) -> str:
    names = ["Running", "Completed", "ContinuedAsNew", "Failed", "Canceled", "Terminated"]
    return names[code] if isinstance(code, int) and 0 <= code < len(names) else str(code)


def created_time_arg(text: str | None) -> Any:
    """Parse a ``createdTimeFrom``/``createdTimeTo`` query value (None when absent)."""
    return parse(text) if text else None
