"""HTTP route: place an order, fulfilled by the order saga."""

from __future__ import annotations

import asyncio
import uuid

import azure.durable_functions as df
import azure.functions as func
from pydantic import ValidationError

from api.access import Access
from api.http import parse_body, require_allowed_recipients
from api.idempotent_start import start_once
from api.routing import Routes
from shared import instance_ids, order_store
from shared.models.http import AcceptedResponse
from shared.models.orders.http import OrderRequest
from shared.models.orders.order import OrderDetails
from shared.models.orders.workflow import (
    DEFAULT_COMPENSATION_RETRY,
    DEFAULT_STEP_RETRY,
    OrderSagaInput,
)

routes = Routes("orders")
bp = routes.bp


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
    return await start_once(
        req,
        client,
        "order_fulfillment_saga",
        instance_ids.order(saga_input.order_id),
        saga_input.to_json(),
        same_request=lambda stored: _same_order(stored, saga_input),
        conflict_detail="this orderId was already used for a different order",
        before_start=lambda: asyncio.to_thread(order_store.save_order_details, details),
    )


def _same_order(stored: object, saga_input: OrderSagaInput) -> bool:
    try:
        return OrderSagaInput.from_json(stored).same_order_as(saga_input)
    except ValidationError:
        return True  # an input we cannot read is treated as a retry: nothing new starts
