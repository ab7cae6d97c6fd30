"""Instance management behind function keys: status, listing, terminate/suspend/resume, purge.

These are the URLs every starter's 202 points at, instead of the host's built-in webhooks
(whose URLs carry the system key). Status follows the async request-reply convention of the
built-in endpoint, so polling clients (Logic Apps, scripts) work unchanged: 202 with
`Location` and `Retry-After` while the instance is not finished, 200 once it is (whatever
the outcome: the body's `runtimeStatus` says Completed, Failed, Terminated or Canceled).

Lifecycle commands check the current status first, so a request that makes no sense gets a
409 instead of being silently dropped by the host (which answers 410 and the client ignores).
The check and the command are two calls: an instance that finishes in between still gets a
202, and the status endpoint then shows what really happened.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df
import azure.functions as func
from azure.durable_functions.models.DurableOrchestrationStatus import (
    DurableOrchestrationStatus,
)
from azure.durable_functions.models.OrchestrationRuntimeStatus import (
    OrchestrationRuntimeStatus,
)

from api.http import (
    HttpProblem,
    accepted,
    endpoint,
    instance_url,
    json_response,
    parse_optional_body,
    parse_params,
)
from shared.models.http import AcceptedResponse
from shared.models.instances import (
    MAX_LISTED_INSTANCES,
    InstanceList,
    InstanceListQuery,
    InstanceRoute,
    InstanceStatus,
    InstanceStatusQuery,
    InstanceSummary,
    ManagementRequest,
    RuntimeStatus,
)

bp = df.Blueprint()

TAGS = ("instances",)
#: Polling hint while an instance runs; the same as the starters' 202.
RETRY_AFTER_SECONDS = 2
#: The client writes filter times with strftime("%Y"), which glibc does not zero-pad below
#: year 1000 ("332-03-04T..."), and the host refuses that. No instance was created earlier,
#: so an earlier createdFrom filters nothing and an earlier createdTo matches nothing.
EARLIEST_FILTER_TIME = datetime(1000, 1, 1, tzinfo=UTC)


# --- Status ----------------------------------------------------------------------------------


@bp.route(route="instances/{instanceId}", methods=["GET"])
@bp.durable_client_input(client_name="client")
@endpoint(
    "GET",
    "instances/{instanceId}",
    path=InstanceRoute,
    summary="Status of one instance: 202 while it runs, 200 once finished",
    query=InstanceStatusQuery,
    responses={200: InstanceStatus, 202: InstanceStatus},
    errors=(400, 404),
    tags=TAGS,
)
async def get_instance_status(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    instance_id = _instance_id(req)
    options = parse_params(req.params, InstanceStatusQuery, "query")
    status = await client.get_status(
        instance_id,
        show_history=options.show_history,
        show_history_output=options.show_history_output,
        show_input=options.show_input,
    )
    found = _require_found(status, instance_id)
    # The host includes the input unless told otherwise, so leave out what was not asked for.
    body = InstanceStatus.model_validate(
        {
            **_summary_fields(found),
            "output": found.output,
            "input": found.input_ if options.show_input else None,
            "history": _history(found) if options.show_history else None,
        }
    ).to_body(show_input=options.show_input, show_history=options.show_history)
    if RuntimeStatus(body["runtimeStatus"]).is_finished:
        return json_response(body)
    headers = {"Location": instance_url(instance_id), "Retry-After": str(RETRY_AFTER_SECONDS)}
    return json_response(body, status=202, headers=headers)


@bp.route(route="instances", methods=["GET"])
@bp.durable_client_input(client_name="client")
@endpoint(
    "GET",
    "instances",
    summary=f"List instances by status, id prefix, creation time ({MAX_LISTED_INSTANCES} max)",
    query=InstanceListQuery,
    responses={200: InstanceList},
    errors=(400,),
    tags=TAGS,
)
async def list_instances(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    query = parse_params(req.params, InstanceListQuery, "query")
    if query.created_to and query.created_to < EARLIEST_FILTER_TIME:
        return json_response(InstanceList(instances=[], count=0, truncated=False))
    filters: dict[str, Any] = {}
    # Both are UTC (the model converts them): the client formats times with a literal 'Z'.
    if query.created_from and query.created_from >= EARLIEST_FILTER_TIME:
        filters["created_time_from"] = query.created_from
    if query.created_to:
        filters["created_time_to"] = query.created_to
    if query.status:
        filters["runtime_status"] = [OrchestrationRuntimeStatus(s.value) for s in query.status]
    if query.prefix:
        filters["instance_id_prefix"] = query.prefix
    if filters:
        statuses = await client.get_status_by(**filters)
    else:
        statuses = await client.get_status_all()
    # Entities live in the same store (ids start with '@'); they have their own routes.
    instances = [
        InstanceSummary.model_validate(_summary_fields(status))
        for status in statuses
        if status and not (status.instance_id or "").startswith("@")
    ]
    instances.sort(key=_newest_first)
    page = instances[: query.top]
    # The client reads only the host's first page, so a full page may hide more matches.
    truncated = len(instances) > len(page) or len(statuses) >= MAX_LISTED_INSTANCES
    return json_response(InstanceList(instances=page, count=len(page), truncated=truncated))


# --- Lifecycle commands ------------------------------------------------------------------------


def _can_terminate(status: RuntimeStatus) -> bool:
    return not status.is_finished


def _can_suspend(status: RuntimeStatus) -> bool:
    return not status.is_finished and status is not RuntimeStatus.SUSPENDED


def _can_resume(status: RuntimeStatus) -> bool:
    return status is RuntimeStatus.SUSPENDED


@bp.route(route="instances/{instanceId}/terminate", methods=["POST"])
@bp.durable_client_input(client_name="client")
@endpoint(
    "POST",
    "instances/{instanceId}/terminate",
    path=InstanceRoute,
    summary="Terminate a pending, running or suspended instance (no compensation runs)",
    request=ManagementRequest,
    body_optional=True,
    responses={202: AcceptedResponse},
    errors=(404, 409),
    tags=TAGS,
)
async def terminate_instance(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    instance_id, reason = await _command(req, client, "terminate", _can_terminate)
    await client.terminate(instance_id, reason)
    return accepted(instance_id)


@bp.route(route="instances/{instanceId}/suspend", methods=["POST"])
@bp.durable_client_input(client_name="client")
@endpoint(
    "POST",
    "instances/{instanceId}/suspend",
    path=InstanceRoute,
    summary="Suspend a pending or running instance until it is resumed",
    request=ManagementRequest,
    body_optional=True,
    responses={202: AcceptedResponse},
    errors=(404, 409),
    tags=TAGS,
)
async def suspend_instance(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    instance_id, reason = await _command(req, client, "suspend", _can_suspend)
    await client.suspend(instance_id, reason)
    return accepted(instance_id)


@bp.route(route="instances/{instanceId}/resume", methods=["POST"])
@bp.durable_client_input(client_name="client")
@endpoint(
    "POST",
    "instances/{instanceId}/resume",
    path=InstanceRoute,
    summary="Resume a suspended instance",
    request=ManagementRequest,
    body_optional=True,
    responses={202: AcceptedResponse},
    errors=(404, 409),
    tags=TAGS,
)
async def resume_instance(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    instance_id, reason = await _command(req, client, "resume", _can_resume)
    await client.resume(instance_id, reason)
    return accepted(instance_id)


@bp.route(route="instances/{instanceId}", methods=["DELETE"])
@bp.durable_client_input(client_name="client")
@endpoint(
    "DELETE",
    "instances/{instanceId}",
    path=InstanceRoute,
    summary="Purge a finished instance's history (domain data and the outbox are kept)",
    responses={204: None},
    errors=(400, 404, 409),
    tags=TAGS,
)
async def purge_instance(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    instance_id = _instance_id(req)
    current = _runtime_status(await _existing(client, instance_id))
    _refuse_unless(current.is_finished, instance_id, "purge", current)
    try:
        result = await client.purge_instance_history(instance_id)
    except Exception:
        # The host refuses (412) to purge an instance that is live again, e.g. a singleton
        # restarted since our check; the client reports that as a bare Exception.
        again = await client.get_status(instance_id)
        if again and not _runtime_status(again).is_finished:
            _refuse_unless(False, instance_id, "purge", _runtime_status(again))
        raise
    if not result.instances_deleted:
        raise _not_found(instance_id)
    return func.HttpResponse(status_code=204)


# --- Helpers -----------------------------------------------------------------------------------


async def _command(
    req: func.HttpRequest,
    client: df.DurableOrchestrationClient,
    verb: str,
    allowed: Callable[[RuntimeStatus], bool],
) -> tuple[str, str]:
    """Validate id and body, then check the instance exists and the command makes sense."""
    instance_id = _instance_id(req)
    command = await parse_optional_body(req, ManagementRequest) or ManagementRequest()
    current = _runtime_status(await _existing(client, instance_id))
    _refuse_unless(allowed(current), instance_id, verb, current)
    return instance_id, command.reason or f"{verb} requested through the management API"


def _instance_id(req: func.HttpRequest) -> str:
    return parse_params(req.route_params, InstanceRoute, "route").instance_id


async def _existing(
    client: df.DurableOrchestrationClient, instance_id: str
) -> DurableOrchestrationStatus:
    return _require_found(await client.get_status(instance_id), instance_id)


def _require_found(
    status: DurableOrchestrationStatus | None, instance_id: str
) -> DurableOrchestrationStatus:
    # The client answers a 404 with a status object that is falsy (no creation time).
    if not status:
        raise _not_found(instance_id)
    return status


def _not_found(instance_id: str) -> HttpProblem:
    return HttpProblem(404, "Instance not found", f"no instance with id '{instance_id}'")


def _refuse_unless(ok: bool, instance_id: str, verb: str, current: RuntimeStatus) -> None:
    if not ok:
        raise HttpProblem(
            409,
            "Conflict with the instance's state",
            f"cannot {verb} instance '{instance_id}' while it is {current.value}",
        )


def _runtime_status(status: DurableOrchestrationStatus) -> RuntimeStatus:
    if status.runtime_status is None:
        return RuntimeStatus.PENDING
    return RuntimeStatus(status.runtime_status.value)


def _summary_fields(status: DurableOrchestrationStatus) -> dict[str, Any]:
    return {
        "instance_id": status.instance_id or "",
        "name": status.name,
        "runtime_status": _runtime_status(status),
        "custom_status": status.custom_status,
        "created_time": status.created_time,
        "last_updated_time": status.last_updated_time,
    }


def _history(status: DurableOrchestrationStatus) -> list[Any] | None:
    """The execution history. The host sends it as `historyEvents`, which the SDK (1.7.0) does
    not map to `history`: it only keeps it as an extra attribute of that name."""
    history: list[Any] | None = status.history
    if history is None:
        history = getattr(status, "historyEvents", None)
    return history


def _newest_first(instance: InstanceSummary) -> tuple[bool, float, str]:
    created = instance.created_time
    return (created is None, -(created.timestamp() if created else 0.0), instance.instance_id)
