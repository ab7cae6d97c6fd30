"""Fixture: functions that outlive a one-second functionTimeout, and one that does not."""

import asyncio
import threading
from collections.abc import Generator
from typing import Any

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

#: Set by the test when it is done: the timed-out threads then finish.
release = threading.Event()
HELD_SECONDS = 60


@app.route(route="start/{name}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    instance_id = await client.start_new(req.route_params["name"])
    return client.create_check_status_response(req, instance_id)


@app.route(route="slow")
def slow_http(req: func.HttpRequest) -> func.HttpResponse:
    release.wait(HELD_SECONDS)
    return func.HttpResponse("too late")


def _outcomes(
    context: df.DurableOrchestrationContext, activities: tuple[str, ...]
) -> Generator[Any, Any, list[Any]]:
    """Each activity's result, or its failure's text, in order."""
    outcomes = []
    for activity in activities:
        try:
            outcomes.append((yield context.call_activity(activity, None)))
        except Exception as error:
            outcomes.append(str(error))
    return outcomes


@app.orchestration_trigger(context_name="context")
def slow_then_fast(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    return (yield from _outcomes(context, ("hang", "hang_async", "quick")))


@app.activity_trigger(input_name="unused")
def hang(unused: Any) -> str:
    release.wait(HELD_SECONDS)
    return "too late"


@app.activity_trigger(input_name="unused")
async def hang_async(unused: Any) -> str:
    await asyncio.sleep(HELD_SECONDS)
    return "too late"


@app.activity_trigger(input_name="unused")
def quick(unused: Any) -> str:
    return "done"


@app.orchestration_trigger(context_name="context")
def own_timeouts(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    return (yield from _outcomes(context, ("raises_timeout", "raises_timeout_async")))


@app.activity_trigger(input_name="unused")
def raises_timeout(unused: Any) -> str:
    raise TimeoutError("the partner API did not answer")


@app.activity_trigger(input_name="unused")
async def raises_timeout_async(unused: Any) -> str:
    raise TimeoutError("the partner API did not answer")
