"""Fixture: ``call_http`` against an endpoint that answers 202 + Location until it is done."""

from collections.abc import Generator
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

app = df.DFApp()


@app.orchestration_trigger(context_name="context")
def call_once(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    spec: dict[str, str] = context.get_input() or {}
    response = yield context.call_http("POST", spec["url"])
    return {"status": response["statusCode"], "headers": response["headers"]}


@app.orchestration_trigger(context_name="context")
def follow_location(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    """The client side of the asynchronous HTTP pattern, written in the orchestrator."""
    spec: dict[str, str] = context.get_input() or {}
    response = yield context.call_http("POST", spec["url"])
    calls = 1
    while response["statusCode"] == 202 and "Location" in response["headers"]:
        wait = int(response["headers"].get("Retry-After", "30"))
        yield context.create_timer(context.current_utc_datetime + timedelta(seconds=wait))
        response = yield context.call_http("GET", response["headers"]["Location"])
        calls += 1
    return {"status": response["statusCode"], "content": response["content"], "calls": calls}


@app.orchestration_trigger(context_name="context")
def call_as_told(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    """The whole response as the orchestrator gets it, or the task's error text."""
    spec: dict[str, Any] = context.get_input() or {}
    try:
        response = yield context.call_http(
            spec.get("method", "GET"),
            spec["url"],
            content=spec.get("content"),
            headers=spec.get("headers"),
        )
    except Exception as exc:
        return {"error": str(exc)}
    return response
