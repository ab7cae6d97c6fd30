"""How HTTP routes read an orchestration's status: status groups and typed status fields."""

from __future__ import annotations

from typing import Any, TypeVar

from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus
from azure.durable_functions.models.OrchestrationRuntimeStatus import OrchestrationRuntimeStatus
from pydantic import BaseModel, ValidationError

from shared.json_text import decode_json_text

M = TypeVar("M", bound=BaseModel)

#: Alive: a second singleton would run twice; a decision or stop event can still be delivered.
ACTIVE = frozenset(
    {
        OrchestrationRuntimeStatus.Pending,
        OrchestrationRuntimeStatus.Running,
        OrchestrationRuntimeStatus.Suspended,
        OrchestrationRuntimeStatus.ContinuedAsNew,
    }
)
#: Finished: the instance never changes again.
FINISHED = frozenset(
    {
        OrchestrationRuntimeStatus.Completed,
        OrchestrationRuntimeStatus.Failed,
        OrchestrationRuntimeStatus.Terminated,
        OrchestrationRuntimeStatus.Canceled,
    }
)
#: A repeated start request joins these instead of starting again; a failed or terminated
#: instance is started again under its id (its steps are idempotent).
JOINABLE = ACTIVE | {OrchestrationRuntimeStatus.Completed}


def runtime_status_name(status: DurableOrchestrationStatus) -> str:
    runtime = status.runtime_status
    return runtime.value if runtime is not None else "Unknown"


def status_field(model: type[M], value: Any) -> M | None:
    """A custom status or output as `model`; None when absent or not (yet) in that shape."""
    value = decode_json_text(value)
    if value is None:
        return None
    try:
        return model.model_validate(value)
    except ValidationError:
        return None
