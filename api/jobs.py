"""HTTP routes for export jobs, the stand-in for an external system the monitor watches.

`POST /jobs` creates a `pending` job, `PUT /jobs/{jobId}` moves it forward (409 for a step
backwards or any change to a finished job; repeating the final update is a 200 no-op), and
`GET /jobs/{jobId}` reads it.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import azure.functions as func

from api.access import Access
from api.http import (
    HttpProblem,
    app_base_url,
    json_response,
    parse_body,
    parse_optional_body,
    parse_params,
)
from api.routing import Routes
from shared import job_store
from shared.models.jobs import CreateJobRequest, Job, JobRoute, UpdateJobRequest

routes = Routes("jobs")
bp = routes.bp


def job_url(job_id: str) -> str:
    return f"{app_base_url()}/jobs/{quote(job_id, safe='')}"


def _not_found(job_id: str) -> HttpProblem:
    return HttpProblem(404, "Not found", f"job '{job_id}' does not exist")


@routes.route(
    "POST",
    "jobs",
    access=Access.FUNCTION,
    summary="Create an export job (status `pending`)",
    request=CreateJobRequest,
    body_optional=True,
    responses={201: Job},
)
async def create_export_job(req: func.HttpRequest) -> func.HttpResponse:
    request = await parse_optional_body(req, CreateJobRequest) or CreateJobRequest()
    job = await asyncio.to_thread(job_store.create_job, request.description)
    return json_response(job, status=201, headers={"Location": job_url(job.id)})


@routes.route(
    "GET",
    "jobs/{jobId}",
    access=Access.FUNCTION,
    path=JobRoute,
    summary="Read an export job",
    responses={200: Job},
    errors=(400, 404),
)
async def get_export_job(req: func.HttpRequest) -> func.HttpResponse:
    route = parse_params(req.route_params, JobRoute, "route")
    job = await asyncio.to_thread(job_store.get_job, route.job_id)
    if job is None:
        raise _not_found(route.job_id)
    return json_response(job)


@routes.route(
    "PUT",
    "jobs/{jobId}",
    access=Access.FUNCTION,
    path=JobRoute,
    summary="Change an export job's status (forward only; finished jobs are final)",
    request=UpdateJobRequest,
    responses={200: Job},
    errors=(404, 409, 503),
)
async def update_export_job(req: func.HttpRequest) -> func.HttpResponse:
    route = parse_params(req.route_params, JobRoute, "route")
    update = await parse_body(req, UpdateJobRequest)
    try:
        job, _ = await asyncio.to_thread(job_store.update_job, route.job_id, update)
    except job_store.JobNotFound:
        raise _not_found(route.job_id) from None
    except job_store.JobTransitionRefused as refused:
        raise HttpProblem(409, "Conflict", str(refused)) from None
    except job_store.JobBusy as busy:
        raise HttpProblem(503, "Busy", str(busy), headers={"Retry-After": "1"}) from None
    return json_response(job)
