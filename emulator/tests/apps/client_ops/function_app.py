"""Fixture: every DurableOrchestrationClient call, through the real SDK client."""

import json
from collections.abc import Generator
from datetime import datetime
from typing import Any

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def _json(value: object, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(value, default=str), status_code=status, mimetype="application/json"
    )


@app.route(route="orchestrators/{name}/{instance_id?}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    body = req.get_body()
    instance_id = await client.start_new(
        req.route_params["name"],
        req.route_params.get("instance_id"),
        json.loads(body) if body else None,
    )
    return client.create_check_status_response(req, instance_id)


@app.route(route="instances/{instance_id}", methods=["GET"])
@app.durable_client_input(client_name="client")
async def status(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    found = await client.get_status(
        req.route_params["instance_id"], show_history=True, show_history_output=True
    )
    if not found:
        return _json({"found": False}, 404)
    history = getattr(found, "historyEvents", None)
    return _json({"found": True, **found.to_json(), "history": history})


@app.route(route="instances", methods=["GET"])
@app.durable_client_input(client_name="client")
async def list_by(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    statuses = [
        df.OrchestrationRuntimeStatus(s) for s in req.params.get("status", "").split(",") if s
    ]
    since = datetime.fromisoformat(req.params["from"]) if "from" in req.params else None
    found = await client.get_status_by(
        created_time_from=since,  # type: ignore[arg-type]  # the SDK accepts None
        runtime_status=statuses or None,  # type: ignore[arg-type]
    )
    return _json(sorted(str(s.instance_id) for s in found))


@app.route(route="instances/{instance_id}/{operation}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def operate(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    instance_id, operation = req.route_params["instance_id"], req.route_params["operation"]
    if operation == "raise":
        await client.raise_event(instance_id, req.params["event"], req.get_json())
    elif operation == "terminate":
        await client.terminate(instance_id, "stopped by test")
    elif operation == "suspend":
        await client.suspend(instance_id, "paused by test")
    elif operation == "resume":
        await client.resume(instance_id, "resumed by test")
    elif operation == "purge":
        result = await client.purge_instance_history(instance_id)
        return _json({"deleted": result.instances_deleted})
    elif operation == "rewind":
        await client.rewind(instance_id, "rewound by test")
    elif operation == "restart":
        restarted = await client.restart(instance_id, restart_with_new_instance_id=True)
        return _json({"restarted": restarted})
    return _json({"ok": True}, 202)


@app.route(route="counters/{key}", methods=["POST", "GET"])
@app.durable_client_input(client_name="client")
async def counter_api(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    entity_id = df.EntityId("Counter", req.route_params["key"])
    if req.method == "POST":
        await client.signal_entity(entity_id, "add", int(req.params.get("amount", "1")))
        return _json({"signalled": True}, 202)
    state = await client.read_entity_state(entity_id)
    return _json({"exists": state.entity_exists, "state": state.entity_state})


@app.orchestration_trigger(context_name="context")
def waiter(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    context.set_custom_status({"stage": "waiting"})
    value = yield context.wait_for_external_event("go")
    return {"received": value, "input": context.get_input()}


@app.entity_trigger(context_name="context", entity_name="Counter")
def counter(context: df.DurableEntityContext) -> None:
    current = context.get_state(lambda: 0)
    if context.operation_name == "add":
        current += context.get_input()
    context.set_state(current)
    context.set_result(current)
