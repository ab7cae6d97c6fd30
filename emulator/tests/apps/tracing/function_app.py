"""Fixture: every function logs the trace it runs in (OpenTelemetry's current span, and the
invocation's ``context.trace_context``): HTTP starter, orchestrator, sub-orchestrator, activity."""

import logging
from collections.abc import Generator
from typing import Any

import azure.durable_functions as df
import azure.functions as func
from opentelemetry import trace

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def log_trace(where: str, context: func.Context | None = None) -> None:
    current = format(trace.get_current_span().get_span_context().trace_id, "032x")
    given = context.trace_context.trace_parent if context else ""
    logging.info("trace %s %s %s", where, current, given)


@app.route(route="start", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start(
    req: func.HttpRequest, client: df.DurableOrchestrationClient, context: func.Context
) -> func.HttpResponse:
    log_trace("http", context)
    instance_id = await client.start_new("parent", None, None)
    return client.create_check_status_response(req, instance_id)


@app.orchestration_trigger(context_name="context")
def parent(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    log_trace("parent")
    yield context.call_activity("step", "a")
    return (yield context.call_sub_orchestrator("child", None))


@app.orchestration_trigger(context_name="context")
def child(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    log_trace("child")
    return (yield context.call_activity("step", "b"))


@app.activity_trigger(input_name="name")
def step(name: str, context: func.Context) -> str:
    log_trace(f"step-{name}", context)
    return name
