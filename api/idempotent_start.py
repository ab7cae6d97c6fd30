"""Start an orchestration once per business key, so a repeated POST is safe.

The instance id is derived from the key (the normalized e-mail, the order id). A re-post
whose instance is pending, running, suspended or completed gets a 202 pointing at that same
instance, so a client retrying after a lost response never starts a second one. A re-post
with *different* details for the same key is a 409 naming the existing instance: it is a
conflicting request, not a retry. An instance that failed, was terminated or was purged is
started again under the same id; every step is idempotent, so the new run picks up the
effects the old one left instead of repeating them. That is only sound for the *same*
request: the steps' idempotency keys derive from the instance id, so a restart with other
details would be handed the old run's effects (its charge, its shipment) as its own. So by
default a failed or terminated instance is restarted only by a request with its details;
`restart_with_other_details=True` opts out where a step keeps what was stored first anyway.

The id must also belong to *this* orchestrator: an instance of another one under that id
(started by other means than this app's routes) is a 409, never joined, and never replaced
by a start over its history.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import azure.durable_functions as df
import azure.functions as func
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

from api.http import HttpProblem, accepted, instance_url
from api.instance_state import JOINABLE
from shared.json_text import decode_json_text


async def start_once(
    req: func.HttpRequest,
    client: df.DurableOrchestrationClient,
    orchestrator: str,
    instance_id: str,
    payload: dict[str, Any],
    same_request: Callable[[Any], bool],
    conflict_detail: str,
    *,
    restart_with_other_details: bool = False,
    before_start: Callable[[], Awaitable[None]] | None = None,
) -> func.HttpResponse:
    """202 for a new or repeated request; 409 when the key was used with other details.

    `same_request` receives the existing instance's input object. When the host did not return
    one (no input, or not an object), the re-post is treated as a retry: the safe reading.
    `before_start` runs only when an instance is about to be started (not for a joined
    re-post or a 409): where the request's personal details are stored for the orchestration.
    """
    status = await client.get_status(instance_id, show_input=True)
    if status:
        _refuse_another_orchestrator(req, status, orchestrator, instance_id)
        joinable = status.runtime_status in JOINABLE
        if joinable or not restart_with_other_details:
            _refuse_other_details(req, status, instance_id, same_request, conflict_detail)
        if joinable:
            return accepted(instance_id)
    if before_start is not None:
        await before_start()
    try:
        await client.start_new(orchestrator, instance_id, payload)
    except Exception:
        # A request racing this one may have started the instance since the read; the host
        # refuses to start it again while it runs. Answer as for a re-post of that request.
        status = await client.get_status(instance_id, show_input=True)
        if not (status and status.runtime_status in JOINABLE):
            raise
        _refuse_another_orchestrator(req, status, orchestrator, instance_id)
        _refuse_other_details(req, status, instance_id, same_request, conflict_detail)
    return accepted(instance_id)


def _refuse_another_orchestrator(
    req: func.HttpRequest,
    status: DurableOrchestrationStatus,
    orchestrator: str,
    instance_id: str,
) -> None:
    """409 when the id names an instance of another orchestrator (a missing name is ours)."""
    if status.name not in (None, orchestrator):
        raise HttpProblem(
            409,
            "Conflict",
            f"'{instance_id}' is the instance id of another orchestration",
            headers={"Location": instance_url(instance_id)},
        )


def _refuse_other_details(
    req: func.HttpRequest,
    status: DurableOrchestrationStatus,
    instance_id: str,
    same_request: Callable[[Any], bool],
    conflict_detail: str,
) -> None:
    stored = decode_json_text(status.input_)
    if isinstance(stored, dict) and not same_request(stored):
        url = instance_url(instance_id)
        raise HttpProblem(409, "Conflict", conflict_detail, headers={"Location": url})
