"""HTTP routes of the expense approval: start one, decide on it, read it.

Who asks and who decides: with App Service Authentication on (`WEBSITE_AUTH_ENABLED`), the
signed-in principal (`X-MS-CLIENT-PRINCIPAL-NAME`, which the platform sets and strips from
client requests) and nothing else: a request without it is a 401, and a body `requester` or
`approver` naming someone else is a 403. Without it (local development) the body's values are
used and the outcome records them as unverified (`identitySource: request_body`).

The parties are stored in the approvals table under the approval id before the instance
starts; the orchestration only ever sees the id and stage numbers.

The decision route reads the instance's custom status (current stage, event name), checks the
caller against that stage's stored approver and raises that stage's event. The read and the
raise are two calls: if the stage times out in between, the event goes to `decision-stage-<n>`,
which the escalated stage n+1 does not wait for, so a late decision can never decide a later
stage. The caller got a 202 and the status
shows the escalation; the next approver decides.
"""

from __future__ import annotations

import asyncio

import azure.durable_functions as df
import azure.functions as func
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus
from pydantic import ValidationError

from api.access import Access
from api.http import (
    HttpProblem,
    accepted,
    instance_url,
    json_response,
    parse_body,
    parse_params,
    require_allowed_recipients,
    validation_problem,
)
from api.instance_state import FINISHED, runtime_status_name, status_field
from api.principal import signed_in_caller
from api.replays import keyed_request_id
from api.routing import Routes
from api.start_once import JOIN, start_once
from shared import instance_ids
from shared.approval_store import ApprovalNotFound, ApprovalParties, load_parties, save_parties
from shared.models.approvals.expense import (
    MAX_STAGE_SECONDS,
    MIN_STAGE_SECONDS,
    ApprovalState,
    same_person,
)
from shared.models.approvals.http import (
    ApprovalRequest,
    ApprovalView,
    DecisionAccepted,
    DecisionRequest,
)
from shared.models.approvals.workflow import (
    APPROVAL_ORCHESTRATOR,
    ApprovalInput,
    ApprovalResult,
    ApprovalStatus,
    DecisionEvent,
)
from shared.models.base import Contract, InstanceId
from shared.models.http import AcceptedResponse
from shared.settings import get_settings

routes = Routes("approvals")
bp = routes.bp


class ApprovalRoute(Contract):
    instance_id: InstanceId


@routes.route(
    "POST",
    "approvals",
    access=Access.FUNCTION,
    client=True,
    summary="Start an expense approval that escalates along a chain of approvers",
    request=ApprovalRequest,
    responses={202: AcceptedResponse},
    errors=(401, 403),
    key_scope="start_expense_approval",
)
async def start_expense_approval(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    request = await parse_body(req, ApprovalRequest)
    requester, source = signed_in_caller(req, request.requester, "requester")
    require_allowed_recipients(
        {
            "requester": requester,
            **{f"approvers.{i}": approver for i, approver in enumerate(request.approvers)},
        }
    )
    try:
        parties = ApprovalParties(
            requester=requester, approvers=request.approvers, requester_source=source
        )
    except ValidationError as exc:  # the signed-in requester is among the approvers
        raise validation_problem(exc) from None
    # With an Idempotency-Key the id derives from it: a retry whose first attempt started the
    # approval but lost its answer joins that approval instead of starting another.
    instance_id = instance_ids.approval(keyed_request_id(req))
    orchestration_input = ApprovalInput(
        approval_id=instance_id,
        amount=request.amount,
        currency=request.currency,
        description=request.description,
        stage_count=len(parties.approvers),
        requester_source=source,
        stage_timeout_seconds=stage_timeout_seconds(request),
    )
    await start_once(
        client,
        JOIN,
        APPROVAL_ORCHESTRATOR,
        instance_id,
        orchestration_input.to_json(),
        same_request=lambda stored: stored == orchestration_input.to_json(),
        conflict_detail="this Idempotency-Key started an approval for a different request",
        before_start=lambda: asyncio.to_thread(save_parties, instance_id, parties),
    )
    return accepted(instance_id)


def stage_timeout_seconds(request: ApprovalRequest) -> int:
    """The per-stage deadline: the request's, else APPROVAL_DEFAULT_STAGE_HOURS, within bounds."""
    if request.stage_timeout_seconds is not None:
        seconds = request.stage_timeout_seconds
    else:
        hours = request.stage_timeout_hours or get_settings().approval_default_stage_hours
        seconds = round(hours * 3600)
    return min(max(seconds, MIN_STAGE_SECONDS), MAX_STAGE_SECONDS)


@routes.route(
    "POST",
    "approvals/{instanceId}/decision",
    access=Access.FUNCTION,
    client=True,
    path=ApprovalRoute,
    summary="Approve or reject as the current stage's approver",
    request=DecisionRequest,
    responses={202: DecisionAccepted},
    errors=(401, 403, 404, 409),
)
async def submit_approval_decision(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    instance_id = parse_params(req.route_params, ApprovalRoute, "route").instance_id
    body = await parse_body(req, DecisionRequest)
    caller, source = signed_in_caller(req, body.approver, "approver")

    status = await _approval_status(client, instance_id)
    _require_not_finished(status)
    current = _awaiting(status)
    parties = await _stored_parties(instance_id)
    if not same_person(caller, parties.approver(current.stage)):
        raise HttpProblem(
            403,
            "Not the current approver",
            f"stage {current.stage} of this approval is waiting for another approver",
        )
    event_name = current.event_name or ""
    event = DecisionEvent(
        stage=current.stage,
        decision=body.decision,
        comment=body.comment,
        identity_source=source,
    )
    try:
        await client.raise_event(instance_id, event_name, event.to_json())
    except Exception:
        # The instance may have finished or vanished since the read: answer from a fresh one.
        _require_not_finished(await _approval_status(client, instance_id))
        raise
    status_url = instance_url(instance_id)
    answer = DecisionAccepted(
        id=instance_id,
        stage=current.stage,
        event_name=event_name,
        decision=body.decision,
        status_url=status_url,
    )
    return json_response(answer, status=202, headers={"Location": status_url})


@routes.route(
    "GET",
    "approvals/{instanceId}",
    access=Access.FUNCTION,
    client=True,
    path=ApprovalRoute,
    summary="An approval's current stage, or its outcome once finished",
    responses={200: ApprovalView},
    errors=(400, 404),
)
async def get_expense_approval(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    instance_id = parse_params(req.route_params, ApprovalRoute, "route").instance_id
    status = await _approval_status(client, instance_id)
    parties = await _stored_parties(instance_id)
    view = ApprovalView(
        id=instance_id,
        runtime_status=runtime_status_name(status),
        requester=parties.requester,
        approvers=parties.approvers,
        status=status_field(ApprovalStatus, status.custom_status),
        result=status_field(ApprovalResult, status.output),
    )
    return json_response(view)


async def _approval_status(
    client: df.DurableOrchestrationClient, instance_id: str
) -> DurableOrchestrationStatus:
    """The instance's status; 404 unless it exists and is an expense approval."""
    status = await client.get_status(instance_id)
    if not status or status.name != APPROVAL_ORCHESTRATOR:
        raise HttpProblem(404, "Not found", f"no expense approval '{instance_id}'")
    return status


async def _stored_parties(instance_id: str) -> ApprovalParties:
    """Who asks and who decides; 404 if the approvals table has no row for the instance."""
    try:
        return await asyncio.to_thread(load_parties, instance_id)
    except ApprovalNotFound:
        raise HttpProblem(404, "Not found", f"no expense approval '{instance_id}'") from None


def _require_not_finished(status: DurableOrchestrationStatus) -> None:
    if status.runtime_status in FINISHED:
        raise HttpProblem(
            409,
            "Approval finished",
            f"the approval is {runtime_status_name(status)} and takes no more decisions",
        )


def _awaiting(status: DurableOrchestrationStatus) -> ApprovalStatus:
    """The current stage, or 409 while no stage waits (not started yet, or just decided)."""
    current = status_field(ApprovalStatus, status.custom_status)
    if current is None or current.state is not ApprovalState.AWAITING_DECISION:
        state = current.state.value if current else "starting"
        raise HttpProblem(
            409,
            "Not awaiting a decision",
            f"the approval is {state}; retry shortly if it is starting",
            headers={"Retry-After": "1"},
        )
    if not current.event_name:
        raise HttpProblem(409, "Not awaiting a decision", "the current stage has no event")
    return current
