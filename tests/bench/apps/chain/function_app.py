"""Bench fixture: HTTP-free orchestrations whose cost is the host's and the SDK's, not the app's.

* ``chain5``: five sequential activities, each a trivial sync function (the throughput bench).
* ``long_chain``: ``{"steps": n}`` sequential calls of one activity (builds long histories for
  the replay bench; each step adds OrchestratorStarted, TaskCompleted, TaskScheduled and
  OrchestratorCompleted).
"""

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

app = df.DFApp()

CHAIN_STEPS = ("chain_step_1", "chain_step_2", "chain_step_3", "chain_step_4", "chain_step_5")


@app.orchestration_trigger(context_name="context")
def chain5(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    value = context.get_input()
    for step in CHAIN_STEPS:
        value = yield context.call_activity(step, value)
    return value


@app.orchestration_trigger(context_name="context")
def long_chain(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    steps = int(dict(context.get_input() or {})["steps"])
    total = 0
    for index in range(steps):
        total += yield context.call_activity("chain_tick", index)
    return total


def _step(value: int) -> int:
    return value + 1


@app.activity_trigger(input_name="value")
def chain_step_1(value: int) -> int:
    return _step(value)


@app.activity_trigger(input_name="value")
def chain_step_2(value: int) -> int:
    return _step(value)


@app.activity_trigger(input_name="value")
def chain_step_3(value: int) -> int:
    return _step(value)


@app.activity_trigger(input_name="value")
def chain_step_4(value: int) -> int:
    return _step(value)


@app.activity_trigger(input_name="value")
def chain_step_5(value: int) -> int:
    return _step(value)


@app.activity_trigger(input_name="value")
def chain_tick(value: int) -> int:
    return 1
