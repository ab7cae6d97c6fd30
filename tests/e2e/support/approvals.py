"""An expense approval through its routes: start one as its requester, watch its stages, decide."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.support.client import ApiClient, Json
from tests.e2e.support.clock import Clock
from tests.e2e.support.shop import accepted, email, signed_in
from tests.e2e.support.waiting import wait_for_instance, wait_until


def approval_request(approvers: list[str], stage_seconds: float, **overrides: object) -> Json:
    return {
        "requester": email("requester"),
        "amount": "120.5",
        "currency": "EUR",
        "description": "Conference travel",
        "approvers": approvers,
        "stageTimeoutSeconds": int(stage_seconds),
        **overrides,
    }


def start_approval(api: ApiClient, approvers: list[str], stage_seconds: float) -> tuple[str, Json]:
    """Start an approval as its (signed-in) requester."""
    request = approval_request(approvers, stage_seconds)
    response = api.post("/approvals", request, headers=signed_in(request["requester"]))
    if response.status_code == 401 and api.target.remote:
        pytest.skip("the remote app requires a real signed-in user (App Service Authentication)")
    return accepted(response)["id"], request


def view(api: ApiClient, instance_id: str) -> Json:
    return api.get_json(f"/approvals/{instance_id}")


def wait_for_stage(api: ApiClient, clock: Clock, instance_id: str, stage: int) -> Json:
    """The approval's view once stage `stage` waits for its decision (time is not moved)."""
    seen: Json = {}

    def waiting() -> Json | None:
        nonlocal seen
        seen = view(api, instance_id)
        status = seen.get("status") or {}
        awaiting = status.get("state") == "awaiting_decision" and status.get("stage") == stage
        return seen if awaiting else None

    return wait_until(
        waiting, clock, f"stage {stage} of {instance_id}", fire_timers=False, last_seen=lambda: seen
    )


def decide(
    api: ApiClient,
    instance_id: str,
    approver: str | None,
    decision: str,
    comment: str | None = None,
    body_approver: str | None = None,
) -> httpx.Response:
    """Decide as the signed-in `approver` (None: not signed in), maybe naming one in the body."""
    body: Json = {"decision": decision}
    if body_approver is not None:
        body["approver"] = body_approver
    if comment is not None:
        body["comment"] = comment
    headers = signed_in(approver) if approver is not None else None
    return api.post(f"/approvals/{instance_id}/decision", body, headers=headers)


def finished(api: ApiClient, clock: Clock, instance_id: str) -> Json:
    status = wait_for_instance(api, clock, instance_id)
    assert status["runtimeStatus"] == "Completed", status
    return view(api, instance_id)
