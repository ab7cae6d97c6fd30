"""Fixture: sub-orchestrations that succeed, fail, and fan out."""

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

app = df.DFApp()


@app.orchestration_trigger(context_name="context")
def parent(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
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
def child(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    spec: dict[str, Any] = context.get_input() or {}
    doubled = yield context.call_activity("double", spec["n"])
    if spec["fail"]:
        raise ValueError("child exploded")
    return doubled


@app.activity_trigger(input_name="n")
def double(n: int) -> int:
    return n * 2


ATTEMPTS: dict[str, int] = {}


@app.orchestration_trigger(context_name="context")
def retrying_parent(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    options = df.RetryOptions(first_retry_interval_in_milliseconds=1000, max_number_of_attempts=3)
    result = yield context.call_sub_orchestrator_with_retry("flaky_child", options, "k")
    return result


@app.orchestration_trigger(context_name="context")
def flaky_child(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    outcome = yield context.call_activity("count_attempt", context.get_input())
    if outcome < 2:
        raise ValueError(f"child attempt {outcome} failed")
    return f"child succeeded on attempt {outcome}"


@app.activity_trigger(input_name="key")
def count_attempt(key: str) -> int:
    ATTEMPTS[key] = ATTEMPTS.get(key, 0) + 1
    return ATTEMPTS[key]


@app.orchestration_trigger(context_name="context")
def status_setter(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    context.set_custom_status({"step": 1})
    yield context.call_activity("double", 1)
    context.set_custom_status({})  # falsy: the SDK leaves it out of its answer
    yield context.call_activity("double", 2)
    return "done"


@app.orchestration_trigger(context_name="context")
def waits_for_child(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    """Reports how its child ended: its result, or the failure text the SDK raised."""
    try:
        result = yield context.call_sub_orchestrator("waiting_child", None, "waiting-child")
    except Exception as exc:
        return {"failure": str(exc)}
    return {"result": result}


@app.orchestration_trigger(context_name="context")
def waiting_child(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    approved = yield context.wait_for_external_event("go")
    return approved
