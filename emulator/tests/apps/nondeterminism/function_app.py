"""Fixture: an orchestrator whose code path changes between replays (deliberately broken)."""

import os
from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

app = df.DFApp()


@app.orchestration_trigger(context_name="context")
def fickle(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    step = "second_step" if os.environ.get("FICKLE_VARIANT") == "b" else "first_step"
    yield context.call_activity(step, None)
    yield context.wait_for_external_event("continue")
    return "finished"


@app.activity_trigger(input_name="ignored")
def first_step(ignored: object) -> str:
    return "one"


@app.activity_trigger(input_name="ignored")
def second_step(ignored: object) -> str:
    return "two"
