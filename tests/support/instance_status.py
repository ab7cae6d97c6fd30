"""What the Durable client returns for an instance, parsed from the host's JSON as the SDK does."""

from __future__ import annotations

from typing import Any

from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

CREATED = "2026-01-05T09:00:00Z"


def instance_status(
    instance_id: str, runtime: str = "Running", name: str | None = None, **fields: Any
) -> DurableOrchestrationStatus:
    """An existing instance of orchestrator `name`; `fields` adds input, customStatus, ..."""
    status: dict[str, Any] = {
        "instanceId": instance_id,
        "createdTime": CREATED,
        "runtimeStatus": runtime,
        **fields,
    }
    if name is not None:
        status["name"] = name
    return DurableOrchestrationStatus.from_json(status)


def no_instance() -> DurableOrchestrationStatus:
    """What the client returns when the host answers 404 (an empty body)."""
    return DurableOrchestrationStatus.from_json("")
