"""Fixture: an HTTP starter, a 3-step activity chain (sync and async activities)."""

import json
import logging
from collections.abc import Generator
from typing import Any

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="start/{name}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    instance_id = await client.start_new(req.route_params["name"], None, req.get_json())
    return client.create_check_status_response(req, instance_id)


@app.orchestration_trigger(context_name="context")
def chain(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    city = context.get_input()
    first = yield context.call_activity("hello", city)
    second = yield context.call_activity("hello_async", first)
    third = yield context.call_activity("hello", second)
    return third


@app.activity_trigger(input_name="name")
def hello(name: str) -> str:
    logging.info("saying hello to %s", name)
    return f"Hello {name}"


@app.activity_trigger(input_name="name")
async def hello_async(name: str) -> str:
    return f"Hi {name}"


@app.route(route="echo", methods=["GET"])
def echo(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(dict(req.params)), mimetype="application/json")
