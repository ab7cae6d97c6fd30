"""HTTP routes of the expense approval: start one, decide on it, read it.

Who decides: the App Service Authentication (Easy Auth) principal header
`X-MS-CLIENT-PRINCIPAL-NAME` when present, else the body's `approver`. The header can only be
trusted when Easy Auth is enabled on the app (it strips client-supplied copies); without it the
route is guarded by its function key alone and the identity is the caller's claim. Enable Easy
Auth in any real deployment.

The decision route reads the instance's custom status (current stage, approver, event name)
and raises that stage's event. The read and the raise are two calls: if the stage times out in
between, the event goes to `decision-stage-<n>`, which the escalated stage n+1 does not wait
for, so a late decision can never decide a later stage. The caller got a 202 and the status
shows the escalation; the next approver decides.
"""

from __future__ import annotations

import uuid

import azure.durable_functions as df
import azure.functions as func
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

from api.http import (
    HttpProblem,
    accepted,
    endpoint,
    instance_url,
    json_response,
    parse_body,
    parse_params,
    require_allowed_recipients,
)
from api.instance_state import FINISHED, runtime_status_name, status_field
from shared.models.approvals import (
    APPROVAL_INSTANCE_PREFIX,
    APPROVAL_ORCHESTRATOR,
    MAX_STAGE_SECONDS,
    MIN_STAGE_SECONDS,
    ApprovalInput,
    ApprovalRequest,
    ApprovalResult,
    ApprovalState,
    ApprovalStatus,
    ApprovalView,
    DecisionAccepted,
    DecisionEvent,
    DecisionRequest,
    IdentitySource,
    same_person,
)
from shared.models.base import Contract, InstanceId
from shared.models.http import AcceptedResponse, FieldProblem
from shared.settings import get_settings, platform_authentication_enabled

bp = df.Blueprint()

TAGS = ("approvals",)
#: Set by App Service Authentication to the signed-in user's name (usually the UPN/e-mail).
PRINCIPAL_HEADER = "x-ms-client-principal-name"


class ApprovalRoute(Contract):
    instance_id: InstanceId


@bp.route(route="approvals", methods=["POST"])
@bp.durable_client_input(client_name="client")
@endpoint(
    "POST",
    "approvals",
    summary="Start an expense approval that escalates along a chain of approvers",
    request=ApprovalRequest,
    responses={202: AcceptedResponse},
    tags=TAGS,
)
async def start_expense_approval(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    request = await parse_body(req, ApprovalRequest)
    require_allowed_recipients(
        {
            "requester": request.requester,
            **{f"approvers.{i}": approver for i, approver in enumerate(request.approvers)},
        }
    )
    orchestration_input = ApprovalInput.model_validate(
        {
            **request.model_dump(exclude={"stage_timeout_hours", "stage_timeout_seconds"}),
            "stage_timeout_seconds": stage_timeout_seconds(request),
        }
    )
    instance_id = f"{APPROVAL_INSTANCE_PREFIX}{uuid.uuid4().hex}"
    await client.start_new(APPROVAL_ORCHESTRATOR, instance_id, orchestration_input.to_json())
    return accepted(instance_id)


def stage_timeout_seconds(request: ApprovalRequest) -> int:
    """The per-stage deadline: the request's, else APPROVAL_DEFAULT_STAGE_HOURS, within bounds."""
    if request.stage_timeout_seconds is not None:
        seconds = request.stage_timeout_seconds
    else:
        hours = request.stage_timeout_hours or get_settings().approval_default_stage_hours
        seconds = round(hours * 3600)
    return min(max(seconds, MIN_STAGE_SECONDS), MAX_STAGE_SECONDS)


@bp.route(route="approvals/{instanceId}/decision", methods=["POST"])
@bp.durable_client_input(client_name="client")
@endpoint(
    "POST",
    "approvals/{instanceId}/decision",
    path=ApprovalRoute,
    summary="Approve or reject as the current stage's approver",
    request=DecisionRequest,
    responses={202: DecisionAccepted},
    errors=(403, 404, 409),
    tags=TAGS,
)
async def submit_approval_decision(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    instance_id = parse_params(req.route_params, ApprovalRoute, "route").instance_id
    body = await parse_body(req, DecisionRequest)
    caller, source = _identity(req, body)

    status = await _approval_status(client, instance_id)
    _require_not_finished(status)
    current = _awaiting(status)
    if not same_person(caller, current.approver):
        raise HttpProblem(
            403,
            "Not the current approver",
            f"stage {current.stage} of this approval is waiting for another approver",
        )
    event_name = current.event_name or ""
    # The stage's own address (the caller matched it case-insensitively) keeps the record tidy.
    event = DecisionEvent(
        approver=current.approver,
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


@bp.route(route="approvals/{instanceId}", methods=["GET"])
@bp.durable_client_input(client_name="client")
@endpoint(
    "GET",
    "approvals/{instanceId}",
    path=ApprovalRoute,
    summary="An approval's current stage, or its outcome once finished",
    responses={200: ApprovalView},
    errors=(400, 404),
    tags=TAGS,
)
async def get_expense_approval(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    instance_id = parse_params(req.route_params, ApprovalRoute, "route").instance_id
    status = await _approval_status(client, instance_id)
    view = ApprovalView(
        id=instance_id,
        runtime_status=runtime_status_name(status),
        status=status_field(ApprovalStatus, status.custom_status),
        result=status_field(ApprovalResult, status.output),
    )
    return json_response(view)


def _identity(req: func.HttpRequest, body: DecisionRequest) -> tuple[str, IdentitySource]:
    """Who decides: the signed-in principal when App Service Authentication vouches for it.

    Without platform authentication the principal header is just something a caller sent, so
    it is ignored and the body's approver is used, recorded as a claim (`request_body`).
    """
    principal = ""
    if platform_authentication_enabled():
        principal = (req.headers.get(PRINCIPAL_HEADER) or "").strip()
    if principal:
        if body.approver is not None and not same_person(body.approver, principal):
            raise HttpProblem(
                403,
                "Approver mismatch",
                "the body's approver is not the signed-in principal",
            )
        return principal, IdentitySource.PRINCIPAL
    if body.approver is None:
        raise HttpProblem(
            400,
            "Invalid request",
            "who decides is unknown: sign in, or give the approver",
            [FieldProblem(field="approver", message="Field required", type="missing")],
        )
    return body.approver, IdentitySource.REQUEST_BODY


async def _approval_status(
    client: df.DurableOrchestrationClient, instance_id: str
) -> DurableOrchestrationStatus:
    """The instance's status; 404 unless it exists and is an expense approval."""
    status = await client.get_status(instance_id)
    if not status or status.name != APPROVAL_ORCHESTRATOR:
        raise HttpProblem(404, "Not found", f"no expense approval '{instance_id}'")
    return status


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
