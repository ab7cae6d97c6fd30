"""HTTP routes of an order's manual recovery: decide on compensations that kept failing, and
list the orders that wait for such a decision (operators only: the master key).

A decision names the round it answers (the order's view shows it). It is stored once per
round with who decided (the signed-in principal with App Service Authentication on, else the
body's `operator`, marked unverified), when and what, then raised as the round's event. A
repeated request with the same decision answers 202 again and delivers the event again (the
saga takes one per round), a different decision on a decided round is a 409, and so is any
decision while the order is not waiting on that round. docs/order-recovery.md has the design.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from urllib.parse import quote

import azure.durable_functions as df
import azure.functions as func

from api.access import Access
from api.http import HttpProblem, app_base_url, json_response, parse_body, parse_params
from api.instance_state import status_field
from api.orders import awaiting_recovery, saga_status
from api.principal import signed_in_caller
from api.routing import Routes
from shared import instance_ids, recovery_store
from shared.models.orders.http import (
    OrderRouteParams,
    RecoveryDecisionAccepted,
    RecoveryDecisionRequest,
    RecoveryList,
    RecoveryListQuery,
)
from shared.models.orders.recovery import RecoveryDecision
from shared.models.orders.workflow import OrderProgress, recovery_event_name

routes = Routes("orders")
bp = routes.bp
logger = logging.getLogger(__name__)


@routes.route(
    "POST",
    "orders/{orderId}/recovery",
    access=Access.ADMIN,
    client=True,
    path=OrderRouteParams,
    summary="Decide on an order's unresolved compensations: retry them, or resolve by hand",
    request=RecoveryDecisionRequest,
    responses={202: RecoveryDecisionAccepted},
    errors=(401, 403, 404, 409),
)
async def decide_order_recovery(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    order_id = parse_params(req.route_params, OrderRouteParams, "route").order_id
    body = await parse_body(req, RecoveryDecisionRequest)
    decided_by, source = signed_in_caller(req, body.operator, "operator")
    decision = RecoveryDecision(
        order_id=order_id,
        round=body.round,
        action=body.action,
        note=body.note,
        decided_by=decided_by,
        identity_source=source,
        decided_at=datetime.now(UTC),
    )
    status = await saga_status(client, order_id)
    progress = status_field(OrderProgress, status.custom_status)
    waiting = awaiting_recovery(status, progress) and (
        progress is not None and progress.recovery_round == body.round
    )
    stored = await _stored_decision(decision, waiting, progress)
    if not stored.same_decision_as(decision):
        raise HttpProblem(
            409,
            "Already decided",
            f"round {body.round} of order '{order_id}' was decided otherwise by "
            f"{stored.decided_by} at {stored.decided_at.isoformat()}",
        )
    logger.info(
        "order %s round %d: %s by %s (%s)",
        order_id,
        stored.round,
        stored.action.value,
        stored.decided_by,
        stored.identity_source.value,
    )
    if waiting:
        await client.raise_event(
            instance_ids.order(order_id), recovery_event_name(body.round), stored.event().to_json()
        )
    order_url = f"{app_base_url()}/orders/{quote(order_id, safe='')}"
    answer = RecoveryDecisionAccepted(order_id=order_id, decision=stored, order_url=order_url)
    return json_response(answer, status=202, headers={"Location": order_url})


async def _stored_decision(
    decision: RecoveryDecision, waiting: bool, progress: OrderProgress | None
) -> RecoveryDecision:
    """The round's decision as stored: an earlier one, else this one once recorded."""
    earlier = await asyncio.to_thread(recovery_store.decision_of, decision.order_id, decision.round)
    if earlier is not None:
        return earlier
    if not waiting:
        detail = _not_waiting(decision.order_id, decision.round, progress)
        raise HttpProblem(409, "Not awaiting recovery", detail)
    stored, _ = await asyncio.to_thread(recovery_store.record_decision, decision)
    return stored


def _not_waiting(order_id: str, round_number: int, progress: OrderProgress | None) -> str:
    detail = f"order '{order_id}' is not waiting for a decision on round {round_number}"
    if progress is not None and progress.status == "awaiting_recovery":
        return f"{detail}: it waits on round {progress.recovery_round}"
    state = progress.step if progress is not None else "starting"
    return f"{detail}: it is {state}"


@routes.route(
    "GET",
    "order-recoveries",
    access=Access.ADMIN,
    client=False,
    query=RecoveryListQuery,
    summary="Recovery rounds of orders: by default those still awaiting an operator",
    responses={200: RecoveryList},
    errors=(400,),
)
async def list_order_recoveries(req: func.HttpRequest) -> func.HttpResponse:
    query = parse_params(req.params, RecoveryListQuery)
    rounds = await asyncio.to_thread(recovery_store.list_rounds, query.state)
    return json_response(RecoveryList(rounds=rounds))
