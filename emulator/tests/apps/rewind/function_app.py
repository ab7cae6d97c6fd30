"""Fixture: orchestrations that fail until the cause is fixed (a marker file exists), to rewind."""

from collections.abc import Generator
from datetime import timedelta
from pathlib import Path
from typing import Any

import azure.durable_functions as df

app = df.DFApp()


def _input(context: df.DurableOrchestrationContext) -> dict[str, Any]:
    found: dict[str, Any] = context.get_input() or {}
    return found


@app.orchestration_trigger(context_name="context")
def chain(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    marker = _input(context)["marker"]
    first = yield context.call_activity("step", "one")
    second = yield context.call_activity("needs_fix", marker)
    return [first, second]


@app.orchestration_trigger(context_name="context")
def fan_out(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    markers: list[str] = _input(context)["markers"]
    results = yield context.task_all([context.call_activity("needs_fix", m) for m in markers])
    return results


@app.orchestration_trigger(context_name="context")
def retried(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    options = df.RetryOptions(first_retry_interval_in_milliseconds=1000, max_number_of_attempts=2)
    result = yield context.call_activity_with_retry("needs_fix", options, _input(context)["marker"])
    return result


@app.orchestration_trigger(context_name="context")
def parent(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    result = yield context.call_sub_orchestrator("chain", context.get_input(), "child-of-parent")
    return {"child": result}


@app.orchestration_trigger(context_name="context")
def with_timer(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    later = context.create_timer(context.current_utc_datetime + timedelta(hours=1))
    fixed = context.call_activity("needs_fix", _input(context)["marker"])
    results = yield context.task_all([fixed, later])
    return results[0]


@app.orchestration_trigger(context_name="context")
def compensates(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    try:
        yield context.call_activity("needs_fix", _input(context)["marker"])
    except Exception:
        yield context.call_activity("step", "undo")
        raise
    return "done"


@app.orchestration_trigger(context_name="context")
def raises(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    yield context.call_activity("step", "one")
    raise ValueError("a bug in the orchestrator")


@app.orchestration_trigger(context_name="context")
def waits(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    value = yield context.wait_for_external_event("go")
    return value


@app.activity_trigger(input_name="value")
def step(value: str) -> str:
    return f"did {value}"


@app.activity_trigger(input_name="marker")
def needs_fix(marker: str) -> str:
    if not Path(marker).exists():
        raise RuntimeError(f"not fixed yet: {Path(marker).name}")
    return f"fixed {Path(marker).name}"
