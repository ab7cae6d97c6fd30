"""Fixture: sub-orchestrations that succeed, fail, and fan out."""

from typing import Any

import azure.durable_functions as df

app = df.DFApp()


@app.orchestration_trigger(context_name="context")
def parent(context: df.DurableOrchestrationContext):
    ok = yield context.call_sub_orchestrator("child", {"fail": False, "n": 2})
    many = yield context.task_all(
        [context.call_sub_orchestrator("child", {"fail": False, "n": n}) for n in range(3)]
    )
    try:
        yield context.call_sub_orchestrator("child", {"fail": True, "n": 0}, "explicit-child")
        failure = None
    except Exception as exc:
        failure = str(exc)
    return {"ok": ok, "many": many, "failure": failure}


@app.orchestration_trigger(context_name="context")
def child(context: df.DurableOrchestrationContext):
    spec: dict[str, Any] = context.get_input() or {}
    doubled = yield context.call_activity("double", spec["n"])
    if spec["fail"]:
        raise ValueError("child exploded")
    return doubled


@app.activity_trigger(input_name="n")
def double(n: int) -> int:
    return n * 2
