"""`POST /api/monitors`: start watching an export job until it finishes or a deadline passes.

The job must exist (404 otherwise, checked in the job store before anything starts). The
starter stores a `notify` address by monitor id (the orchestration names its recipient by
reference only: that monitor's address, or operations), and passes a relative timeout that
the orchestration turns into a deadline on its own clock. An absolute `deadline` must lie in
the future and at most seven days ahead.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import azure.durable_functions as df
import azure.functions as func

from api.access import Access
from api.http import HttpProblem, accepted, json_response, parse_body, require_allowed_recipients
from api.routing import Routes
from api.start_once import JOIN, start_once
from shared import instance_ids, job_store, monitor_store
from shared.models.http import FieldProblem
from shared.models.monitors import (
    MAX_MONITOR_DURATION,
    MonitorAccepted,
    MonitorInput,
    MonitorRequest,
)
from shared.settings import get_settings

routes = Routes("monitors")
bp = routes.bp

ORCHESTRATOR = "monitor_export_job"
DEFAULT_TIMEOUT_MINUTES = 60


@routes.route(
    "POST",
    "monitors",
    access=Access.FUNCTION,
    client=True,
    summary="Watch an export job until it completes, fails or the deadline passes",
    request=MonitorRequest,
    responses={202: MonitorAccepted},
    errors=(404,),
)
async def start_export_monitor(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    request = await parse_body(req, MonitorRequest)
    _check_deadline(request)
    if request.notify is not None:
        require_allowed_recipients({"notify": request.notify})
    if await asyncio.to_thread(job_store.get_job, request.job_id) is None:
        raise HttpProblem(
            404,
            "Not found",
            f"job '{request.job_id}' does not exist",
            [FieldProblem(field="jobId", message="no such job", type="not_found")],
        )
    timeout_seconds = None
    if request.deadline is None:
        timeout_seconds = 60 * (request.timeout_minutes or DEFAULT_TIMEOUT_MINUTES)
    instance_id = instance_ids.export_monitor()
    recipient = await asyncio.to_thread(monitor_store.recipient_of, instance_id, request.notify)
    orchestration = MonitorInput(
        monitor_id=instance_id,
        job_id=request.job_id,
        recipient=recipient,
        initial_interval_seconds=request.initial_interval_seconds,
        max_interval_seconds=request.max_interval_seconds,
        deadline=request.deadline.astimezone(UTC) if request.deadline else None,
        timeout_seconds=timeout_seconds,
    )
    await start_once(client, JOIN, ORCHESTRATOR, instance_id, orchestration.to_json())

    response = accepted(instance_id)
    body = MonitorAccepted.model_validate(
        {
            **json.loads(response.get_body()),
            "jobId": orchestration.job_id,
            "recipient": request.notify or get_settings().operations_email,
            "deadline": orchestration.deadline,
            "timeoutSeconds": orchestration.timeout_seconds,
        }
    )
    headers = {name: response.headers[name] for name in ("Location", "Retry-After")}
    return json_response(body, status=202, headers=headers)


def _check_deadline(request: MonitorRequest) -> None:
    if request.deadline is None:
        return
    now = datetime.now(UTC)
    if request.deadline <= now:
        message = "must be in the future"
    elif request.deadline - now > MAX_MONITOR_DURATION:
        message = f"must be at most {MAX_MONITOR_DURATION.days} days ahead"
    else:
        return
    raise HttpProblem(
        400,
        "Invalid request",
        f"deadline {message}",
        [FieldProblem(field="deadline", message=message, type="value_error")],
    )
