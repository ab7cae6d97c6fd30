"""HTTP routes of the eternal health monitor: start, read and stop one monitor per endpoint name.

Only names from the HEALTH_MONITOR_ALLOWLIST setting can be monitored; a request never carries
a URL (no SSRF). Each name has one singleton instance, `health-monitor-<name>`: starting it
while it runs is a 409, and a finished one (stopped, failed, terminated) is replaced.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import azure.durable_functions as df
import azure.functions as func
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

from api.access import Access
from api.http import (
    HttpProblem,
    accepted,
    json_response,
    parse_body,
    parse_params,
)
from api.instance_state import ACTIVE, runtime_status_name, status_field
from api.routing import Routes
from api.start_once import SINGLETON, start_once
from shared import instance_ids
from shared.models.health_monitors import (
    HEALTH_MONITOR_ORCHESTRATOR,
    STOP_EVENT,
    HealthMonitorRequest,
    HealthMonitorResult,
    HealthMonitorState,
    HealthMonitorStatus,
    HealthMonitorView,
    MonitorRoute,
    StopRequest,
)
from shared.models.http import AcceptedResponse, FieldProblem
from shared.settings import get_settings

routes = Routes("health-monitors")
bp = routes.bp


@routes.route(
    "POST",
    "health-monitors",
    access=Access.FUNCTION,
    client=True,
    summary="Start the periodic health check of an allow-listed endpoint (one per name)",
    request=HealthMonitorRequest,
    responses={202: AcceptedResponse},
    errors=(409,),
)
async def start_health_monitor(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    request = await parse_body(req, HealthMonitorRequest)
    settings = get_settings()
    allowed = sorted(settings.health_monitor_allowlist)
    if request.name not in settings.health_monitor_allowlist:
        message = f"not an allow-listed endpoint; allowed: {', '.join(allowed) or '(none)'}"
        raise HttpProblem(
            400,
            "Invalid request",
            "the endpoint name is not in HEALTH_MONITOR_ALLOWLIST",
            [FieldProblem(field="name", message=message, type="not_allowed")],
        )
    instance_id = instance_ids.health_monitor(request.name)
    state = HealthMonitorState(
        name=request.name,
        run_id=uuid.uuid4().hex[:12],  # uuid4: a recording re-seeds it, so it is repeatable
        interval_seconds=request.interval_seconds or settings.health_check_interval_seconds,
        alert_threshold=request.alert_threshold or settings.health_alert_threshold,
    )
    await start_once(client, SINGLETON, HEALTH_MONITOR_ORCHESTRATOR, instance_id, state.to_json())
    return accepted(instance_id)


@routes.route(
    "GET",
    "health-monitors/{name}",
    access=Access.FUNCTION,
    client=True,
    path=MonitorRoute,
    summary="A monitor's phase, counters and last check (or its result once stopped)",
    responses={200: HealthMonitorView},
    errors=(400, 404),
)
async def get_health_monitor(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    name = parse_params(req.route_params, MonitorRoute, "route").name
    instance_id = instance_ids.health_monitor(name)
    status = await _monitor_status(client, instance_id)
    if status is None:
        raise HttpProblem(404, "Not found", f"no health monitor for '{name}'")
    view = HealthMonitorView(
        name=name,
        id=instance_id,
        runtime_status=runtime_status_name(status),
        status=status_field(HealthMonitorStatus, status.custom_status),
        result=status_field(HealthMonitorResult, status.output),
    )
    return json_response(view)


@routes.route(
    "DELETE",
    "health-monitors/{name}",
    access=Access.FUNCTION,
    client=True,
    path=MonitorRoute,
    summary="Stop a running monitor gracefully (raises its `stop` event)",
    responses={202: AcceptedResponse},
    errors=(400, 404),
)
async def stop_health_monitor(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    name = parse_params(req.route_params, MonitorRoute, "route").name
    instance_id = instance_ids.health_monitor(name)
    await _require_running(client, instance_id, name)
    stop = StopRequest(requested_at=datetime.now(UTC))
    try:
        await client.raise_event(instance_id, STOP_EVENT, stop.to_json())
    except Exception:
        await _require_running(client, instance_id, name)
        raise
    return accepted(instance_id)


async def _monitor_status(
    client: df.DurableOrchestrationClient, instance_id: str
) -> DurableOrchestrationStatus | None:
    status = await client.get_status(instance_id)
    if not status or status.name != HEALTH_MONITOR_ORCHESTRATOR:
        return None
    return status


async def _require_running(
    client: df.DurableOrchestrationClient, instance_id: str, name: str
) -> None:
    status = await _monitor_status(client, instance_id)
    if status is None or status.runtime_status not in ACTIVE:
        raise HttpProblem(404, "Not found", f"no running health monitor for '{name}'")
