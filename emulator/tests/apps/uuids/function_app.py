"""Fixture: replay-safe `new_uuid()` and `current_utc_datetime` across episodes and executions."""

from collections.abc import Generator
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

app = df.DFApp()


@app.orchestration_trigger(context_name="context")
def minter(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    """Mints a uuid, then one more after each of `steps` activities (one episode each)."""
    spec: dict[str, Any] = context.get_input() or {}
    uuids = [context.new_uuid()]
    times = [context.current_utc_datetime.isoformat()]
    for step in range(spec.get("steps", 0)):
        yield context.call_activity("echo", step)
        uuids.append(context.new_uuid())
        times.append(context.current_utc_datetime.isoformat())
    return {"uuids": uuids, "times": times}


@app.orchestration_trigger(context_name="context")
def generations(context: df.DurableOrchestrationContext) -> list[str] | None:
    """Continues as new `rounds` times at once, collecting each execution's first uuid."""
    state: dict[str, Any] = context.get_input() or {}
    seen = [*state["seen"], context.new_uuid()]
    if len(seen) > state["rounds"]:
        return seen
    context.continue_as_new({"rounds": state["rounds"], "seen": seen})
    return None


@app.orchestration_trigger(context_name="context")
def late_sleeper(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    """Sets an `hours` timer from current_utc_datetime only after `steps` activities."""
    spec: dict[str, Any] = context.get_input() or {}
    for step in range(spec["steps"]):
        yield context.call_activity("echo", step)
    started = context.current_utc_datetime
    yield context.create_timer(started + timedelta(hours=spec["hours"]))
    return (context.current_utc_datetime - started).total_seconds()


@app.activity_trigger(input_name="value")
def echo(value: Any) -> Any:
    return value
