"""Fixture: orchestrators that branch on ``context.version``, for the versioning tests.

``defaultVersion`` is 1.0 in host.json; the tests raise it with the app setting
``AzureFunctionsJobHost__extensions__durableTask__defaultVersion``, as a release does.
"""

from collections.abc import Generator
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

app = df.DFApp()


def _steps(context: df.DurableOrchestrationContext) -> list[str]:
    """The version branch: instances from before 2.0 keep the original step."""
    if context.version and context.version >= "2.0":
        return ["price_v2", "audit"]
    return ["price"]


@app.orchestration_trigger(context_name="context")
def stamped(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    done = []
    for step in _steps(context):
        done.append((yield context.call_activity(step, None)))
    return {"version": context.version, "steps": done}


@app.orchestration_trigger(context_name="context")
def approval(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    """Waits for its decision for up to three days, then runs its version's steps."""
    deadline: Any = context.create_timer(context.current_utc_datetime + timedelta(days=3))
    decision = context.wait_for_external_event("decision")
    winner = yield context.task_any([decision, deadline])
    if winner != decision:
        return {"version": context.version, "outcome": "expired"}
    deadline.cancel()
    done = []
    for step in _steps(context):
        done.append((yield context.call_activity(step, None)))
    return {"version": context.version, "decision": decision.result, "steps": done}


@app.orchestration_trigger(context_name="context")
def monitor(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    """Polls three times an hour apart; each poll runs its version's steps."""
    polls = []
    for _ in range(3):
        for step in _steps(context):
            polls.append((yield context.call_activity(step, None)))
        yield context.create_timer(context.current_utc_datetime + timedelta(hours=1))
    return {"version": context.version, "polls": polls}


@app.orchestration_trigger(context_name="context")
def eternal(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    """An hour per round, continuing as new until round 2: the version stays with the instance."""
    round_ = context.get_input() or 0
    yield context.create_timer(context.current_utc_datetime + timedelta(hours=1))
    if round_ < 2:
        context.continue_as_new(round_ + 1)
        return None
    return {"version": context.version, "round": round_}


@app.orchestration_trigger(context_name="context")
def parent(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    """Children: one on the default version, one on a version it names, one with retries."""
    retry = df.RetryOptions(first_retry_interval_in_milliseconds=1000, max_number_of_attempts=2)
    default = yield context.call_sub_orchestrator("child", None)
    named = yield context.call_sub_orchestrator("child", None, version="0.9")
    retried = yield context.call_sub_orchestrator_with_retry("child", retry, None, version="0.8")
    return {"version": context.version, "children": [default, named, retried]}


@app.orchestration_trigger(context_name="context")
def child(context: df.DurableOrchestrationContext) -> str | None:
    return context.version


@app.activity_trigger(input_name="ignored")
def price(ignored: object) -> str:
    return "price"


@app.activity_trigger(input_name="ignored")
def price_v2(ignored: object) -> str:
    return "price_v2"


@app.activity_trigger(input_name="ignored")
def audit(ignored: object) -> str:
    return "audit"


@app.route(route="start/{name}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start(req: Any, client: df.DurableOrchestrationClient) -> Any:
    """``?version=`` goes to ``start_new(..., version=)``; without it the default applies."""
    instance_id = await client.start_new(
        req.route_params["name"], None, None, version=req.params.get("version")
    )
    return client.create_check_status_response(req, instance_id)
