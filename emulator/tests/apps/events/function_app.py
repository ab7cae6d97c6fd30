"""Fixture: external events, events raised before the wait, and task_any with timer cancel."""

import time
from collections.abc import Generator
from datetime import timedelta
from pathlib import Path
from typing import Any

import azure.durable_functions as df

app = df.DFApp()


@app.orchestration_trigger(context_name="context")
def approval(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    deadline = context.current_utc_datetime + timedelta(hours=72)
    timer: Any = context.create_timer(deadline)
    decision = context.wait_for_external_event("decision")
    winner = yield context.task_any([decision, timer])
    if winner == decision:
        timer.cancel()
        return {"outcome": "decided", "decision": decision.result}
    return {"outcome": "expired"}


@app.orchestration_trigger(context_name="context")
def late_waiter(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    yield context.call_activity("slow_step", None)
    yield context.create_timer(context.current_utc_datetime + timedelta(hours=1))
    first = yield context.wait_for_external_event("early")
    return first


@app.orchestration_trigger(context_name="context")
def waits_twice(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    yield context.create_timer(context.current_utc_datetime + timedelta(hours=1))
    first = yield context.wait_for_external_event("early")
    second = yield context.wait_for_external_event("early")
    return [first, second]


@app.activity_trigger(input_name="ignored")
def slow_step(ignored: object) -> str:
    return "done"


@app.orchestration_trigger(context_name="context")
def cancels_then_waits(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    timer: Any = context.create_timer(context.current_utc_datetime + timedelta(hours=1))
    first = context.wait_for_external_event("first")
    winner = yield context.task_any([first, timer])
    if winner == first:
        timer.cancel()
    second = yield context.wait_for_external_event("second")
    return {"first": first.result, "second": second}


@app.orchestration_trigger(context_name="context")
def gated(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    """Its episodes wait (a test's gate) until the file ``gate`` names exists."""
    spec: dict[str, str] = context.get_input() or {}
    while not Path(spec["gate"]).exists():
        time.sleep(0.01)
    yield context.create_timer(context.current_utc_datetime)
    return spec["gate"]
