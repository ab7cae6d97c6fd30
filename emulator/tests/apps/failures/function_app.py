"""Fixture: orchestrator errors, activity errors, unknown functions and custom status."""

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

app = df.DFApp()


@app.orchestration_trigger(context_name="context")
def explodes(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    context.set_custom_status({"phase": "before"})
    yield context.call_activity("fine", None)
    raise RuntimeError("orchestrator boom")


@app.orchestration_trigger(context_name="context")
def catches(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    try:
        yield context.call_activity("broken", "x")
    except Exception as exc:
        return str(exc)
    return "no error"


@app.orchestration_trigger(context_name="context")
def calls_missing(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    yield context.call_activity("does_not_exist", None)
    return "unreachable"


@app.orchestration_trigger(context_name="context")
def not_a_generator(context: df.DurableOrchestrationContext) -> str:
    name = str(context.get_input())
    return "plain " + name


@app.orchestration_trigger(context_name="context", orchestration="Renamed")
def renamed_orchestrator(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    value = yield context.call_activity("RenamedActivity", 2)
    return value


@app.activity_trigger(input_name="ignored")
def fine(ignored: object) -> str:
    return "fine"


@app.activity_trigger(input_name="value")
def broken(value: str) -> str:
    raise KeyError(f"missing {value}")


@app.activity_trigger(input_name="value", activity="RenamedActivity")
def renamed_activity(value: int) -> int:
    return value * 21
