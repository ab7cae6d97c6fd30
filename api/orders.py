"""HTTP routes: place an order, fulfilled by the order saga, and see where it stands."""

from __future__ import annotations

import asyncio
import uuid

import azure.durable_functions as df
import azure.functions as func
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus
from azure.durable_functions.models.OrchestrationRuntimeStatus import OrchestrationRuntimeStatus
from pydantic import ValidationError

from api.access import Access
from api.http import (
    HttpProblem,
    accepted,
    json_response,
    parse_body,
    parse_params,
    require_allowed_recipients,
)
from api.instance_state import runtime_status_name, status_field
from api.routing import Routes
from api.start_once import JOIN, start_once
from shared import instance_ids, order_store, recovery_store
from shared.models.http import AcceptedResponse
from shared.models.orders.http import OrderRequest, OrderRouteParams, OrderView
from shared.models.orders.order import OrderDetails
from shared.models.orders.workflow import (
    DEFAULT_COMPENSATION_RETRY,
    DEFAULT_STEP_RETRY,
    OrderProgress,
    OrderSagaInput,
    RecoveredOrderResult,
)

routes = Routes("orders")
bp = routes.bp

SAGA = "order_fulfillment_saga"


@routes.route(
    "POST",
    "orders",
    access=Access.FUNCTION,
    client=True,
    summary="Place an order: reserve stock, charge, ship, confirm; compensate on failure",
    request=OrderRequest,
    responses={202: AcceptedResponse},
    errors=(409,),
)
async def start_order_fulfillment(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Send an `orderId` to make the POST safely repeatable; without one, each POST is new.

    The customer's details are stored by order id; the saga's input holds only references.
    """
    request = await parse_body(req, OrderRequest)
    require_allowed_recipients({"customerEmail": request.customer_email})
    details = OrderDetails.of(request.order_id or uuid.uuid4().hex, request)
    saga_input = OrderSagaInput(
        order_id=details.order_id,
        items=details.items,
        order_fingerprint=details.fingerprint(),
        step_retry=request.step_retry or DEFAULT_STEP_RETRY,
        compensation_retry=request.compensation_retry or DEFAULT_COMPENSATION_RETRY,
    )
    instance_id = instance_ids.order(saga_input.order_id)
    await start_once(
        client,
        JOIN,
        SAGA,
        instance_id,
        saga_input.to_json(),
        same_request=lambda stored: _same_order(stored, saga_input),
        conflict_detail="this orderId was already used for a different order",
        before_start=lambda: asyncio.to_thread(order_store.save_order_details, details),
    )
    return accepted(instance_id)


def _same_order(stored: object, saga_input: OrderSagaInput) -> bool:
    try:
        return OrderSagaInput.from_json(stored).same_order_as(saga_input)
    except ValidationError:
        return True  # an input we cannot read is treated as a retry: nothing new starts


@routes.route(
    "GET",
    "orders/{orderId}",
    access=Access.FUNCTION,
    client=True,
    path=OrderRouteParams,
    summary="Where an order stands: its saga's progress or result, and any recovery it awaits",
    responses={200: OrderView},
    errors=(400, 404),
)
async def get_order(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    order_id = parse_params(req.route_params, OrderRouteParams, "route").order_id
    status = await saga_status(client, order_id)
    progress = status_field(OrderProgress, status.custom_status)
    view = OrderView(
        order_id=order_id,
        instance_id=status.instance_id or instance_ids.order(order_id),
        runtime_status=runtime_status_name(status),
        awaiting_recovery=awaiting_recovery(status, progress),
        progress=progress,
        result=status_field(RecoveredOrderResult, status.output),
        recovery=await asyncio.to_thread(recovery_store.rounds_of, order_id),
    )
    return json_response(view)


#: A saga that continued as new to go on waiting may briefly read ContinuedAsNew.
_RUNNING = frozenset(
    {OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.ContinuedAsNew}
)


async def saga_status(
    client: df.DurableOrchestrationClient, order_id: str
) -> DurableOrchestrationStatus:
    """The status of the order's saga; 404 unless there is one."""
    status = await client.get_status(instance_ids.order(order_id))
    if not status or status.name != SAGA:
        raise HttpProblem(404, "Not found", f"no order '{order_id}'")
    return status


def awaiting_recovery(status: DurableOrchestrationStatus, progress: OrderProgress | None) -> bool:
    """Whether the saga runs and waits for an operator's decision."""
    return (
        status.runtime_status in _RUNNING
        and progress is not None
        and progress.status == "awaiting_recovery"
    )
