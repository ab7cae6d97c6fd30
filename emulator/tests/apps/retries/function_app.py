"""Fixture: call_activity_with_retry, retried by the host with the final dummy timer."""

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

app = df.DFApp()

ATTEMPTS: dict[str, int] = {}


@app.orchestration_trigger(context_name="context")
def retrying(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    options = df.RetryOptions(first_retry_interval_in_milliseconds=5000, max_number_of_attempts=2)
    spec: dict[str, Any] = context.get_input() or {}
    failures_wanted = spec["fail_times"]
    try:
        result = yield context.call_activity_with_retry("flaky", options, failures_wanted)
    except Exception as exc:
        result = f"gave up: {str(exc).splitlines()[0]}"
    after = yield context.call_activity("after", None)
    return {"result": result, "after": after}


@app.activity_trigger(input_name="fail_times")
def flaky(fail_times: int) -> str:
    key = f"flaky-{fail_times}"
    ATTEMPTS[key] = ATTEMPTS.get(key, 0) + 1
    if ATTEMPTS[key] <= fail_times:
        raise ValueError(f"attempt {ATTEMPTS[key]} failed")
    return f"succeeded on attempt {ATTEMPTS[key]}"


@app.activity_trigger(input_name="ignored")
def after(ignored: object) -> str:
    return "after"
