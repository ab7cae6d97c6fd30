"""Instance management: status, details, listing, terminate/suspend/resume, purge.

The status route is what every starter's 202 points at, instead of the host's built-in webhooks
(whose URLs carry the system key); it opens with a function key. Everything that reveals an
instance's input or history, lists instances or changes them needs the master key
(api/access.py). Status follows the async request-reply convention of the
built-in endpoint, so polling clients (Logic Apps, scripts) work unchanged: 202 with
`Location` and `Retry-After` while the instance is not finished, 200 once it is (whatever
the outcome: the body's `runtimeStatus` says Completed, Failed, Terminated or Canceled).

Lifecycle commands check the current status first, so a request that makes no sense gets a
409 instead of being silently dropped by the host (which answers 410 and the client ignores).
The check and the command are two calls: an instance that finishes in between still gets a
202, and the status endpoint then shows what really happened.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
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
from azure.functions.decorators.function_app import FunctionBuilder
from pydantic.alias_generators import to_camel

from api.access import Access
from api.http import (
    FUNCTION_KEY_PARAM,
    HttpProblem,
    accepted,
    instance_url,
    json_response,
    parse_optional_body,
    parse_params,
)
from api.routing import Routes
from shared.models.http import AcceptedResponse, FieldProblem
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

routes = Routes("instances")
bp = routes.bp

#: Polling hint while an instance runs; the same as the starters' 202.
RETRY_AFTER_SECONDS = 2
#: The client writes filter times with strftime("%Y"), which glibc does not zero-pad below
#: year 1000 ("332-03-04T..."), and the host refuses that. No instance was created earlier,
#: so an earlier createdFrom filters nothing and an earlier createdTo matches nothing.
EARLIEST_FILTER_TIME = datetime(1000, 1, 1, tzinfo=UTC)
#: Why the status route refuses a query parameter: `/details` serves input and history.
_QUERY_REFUSALS = {
    to_camel(name): "input and history are served by GET /instances/{instanceId}/details"
    for name in InstanceStatusQuery.model_fields
}


# --- Status ----------------------------------------------------------------------------------


@routes.route(
    "GET",
    "instances/{instanceId}",
    access=Access.FUNCTION,
    client=True,
    path=InstanceRoute,
    summary="Status of one instance: 202 while it runs, 200 once finished",
    responses={200: InstanceStatus, 202: InstanceStatus},
    errors=(400, 404),
)
async def get_instance_status(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    _refuse_query(req)
    return await _status_answer(req, client, InstanceStatusQuery())


@routes.route(
    "GET",
    "instances/{instanceId}/details",
    access=Access.ADMIN,
    client=True,
    path=InstanceRoute,
    summary="Status of one instance with its input and history (operators only)",
    query=InstanceStatusQuery,
    responses={200: InstanceStatus, 202: InstanceStatus},
    errors=(400, 404),
)
async def get_instance_details(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    return await _status_answer(req, client, parse_params(req.params, InstanceStatusQuery))


async def _status_answer(
    req: func.HttpRequest, client: df.DurableOrchestrationClient, options: InstanceStatusQuery
) -> func.HttpResponse:
    """The status, with input and history as `options` ask; 202 and Location while running."""
    instance_id = _instance_id(req)
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


def _refuse_query(req: func.HttpRequest) -> None:
    """The status route takes no query; input and history have their own route.

    They may hold what a status poller must not see: the status route opens with a storefront's
    key, `/details` needs the master key.
    """
    extra = sorted(set(req.params) - {FUNCTION_KEY_PARAM})
    if extra:
        raise HttpProblem(
            400,
            "Invalid request",
            f"{len(extra)} invalid field(s) in the query",
            [
                FieldProblem(
                    field=name,
                    message=_QUERY_REFUSALS.get(name, "Extra inputs are not permitted"),
                    type="extra_forbidden",
                )
                for name in extra
            ],
        )


@routes.route(
    "GET",
    "instances",
    access=Access.ADMIN,
    client=True,
    summary=f"List instances by status, id prefix, creation time ({MAX_LISTED_INSTANCES} max)",
    query=InstanceListQuery,
    responses={200: InstanceList},
    errors=(400,),
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


@dataclass(frozen=True)
class Control:
    """One lifecycle command: when it makes sense and which client call performs it."""

    verb: str
    summary: str
    allowed: Callable[[RuntimeStatus], bool]
    perform: Callable[[df.DurableOrchestrationClient, str, str], Awaitable[None]]

    @property
    def function_name(self) -> str:
        return f"{self.verb}_instance"


CONTROLS: tuple[Control, ...] = (
    Control(
        "terminate",
        "Terminate a pending, running or suspended instance (no compensation runs)",
        lambda status: not status.is_finished,
        lambda client, instance_id, reason: client.terminate(instance_id, reason),
    ),
    Control(
        "suspend",
        "Suspend a pending or running instance until it is resumed",
        lambda status: not status.is_finished and status is not RuntimeStatus.SUSPENDED,
        lambda client, instance_id, reason: client.suspend(instance_id, reason),
    ),
    Control(
        "resume",
        "Resume a suspended instance",
        lambda status: status is RuntimeStatus.SUSPENDED,
        lambda client, instance_id, reason: client.resume(instance_id, reason),
    ),
)


def _register_control(control: Control) -> FunctionBuilder:
    """One HTTP function per command, all with the same contract and checks."""

    async def command(
        req: func.HttpRequest, client: df.DurableOrchestrationClient
    ) -> func.HttpResponse:
        instance_id = _instance_id(req)
        body = await parse_optional_body(req, ManagementRequest) or ManagementRequest()
        current = _runtime_status(await _existing(client, instance_id))
        _refuse_unless(control.allowed(current), instance_id, control.verb, current)
        reason = body.reason or f"{control.verb} requested through the management API"
        await control.perform(client, instance_id, reason)
        return accepted(instance_id)

    return routes.route(
        "POST",
        f"instances/{{instanceId}}/{control.verb}",
        access=Access.ADMIN,
        client=True,
        name=control.function_name,
        path=InstanceRoute,
        summary=control.summary,
        request=ManagementRequest,
        body_optional=True,
        responses={202: AcceptedResponse},
        errors=(404, 409),
    )(command)


#: The registered command functions by verb (served through `bp` like every other route).
CONTROL_FUNCTIONS: dict[str, FunctionBuilder] = {c.verb: _register_control(c) for c in CONTROLS}


@routes.route(
    "DELETE",
    "instances/{instanceId}",
    access=Access.ADMIN,
    client=True,
    path=InstanceRoute,
    summary="Purge a finished instance's history (domain data and the outbox are kept)",
    responses={204: None},
    errors=(400, 404, 409),
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
        await _refuse_if_live_again(client, instance_id)
        raise
    if not result.instances_deleted:
        # Nothing purged: the instance is gone, or live again (a singleton restarted since the
        # check above), which the host does not purge.
        await _refuse_if_live_again(client, instance_id)
        raise _not_found(instance_id)
    return func.HttpResponse(status_code=204)


async def _refuse_if_live_again(client: df.DurableOrchestrationClient, instance_id: str) -> None:
    """409 when the instance runs again since it was found finished (started anew meanwhile)."""
    again = await client.get_status(instance_id)
    if again and not _runtime_status(again).is_finished:
        _refuse_unless(False, instance_id, "purge", _runtime_status(again))


# --- Helpers -----------------------------------------------------------------------------------


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
