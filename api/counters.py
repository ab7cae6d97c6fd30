"""HTTP routes for the `counter` entity: signal an operation, read the value.

`POST /counters/{key}/{operation}` queues a signal (202): the entity applies signals one at a
time in arrival order, so the value read right after may not include it yet. The amount is
validated here too, so a bad request is a 400 instead of an operation error nobody sees.
With an `Idempotency-Key` header a retried signal gets its first answer (api/replays.py), and
the signal carries a request id the counter applies once for as long as the key is remembered,
so a retry whose first attempt signalled but lost its answer counts once too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import azure.durable_functions as df
import azure.functions as func
from pydantic import ValidationError

from api.access import Access
from api.http import (
    HttpProblem,
    app_base_url,
    json_response,
    parse_body,
    parse_params,
    read_body,
)
from api.replays import keyed_request_id
from api.routing import Routes
from shared.models.counters import (
    COUNTER_ENTITY,
    CounterAmount,
    CounterInput,
    CounterRoute,
    CounterSignalAccepted,
    CounterSignalRoute,
    CounterState,
    CounterValue,
    SignalOperation,
)
from shared.models.http import FieldProblem
from shared.request_replays import key_retention

routes = Routes("counters")
bp = routes.bp


def _value_url(key: str) -> str:
    return f"{app_base_url()}/counters/{quote(key, safe='')}"


@routes.route(
    "POST",
    "counters/{key}/{operation}",
    access=Access.FUNCTION,
    client=True,
    path=CounterSignalRoute,
    summary="Signal add/subtract (body {amount}) or reset (no body) to a counter",
    request=CounterAmount,
    body_optional=True,
    responses={202: CounterSignalAccepted},
    key_scope="signal_counter",
)
async def signal_counter(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    route = parse_params(req.route_params, CounterSignalRoute, "route")
    amount: int | None = None
    if route.operation is SignalOperation.RESET:
        _refuse_body(req)
    else:
        amount = (await parse_body(req, CounterAmount)).amount
    request_id = keyed_request_id(req, per_request=True)
    sent_at = datetime.now(UTC)
    operation_input = CounterInput(
        amount=amount,
        request_id=request_id,
        sent_at=sent_at if request_id else None,
        expires_at=sent_at + key_retention() if request_id else None,
    )
    await client.signal_entity(
        df.EntityId(COUNTER_ENTITY, route.key), route.operation.value, operation_input.wire()
    )
    body = CounterSignalAccepted(
        key=route.key,
        operation=route.operation,
        amount=amount,
        value_url=_value_url(route.key),
    )
    return json_response(body, status=202, headers={"Location": body.value_url})


@routes.route(
    "GET",
    "counters/{key}",
    access=Access.FUNCTION,
    client=True,
    path=CounterRoute,
    summary="Read a counter's value (404 if it was never signalled)",
    responses={200: CounterValue},
    errors=(400, 404),
)
async def get_counter(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    route = parse_params(req.route_params, CounterRoute, "route")
    state = await client.read_entity_state(df.EntityId(COUNTER_ENTITY, route.key))
    if not state.entity_exists:
        raise HttpProblem(404, "Not found", f"counter '{route.key}' does not exist")
    try:
        stored = CounterState.from_json(state.entity_state)
    except ValidationError:
        raise HttpProblem(
            500, "Internal error", f"counter '{route.key}' holds no integer"
        ) from None
    return json_response(CounterValue(key=route.key, value=stored.value))


def _refuse_body(req: func.HttpRequest) -> None:
    """`reset` takes no amount; an empty body or `{}` is accepted, anything else is a 400."""
    raw = read_body(req).strip()  # a 413 over MAX_REQUEST_BYTES, as for every body
    if raw in (b"", b"{}"):
        return
    raise HttpProblem(
        400,
        "Invalid request",
        "reset takes no body",
        [FieldProblem(field="body", message="reset takes no body", type="extra_forbidden")],
    )
