"""HTTP routes of the batch import (fan-out/fan-in).

`POST /batches` validates the whole request (shape, unique ids, size against
`BATCH_MAX_ITEMS`), resolves the plan from settings (chunk size, the window clamped to
`BATCH_MAX_PARALLEL`, how many chunks run at once), stages the items in a table and starts
`process_batch` with only a reference and the plan. The 202 reports the limits in effect.

A caller-chosen `batchId` makes the POST safe to retry: the same request again joins the
instance it started (or finishes starting it); a different request under that id is a 409.

`GET /batches/{batchId}` shows what was submitted; `GET /batches/{batchId}/results` pages
through the per-item results (`?status=failed` lists every failure, beyond the first 100
the orchestration output carries).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import UTC, datetime
from urllib.parse import quote

import azure.durable_functions as df
import azure.functions as func

from api.access import Access
from api.http import (
    HttpProblem,
    accepted,
    app_base_url,
    instance_url,
    json_response,
    parse_body,
    parse_params,
)
from api.routing import Routes
from api.start_once import JOIN, start_once
from shared import batch_store
from shared.batch_store import BatchHeader
from shared.models.batches.http import (
    BatchAccepted,
    BatchInfo,
    BatchRequest,
    BatchResultsPage,
    BatchResultsQuery,
    BatchRouteParams,
)
from shared.models.batches.workflow import BatchInput, BatchPlan, plan_batch
from shared.models.http import FieldProblem
from shared.settings import get_settings

routes = Routes("batches")
bp = routes.bp
logger = logging.getLogger(__name__)

ORCHESTRATOR = "process_batch"


def _batch_url(batch_id: str) -> str:
    return f"{app_base_url()}/batches/{quote(batch_id, safe='')}"


def _results_url(batch_id: str) -> str:
    return f"{_batch_url(batch_id)}/results"


@routes.route(
    "POST",
    "batches",
    access=Access.FUNCTION,
    client=True,
    summary="Price up to 10,000 items with bounded parallelism; failures are per item",
    request=BatchRequest,
    responses={202: BatchAccepted},
    errors=(409,),
)
async def start_batch(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    request = await parse_body(req, BatchRequest)
    settings = get_settings()
    if len(request.items) > settings.batch_max_items:
        message = f"at most {settings.batch_max_items} items per batch"
        raise HttpProblem(
            400,
            "Invalid request",
            f"{len(request.items)} items; {message}",
            [FieldProblem(field="items", message=message, type="too_long")],
        )
    batch_id = request.batch_id or f"batch-{uuid.uuid4().hex}"
    fingerprint = batch_store.request_fingerprint(request.items, request.max_parallel)
    plan = plan_batch(
        len(request.items),
        settings.batch_chunk_size,
        settings.batch_max_parallel,
        request.max_parallel,
    )
    if request.batch_id is not None:
        existing = await asyncio.to_thread(batch_store.get_batch, batch_id)
        if existing is not None:
            if existing.fingerprint != fingerprint:
                raise _taken(batch_id)
            plan = existing.plan  # join, or finish the start, with the plan it was staged by
    header = BatchHeader(
        batch_id=batch_id,
        plan=plan,
        fingerprint=fingerprint,
        created_at=datetime.now(UTC).isoformat(),
    )

    async def stage() -> None:
        try:
            await asyncio.to_thread(batch_store.stage_batch, header, request.items)
        except batch_store.BatchIdTaken:
            raise _taken(batch_id) from None

    # The staged fingerprint tells a retry from another request; the input holds only a plan.
    orchestration = BatchInput(batch_id=batch_id, plan=plan).to_json()
    await start_once(client, JOIN, ORCHESTRATOR, batch_id, orchestration, before_start=stage)
    return _accepted(batch_id, plan)


def _taken(batch_id: str) -> HttpProblem:
    return HttpProblem(
        409,
        "Conflict",
        f"batch '{batch_id}' was already submitted with different items or maxParallel",
        headers={"Location": instance_url(batch_id)},
    )


def _accepted(batch_id: str, plan: BatchPlan) -> func.HttpResponse:
    response = accepted(batch_id)
    body = BatchAccepted.model_validate(
        {
            **json.loads(response.get_body()),
            "batchId": batch_id,
            "plan": plan.to_json(),
            "resultsUrl": _results_url(batch_id),
        }
    )
    headers = {name: response.headers[name] for name in ("Location", "Retry-After")}
    return json_response(body, status=202, headers=headers)


@routes.route(
    "GET",
    "batches/{batchId}",
    access=Access.FUNCTION,
    path=BatchRouteParams,
    summary="What a batch was submitted with: item count and the plan in effect",
    responses={200: BatchInfo},
    errors=(400, 404),
)
async def get_batch(req: func.HttpRequest) -> func.HttpResponse:
    route = parse_params(req.route_params, BatchRouteParams, "route")
    header = await _require_batch(route.batch_id)
    return json_response(
        BatchInfo(
            batch_id=header.batch_id,
            plan=header.plan,
            created_at=header.created_at,
            status_url=instance_url(header.batch_id),
            results_url=_results_url(header.batch_id),
        )
    )


@routes.route(
    "GET",
    "batches/{batchId}/results",
    access=Access.FUNCTION,
    path=BatchRouteParams,
    summary="Per-item results, paged; `?status=failed` lists every failure",
    query=BatchResultsQuery,
    responses={200: BatchResultsPage},
    errors=(400, 404),
)
async def list_batch_results(req: func.HttpRequest) -> func.HttpResponse:
    route = parse_params(req.route_params, BatchRouteParams, "route")
    query = parse_params(req.params, BatchResultsQuery, "query")
    await _require_batch(route.batch_id)
    try:
        records, token = await asyncio.to_thread(
            batch_store.list_results,
            route.batch_id,
            query.status,
            query.top,
            query.continuation_token,
        )
    except batch_store.InvalidContinuationToken as exc:
        raise HttpProblem(
            400,
            "Invalid request",
            str(exc),
            [FieldProblem(field="continuationToken", message=str(exc), type="value_error")],
        ) from None
    return json_response(
        BatchResultsPage(batch_id=route.batch_id, items=records, continuation_token=token)
    )


async def _require_batch(batch_id: str) -> BatchHeader:
    header = await asyncio.to_thread(batch_store.get_batch, batch_id)
    if header is None:
        raise HttpProblem(404, "Not found", f"batch '{batch_id}' does not exist")
    return header
