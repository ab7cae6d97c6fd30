"""Fixture: an eternal counter that continues as new, dropping events it did not consume."""

from collections.abc import Generator
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

app = df.DFApp()


@app.orchestration_trigger(context_name="context")
def eternal(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    state: dict[str, Any] = context.get_input() or {}
    if state["round"] >= state["rounds"]:
        return state
    yield context.create_timer(context.current_utc_datetime + timedelta(hours=1))
    state["round"] += 1
    context.continue_as_new(state)
    return None


@app.orchestration_trigger(context_name="context")
def consumer(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    state: dict[str, Any] = context.get_input() or {}
    # Wait for an unrelated event: "ping" events raised meanwhile are delivered, not consumed.
    yield context.wait_for_external_event("next")
    if state["round"] == 0:
        context.continue_as_new({"round": 1})
        return None
    first = context.wait_for_external_event("ping")
    timeout: Any = context.create_timer(context.current_utc_datetime + timedelta(hours=1))
    winner = yield context.task_any([first, timeout])
    if winner == first:
        timeout.cancel()
        return {"round": state["round"], "ping": first.result}
    return {"round": state["round"], "ping": None}


@app.orchestration_trigger(context_name="context")
def relay(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    """Hands ``{"send": x}`` on to its next generation as ``x``; that one reports what it got."""
    received = context.get_input()
    if isinstance(received, dict) and set(received) == {"send"}:
        context.continue_as_new(received["send"])
        return None
    yield context.create_timer(context.current_utc_datetime)
    return {"received": received}
