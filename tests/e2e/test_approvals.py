"""Expense approval with escalation (human interaction), as requesters and approvers see it.

The suite's emulator stands in for App Service Authentication (`WEBSITE_AUTH_ENABLED`), so
requesters and approvers sign in by sending `X-MS-CLIENT-PRINCIPAL-NAME`. A remote app with
Authentication on strips that header: there the flows that need a signed-in user are skipped.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.support.approvals import (
    approval_request,
    decide,
    finished,
    start_approval,
    view,
    wait_for_stage,
)
from tests.e2e.support.client import ApiClient, expect, expect_problem
from tests.e2e.support.clock import Clock
from tests.e2e.support.shop import accepted, email, signed_in, unique
from tests.e2e.support.waiting import (
    wait_for_instance,
    wait_for_notifications,
)

#: For waits that must not move time (a deadline would decide the stage).
HOLD_TIME = {"fire_timers": False}


def kinds_and_recipients(api: ApiClient, instance_id: str) -> list[tuple[str, str]]:
    return [(n["kind"], n["recipient"]) for n in api.notifications(instance_id)]


def test_an_expense_is_approved_by_its_first_approver(api: ApiClient, clock: Clock) -> None:
    first, second = email("manager"), email("director")
    instance_id, request = start_approval(api, [first, second], clock.pick(virtual=3600, real=300))

    waiting = wait_for_stage(api, clock, instance_id, 1)
    assert waiting["runtimeStatus"] == "Running"
    assert waiting["result"] is None
    assert (waiting["requester"], waiting["approvers"]) == (request["requester"], [first, second])
    status = waiting["status"]
    assert status["approvalId"] == instance_id
    assert status["stageCount"] == 2
    assert status["eventName"] == "decision-stage-1"
    assert status["amount"] == "120.50"
    # The stage is published before its approver is notified (so no decision is ever lost).
    (asked,) = wait_for_notifications(api, clock, instance_id, "approval_requested", **HOLD_TIME)
    assert (asked["kind"], asked["recipient"]) == ("approval_requested", first)
    assert asked["data"]["decisionPath"] == f"/api/approvals/{instance_id}/decision"

    # The signed-in name is matched with the stored address after lower-casing ASCII letters.
    answer = expect(decide(api, instance_id, first.upper(), "approve", comment="Enjoy"), 202)
    assert answer["id"] == instance_id
    assert (answer["stage"], answer["eventName"], answer["decision"]) == (
        1,
        "decision-stage-1",
        "approve",
    )
    assert answer["statusUrl"].endswith(f"/api/instances/{instance_id}")

    outcome = finished(api, clock, instance_id)
    result = outcome["result"]
    assert result["outcome"] == "approved"
    assert result["decidedAtStage"] == 1
    assert result["comment"] == "Enjoy"
    assert (result["requesterSource"], result["identitySource"]) == ("principal", "principal")
    assert result["identityVerified"] is True
    assert [(s["stage"], s["result"]) for s in result["stages"]] == [(1, "approved")]
    assert result["requesterNotified"] is True
    assert outcome["status"]["state"] == "approved"
    assert kinds_and_recipients(api, instance_id) == [
        ("approval_requested", first),
        ("approval_decided", request["requester"]),
    ]

    # A finished approval takes no more decisions.
    late = expect_problem(decide(api, instance_id, first, "reject"), 409)
    assert "Completed" in late["detail"]


def test_an_escalated_expense_is_rejected_by_the_next_approver(
    api: ApiClient, clock: Clock
) -> None:
    first, second = email("manager"), email("director")
    stage_seconds = clock.pick(virtual=3600, real=6)
    instance_id, request = start_approval(api, [first, second], stage_seconds)
    wait_for_stage(api, clock, instance_id, 1)

    clock.advance(stage_seconds)
    escalated = wait_for_stage(api, clock, instance_id, 2)["status"]
    assert escalated["eventName"] == "decision-stage-2"

    expect(decide(api, instance_id, second, "reject", comment="Not this quarter"), 202)

    result = finished(api, clock, instance_id)["result"]
    assert result["outcome"] == "rejected"
    assert result["decidedAtStage"] == 2
    assert [(s["stage"], s["result"]) for s in result["stages"]] == [
        (1, "timed_out"),
        (2, "rejected"),
    ]
    decided = api.notifications(instance_id, "approval_decided")
    assert [n["recipient"] for n in decided] == [request["requester"]]
    assert "Not this quarter" in decided[0]["body"]


def test_only_the_current_approver_may_decide(api: ApiClient, clock: Clock) -> None:
    first, second = email("manager"), email("director")
    instance_id, _ = start_approval(api, [first, second], clock.pick(virtual=3600, real=300))
    wait_for_stage(api, clock, instance_id, 1)

    refused = expect_problem(decide(api, instance_id, second, "approve"), 403)
    assert "another approver" in refused["detail"]
    expect_problem(decide(api, instance_id, email("stranger"), "approve"), 403)
    # With Authentication on, only the signed-in user decides: the body never stands in.
    expect_problem(decide(api, instance_id, None, "approve", body_approver=first), 401)
    expect_problem(decide(api, instance_id, None, "approve"), 401)

    # Nothing reached the approval: it still waits for its first approver.
    status = view(api, instance_id)["status"]
    assert (status["state"], status["stage"], status["ignoredDecisions"]) == (
        "awaiting_decision",
        1,
        0,
    )
    expect(api.post(f"/instances/{instance_id}/terminate", {"reason": "test done"}), 202)


def test_a_signed_in_principal_decides_for_themselves(api: ApiClient, clock: Clock) -> None:
    first = email("manager")
    instance_id, _ = start_approval(api, [first], clock.pick(virtual=3600, real=300))
    wait_for_stage(api, clock, instance_id, 1)

    # A body naming someone else than the signed-in principal is refused.
    mismatch = decide(api, instance_id, first, "approve", body_approver=email("other"))
    expect_problem(mismatch, 403, ["approver"])
    expect(decide(api, instance_id, first, "approve"), 202)

    result = finished(api, clock, instance_id)["result"]
    assert (result["outcome"], result["decidedAtStage"]) == ("approved", 1)
    assert result["identitySource"] == "principal"


def test_a_signed_in_user_files_only_in_their_own_name_and_never_approves_it(
    api: ApiClient, clock: Clock
) -> None:
    mallory, victim = email("mallory"), email("victim")
    request = approval_request([mallory], clock.pick(virtual=3600, real=300), requester=victim)

    # Filing in someone else's name, with yourself as approver: refused, naming the field.
    response = api.post("/approvals", request, headers=signed_in(mallory))
    if response.status_code == 401 and api.target.remote:
        pytest.skip("the remote app requires a real signed-in user (App Service Authentication)")
    expect_problem(response, 403, ["requester"])
    # Leaving the requester out makes the signed-in user the requester: still not an approver.
    del request["requester"]
    expect_problem(api.post("/approvals", request, headers=signed_in(mallory)), 400, ["approvers"])
    upper = {**request, "approvers": [mallory.upper()]}
    expect_problem(api.post("/approvals", upper, headers=signed_in(mallory)), 400, ["approvers"])
    # Not signed in at all: refused before anything is stored or started.
    expect_problem(api.post("/approvals", request), 401)


def test_no_email_address_reaches_the_orchestrations_records(api: ApiClient, clock: Clock) -> None:
    first, second = email("manager"), email("director")
    stage_seconds = clock.pick(virtual=3600, real=5)
    instance_id, request = start_approval(api, [first, second], stage_seconds)
    wait_for_stage(api, clock, instance_id, 1)
    clock.advance(stage_seconds)
    wait_for_stage(api, clock, instance_id, 2)
    expect(decide(api, instance_id, second, "approve", comment="ok"), 202)
    finished(api, clock, instance_id)

    details = api.get_json(
        f"/instances/{instance_id}/details",
        {"showInput": True, "showHistory": True, "showHistoryOutput": True},
    )
    recorded = json.dumps(details).lower()
    for address in (request["requester"], first, second):
        assert address.lower() not in recorded, address
    # The outbox, which is meant to hold them, does.
    assert {n["recipient"] for n in api.notifications(instance_id)} == {
        request["requester"],
        first,
        second,
    }


def test_an_undecided_expense_escalates_then_expires(api: ApiClient, clock: Clock) -> None:
    first, second = email("manager"), email("director")
    stage_seconds = clock.pick(virtual=3600, real=5)
    instance_id, request = start_approval(api, [first, second], stage_seconds)
    wait_for_stage(api, clock, instance_id, 1)

    # First deadline: the second approver is asked, and told why.
    clock.advance(stage_seconds)
    wait_for_stage(api, clock, instance_id, 2)
    (escalation,) = wait_for_notifications(
        api, clock, instance_id, "approval_escalated", **HOLD_TIME
    )
    assert escalation["recipient"] == second
    assert first in escalation["body"]
    assert escalation["data"]["stage"] == 2
    # The first approver missed their chance.
    expect_problem(decide(api, instance_id, first, "approve"), 403)

    # Last deadline: the request expires and the requester is told.
    clock.advance(stage_seconds)
    outcome = finished(api, clock, instance_id)
    result = outcome["result"]
    assert result["outcome"] == "expired"
    assert result["decidedAtStage"] is None
    assert [(s["stage"], s["result"]) for s in result["stages"]] == [
        (1, "timed_out"),
        (2, "timed_out"),
    ]
    assert outcome["status"]["state"] == "expired"
    assert kinds_and_recipients(api, instance_id) == [
        ("approval_requested", first),
        ("approval_escalated", second),
        ("approval_expired", request["requester"]),
    ]
    expect_problem(decide(api, instance_id, second, "approve"), 409)
    # The outbox lists the newest N, oldest first, and says when older ones were left out.
    newest = api.get_json("/notifications", {"correlationId": instance_id, "top": 2})
    assert [n["kind"] for n in newest["notifications"]] == [
        "approval_escalated",
        "approval_expired",
    ]
    assert (newest["count"], newest["truncated"]) == (2, True)


def test_a_decision_sent_while_suspended_applies_on_resume(api: ApiClient, clock: Clock) -> None:
    first = email("manager")
    instance_id, _ = start_approval(api, [first], clock.pick(virtual=3600, real=300))
    wait_for_stage(api, clock, instance_id, 1)
    accepted(api.post(f"/instances/{instance_id}/suspend"))

    expect(decide(api, instance_id, first, "approve", comment="after the audit"), 202)
    clock.settle()
    suspended = view(api, instance_id)
    assert suspended["runtimeStatus"] == "Suspended"
    assert suspended["result"] is None

    accepted(api.post(f"/instances/{instance_id}/resume"))
    result = finished(api, clock, instance_id)["result"]
    assert (result["outcome"], result["comment"]) == ("approved", "after the audit")


def test_decisions_need_an_existing_approval(api: ApiClient, clock: Clock) -> None:
    missing = unique("approval")
    expect_problem(api.get(f"/approvals/{missing}"), 404)
    expect_problem(decide(api, missing, email("manager"), "approve"), 404)

    # An instance that is not an expense approval is not one either.
    onboarding = accepted(api.post("/customers", {"email": email("ada"), "name": "Ada"}))
    wait_for_instance(api, clock, onboarding["id"])
    expect_problem(api.get(f"/approvals/{onboarding['id']}"), 404)
    expect_problem(decide(api, onboarding["id"], email("manager"), "approve"), 404)
