"""Approval routes in-process with a mocked durable client and an in-memory approvals table:
every 2xx/400/401/403/404/409 path, and each way around the signed-in identity."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
import pytest
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus
from azure.durable_functions.models.OrchestrationRuntimeStatus import OrchestrationRuntimeStatus

from api import approvals
from shared.approval_store import ApprovalNotFound, ApprovalParties
from shared.models.approvals.expense import IdentitySource
from tests.http.samples import PUBLIC_ORIGIN
from tests.support.functions import client_function

BASE = "http://localhost:7071/api"
MANAGER = "manager@example.com"
DIRECTOR = "director@example.com"
REQUESTER = "ada@example.com"
INSTANCE = "approval-0123456789abcdef0123456789abcdef"
PRINCIPAL = "X-MS-CLIENT-PRINCIPAL-NAME"
LONG_S = "\u017f"
FULLWIDTH_MANAGER = "".join(chr(ord(c) + 0xFEE0) for c in "MANAGER")


@pytest.fixture(autouse=True)
def parties(monkeypatch: pytest.MonkeyPatch) -> dict[str, ApprovalParties]:
    """The approvals table, in memory: INSTANCE asks ada, approved by manager then director."""
    table = {
        INSTANCE: ApprovalParties(
            requester=REQUESTER,
            approvers=[MANAGER, DIRECTOR],
            requester_source=IdentitySource.REQUEST_BODY,
        )
    }

    def load(approval_id: str) -> ApprovalParties:
        if approval_id not in table:
            raise ApprovalNotFound(approval_id)
        return table[approval_id]

    monkeypatch.setattr(approvals, "save_parties", table.__setitem__)
    monkeypatch.setattr(approvals, "load_parties", load)
    return table


@pytest.fixture
def platform_authentication(monkeypatch: pytest.MonkeyPatch) -> None:
    """App Service Authentication is on: the platform vouches for the principal header."""
    monkeypatch.setenv("WEBSITE_AUTH_ENABLED", "True")


def _request(
    method: str,
    path: str,
    body: Any = None,
    route_params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> func.HttpRequest:
    raw = b"" if body is None else json.dumps(body).encode()
    return func.HttpRequest(
        method,
        f"{BASE}/{path}",
        headers={"content-type": "application/json", **(headers or {})},
        body=raw,
        route_params=route_params or {},
    )


def _json(response: func.HttpResponse) -> Any:
    return json.loads(response.get_body())


def _status(
    runtime: str = "Running",
    name: str = "expense_approval",
    custom: Any = "default",
    output: Any = None,
) -> DurableOrchestrationStatus:
    if custom == "default":
        custom = {
            "state": "awaiting_decision",
            "stage": 1,
            "stageCount": 2,
            "eventName": "decision-stage-1",
            "deadline": "2026-01-08T09:00:00Z",
            "ignoredDecisions": 0,
            "approvalId": INSTANCE,
            "amount": "420.50",
            "currency": "EUR",
        }
    return DurableOrchestrationStatus(
        name=name,
        instanceId=INSTANCE,
        createdTime="2026-01-05T09:00:00Z",
        lastUpdatedTime="2026-01-05T09:00:01Z",
        runtimeStatus=OrchestrationRuntimeStatus(runtime),
        customStatus=custom,
        output=output,
    )


# --- POST /api/approvals -----------------------------------------------------------------


def _approval(**overrides: Any) -> dict[str, Any]:
    return {
        "requester": REQUESTER,
        "amount": 420.5,
        "description": "Conference ticket",
        "approvers": [MANAGER, DIRECTOR],
        **overrides,
    }


async def _start(
    client: Any, body: Any, headers: dict[str, str] | None = None
) -> func.HttpResponse:
    handler = client_function(approvals.start_expense_approval)
    request = _request("POST", "approvals", body, headers=headers)
    response: func.HttpResponse = await handler(request, client)
    return response


def _started_input(client: Any) -> dict[str, Any]:
    name, instance_id, payload = client.start_new.call_args.args
    assert name == "expense_approval"
    assert instance_id.startswith("approval-")
    return dict(payload)


async def test_start_passes_the_default_stage_timeout_and_answers_202(client: Any) -> None:
    response = await _start(client, _approval())

    assert response.status_code == 202
    body = _json(response)
    assert body["id"].startswith("approval-")
    assert response.headers["Location"] == f"{PUBLIC_ORIGIN}/api/instances/{body['id']}"
    started = _started_input(client)
    assert started["stageTimeoutSeconds"] == 72 * 3600
    assert started["amount"] == "420.50"
    assert started["currency"] == "EUR"
    assert "stageTimeoutHours" not in started


async def test_start_stores_the_parties_and_starts_with_references_only(
    client: Any, parties: dict[str, ApprovalParties]
) -> None:
    response = await _start(client, _approval())

    approval_id = _json(response)["id"]
    started = _started_input(client)
    assert (started["approvalId"], started["stageCount"]) == (approval_id, 2)
    assert started["requesterSource"] == "request_body"
    assert "@" not in json.dumps(started)
    stored = parties[approval_id]
    assert (stored.requester, stored.approvers) == (REQUESTER, [MANAGER, DIRECTOR])
    assert stored.requester_source is IdentitySource.REQUEST_BODY


async def test_the_default_stage_timeout_comes_from_settings(
    client: Any, app_settings: pytest.MonkeyPatch
) -> None:
    app_settings.setenv("APPROVAL_DEFAULT_STAGE_HOURS", "0.5")

    await _start(client, _approval())

    assert _started_input(client)["stageTimeoutSeconds"] == 1800


@pytest.mark.parametrize(
    ("overrides", "seconds"),
    [
        ({"stageTimeoutHours": 1.5}, 5400),
        ({"stageTimeoutHours": 144}, 144 * 3600),
        ({"stageTimeoutHours": 0.0001}, 1),
        ({"stageTimeoutSeconds": 5}, 5),
    ],
)
async def test_an_explicit_stage_timeout_is_used(
    client: Any, overrides: dict[str, Any], seconds: int
) -> None:
    await _start(client, _approval(**overrides))

    assert _started_input(client)["stageTimeoutSeconds"] == seconds


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"requester": "nope"}, "requester"),
        ({"amount": 0}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"currency": "eur"}, "currency"),
        ({"description": ""}, "description"),
        ({"approvers": []}, "approvers"),
        ({"approvers": [f"a{n}@example.com" for n in range(6)]}, "approvers"),
        ({"approvers": [MANAGER, "Manager@Example.com"]}, "approvers"),
        ({"approvers": ["ada@example.com"]}, "approvers"),
        ({"approvers": [MANAGER, "ADA@example.COM"]}, "approvers"),
        ({"approvers": ["not-an-email"]}, "approvers.0"),
        ({"stageTimeoutHours": 145}, "stageTimeoutHours"),
        ({"stageTimeoutHours": 0}, "stageTimeoutHours"),
        ({"stageTimeoutSeconds": 0}, "stageTimeoutSeconds"),
        ({"stageTimeoutSeconds": 144 * 3600 + 1}, "stageTimeoutSeconds"),
        ({"stageTimeoutHours": 1, "stageTimeoutSeconds": 60}, "stageTimeoutSeconds"),
        ({"approverz": []}, "approverz"),
    ],
)
async def test_invalid_approval_requests_are_400s_naming_the_field(
    client: Any, overrides: dict[str, Any], field: str
) -> None:
    response = await _start(client, _approval(**overrides))

    assert response.status_code == 400
    assert field in {e["field"] for e in _json(response)["errors"]}
    client.start_new.assert_not_called()


async def test_missing_fields_are_all_listed(client: Any) -> None:
    response = await _start(client, {})

    assert response.status_code == 400
    fields = {e["field"] for e in _json(response)["errors"]}
    assert fields == {"amount", "description", "approvers"}


async def test_without_authentication_the_requester_field_is_required(client: Any) -> None:
    body = _approval()
    del body["requester"]

    response = await _start(client, body, headers={PRINCIPAL: REQUESTER})

    assert response.status_code == 400
    assert [e["field"] for e in _json(response)["errors"]] == ["requester"]
    client.start_new.assert_not_called()


@pytest.mark.usefixtures("platform_authentication")
async def test_with_authentication_the_signed_in_user_is_the_requester(
    client: Any, parties: dict[str, ApprovalParties]
) -> None:
    body = _approval()
    del body["requester"]

    response = await _start(client, body, headers={PRINCIPAL: "Ada@example.com"})

    assert response.status_code == 202
    stored = parties[_json(response)["id"]]
    assert stored.requester == "Ada@example.com"
    assert stored.requester_source is IdentitySource.PRINCIPAL
    assert _started_input(client)["requesterSource"] == "principal"


@pytest.mark.usefixtures("platform_authentication")
async def test_with_authentication_a_start_without_the_principal_is_401(client: Any) -> None:
    response = await _start(client, _approval())

    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    client.start_new.assert_not_called()


@pytest.mark.usefixtures("platform_authentication")
async def test_filing_in_someone_elses_name_is_403_naming_the_requester(client: Any) -> None:
    body = _approval(requester="victim@example.com", approvers=["mallory@example.com"])

    response = await _start(client, body, headers={PRINCIPAL: "mallory@example.com"})

    assert response.status_code == 403
    assert [e["field"] for e in _json(response)["errors"]] == ["requester"]
    client.start_new.assert_not_called()


@pytest.mark.usefixtures("platform_authentication")
async def test_the_signed_in_requester_cannot_be_an_approver(client: Any) -> None:
    body = _approval(approvers=[MANAGER, "mallory@example.com"])
    del body["requester"]

    response = await _start(client, body, headers={PRINCIPAL: "MALLORY@example.com"})

    assert response.status_code == 400
    assert "approvers" in {e["field"] for e in _json(response)["errors"]}
    client.start_new.assert_not_called()


# --- POST /api/approvals/{instanceId}/decision -------------------------------------------


async def _decide(
    client: Any,
    body: Any,
    instance_id: str = INSTANCE,
    headers: dict[str, str] | None = None,
) -> func.HttpResponse:
    handler = client_function(approvals.submit_approval_decision)
    request = _request(
        "POST",
        f"approvals/{instance_id}/decision",
        body,
        route_params={"instanceId": instance_id},
        headers=headers,
    )
    response: func.HttpResponse = await handler(request, client)
    return response


async def test_the_current_approver_decides_and_the_stage_event_is_raised(client: Any) -> None:
    client.get_status.return_value = _status()

    response = await _decide(
        client, {"approver": "Manager@Example.com", "decision": "approve", "comment": "ok"}
    )

    assert response.status_code == 202
    body = _json(response)
    assert body["stage"] == 1
    assert body["eventName"] == "decision-stage-1"
    assert body["statusUrl"] == f"{PUBLIC_ORIGIN}/api/instances/{INSTANCE}"
    assert response.headers["Location"] == body["statusUrl"]
    client.raise_event.assert_awaited_once()
    instance_id, event_name, payload = client.raise_event.call_args.args
    assert (instance_id, event_name) == (INSTANCE, "decision-stage-1")
    assert payload == {
        "stage": 1,
        "decision": "approve",
        "comment": "ok",
        "identitySource": "request_body",
    }


async def test_a_principal_header_is_ignored_without_platform_authentication(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEBSITE_AUTH_ENABLED", raising=False)
    client.get_status.return_value = _status()

    response = await _decide(
        client,
        {"approver": MANAGER, "decision": "approve"},
        headers={"X-MS-CLIENT-PRINCIPAL-NAME": "mallory@example.com"},
    )

    assert response.status_code == 202
    payload = client.raise_event.call_args.args[2]
    assert payload["identitySource"] == "request_body"


async def test_a_spoofed_principal_alone_does_not_identify_anyone(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEBSITE_AUTH_ENABLED", "false")
    client.get_status.return_value = _status()

    response = await _decide(
        client, {"decision": "approve"}, headers={"X-MS-CLIENT-PRINCIPAL-NAME": MANAGER}
    )

    assert response.status_code == 400
    client.raise_event.assert_not_called()


@pytest.mark.usefixtures("platform_authentication")
async def test_the_signed_in_principal_is_preferred_over_the_body(client: Any) -> None:
    client.get_status.return_value = _status()

    response = await _decide(
        client, {"decision": "reject"}, headers={"X-MS-CLIENT-PRINCIPAL-NAME": MANAGER}
    )

    assert response.status_code == 202
    payload = client.raise_event.call_args.args[2]
    assert payload["stage"] == 1
    assert payload["identitySource"] == "principal"


@pytest.mark.usefixtures("platform_authentication")
async def test_with_authentication_a_decision_without_the_principal_is_401(client: Any) -> None:
    """The body's approver never stands in for the signed-in user."""
    client.get_status.return_value = _status()

    response = await _decide(client, {"approver": MANAGER, "decision": "approve"})

    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    client.raise_event.assert_not_called()


@pytest.mark.usefixtures("platform_authentication")
@pytest.mark.parametrize(
    ("principal", "status"),
    [
        ("MANAGER@Example.COM", 202),  # ASCII case is not identity
        ("manager@example.com ", 202),
        (f"mana{LONG_S}er@example.com", 403),  # casefold() would make it "manaser"
        (f"{FULLWIDTH_MANAGER}@example.com", 403),  # NFKC would make it "MANAGER"
        ("manager@example.com.evil", 403),
    ],
)
async def test_principals_compare_exactly_after_ascii_lowercasing(
    client: Any, parties: dict[str, ApprovalParties], principal: str, status: int
) -> None:
    parties[INSTANCE] = ApprovalParties(
        requester=REQUESTER,
        approvers=["manaser@example.com" if LONG_S in principal else MANAGER],
        requester_source=IdentitySource.PRINCIPAL,
    )
    client.get_status.return_value = _status()

    response = await _decide(client, {"decision": "approve"}, headers={PRINCIPAL: principal})

    assert response.status_code == status


@pytest.mark.usefixtures("platform_authentication")
async def test_a_body_approver_other_than_the_principal_is_403(client: Any) -> None:
    client.get_status.return_value = _status()

    response = await _decide(
        client,
        {"approver": MANAGER, "decision": "approve"},
        headers={"X-MS-CLIENT-PRINCIPAL-NAME": "mallory@example.com"},
    )

    assert response.status_code == 403
    client.raise_event.assert_not_called()


@pytest.mark.usefixtures("platform_authentication")
async def test_a_signed_in_principal_who_is_not_the_approver_is_403(client: Any) -> None:
    client.get_status.return_value = _status()

    response = await _decide(
        client, {"decision": "approve"}, headers={"X-MS-CLIENT-PRINCIPAL-NAME": "eve@example.com"}
    )

    assert response.status_code == 403


async def test_the_wrong_approver_is_403(client: Any) -> None:
    client.get_status.return_value = _status()

    response = await _decide(client, {"approver": DIRECTOR, "decision": "approve"})

    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "stage 1" in _json(response)["detail"]
    client.raise_event.assert_not_called()


async def test_without_principal_or_approver_the_approver_field_is_required(client: Any) -> None:
    client.get_status.return_value = _status()

    response = await _decide(client, {"decision": "approve"})

    assert response.status_code == 400
    assert [e["field"] for e in _json(response)["errors"]] == ["approver"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"approver": MANAGER, "decision": "maybe"}, "decision"),
        ({"approver": MANAGER}, "decision"),
        ({"approver": "x", "decision": "approve"}, "approver"),
        ({"approver": MANAGER, "decision": "approve", "comment": "c" * 1001}, "comment"),
    ],
)
async def test_invalid_decisions_are_400s(client: Any, body: dict[str, Any], field: str) -> None:
    response = await _decide(client, body)

    assert response.status_code == 400
    assert field in {e["field"] for e in _json(response)["errors"]}
    client.raise_event.assert_not_called()


async def test_a_malformed_instance_id_is_400(client: Any) -> None:
    response = await _decide(client, {"approver": MANAGER, "decision": "approve"}, "bad id!")

    assert response.status_code == 400
    client.get_status.assert_not_called()


async def test_an_unknown_instance_is_404(client: Any) -> None:
    client.get_status.return_value = DurableOrchestrationStatus()

    response = await _decide(client, {"approver": MANAGER, "decision": "approve"})

    assert response.status_code == 404


async def test_an_instance_of_another_orchestrator_is_404(client: Any) -> None:
    client.get_status.return_value = _status(name="order_saga")

    response = await _decide(client, {"approver": MANAGER, "decision": "approve"})

    assert response.status_code == 404
    client.raise_event.assert_not_called()


@pytest.mark.parametrize("runtime", ["Completed", "Failed", "Terminated"])
async def test_a_finished_approval_is_409(client: Any, runtime: str) -> None:
    client.get_status.return_value = _status(runtime=runtime)

    response = await _decide(client, {"approver": MANAGER, "decision": "approve"})

    assert response.status_code == 409
    assert runtime in _json(response)["detail"]
    client.raise_event.assert_not_called()


@pytest.mark.parametrize("custom", [None, {"unexpected": True}])
async def test_an_approval_not_yet_waiting_is_409_with_retry_after(
    client: Any, custom: Any
) -> None:
    client.get_status.return_value = _status(runtime="Pending", custom=custom)

    response = await _decide(client, {"approver": MANAGER, "decision": "approve"})

    assert response.status_code == 409
    assert response.headers["Retry-After"] == "1"


async def test_an_approval_decided_but_still_notifying_is_409(client: Any) -> None:
    decided = {**_status().custom_status, "state": "approved", "eventName": None}
    client.get_status.return_value = _status(custom=decided)

    response = await _decide(client, {"approver": MANAGER, "decision": "reject"})

    assert response.status_code == 409
    client.raise_event.assert_not_called()


async def test_an_approval_that_finishes_before_the_event_is_raised_is_409(client: Any) -> None:
    client.get_status.side_effect = [_status(), _status(runtime="Completed")]
    client.raise_event.side_effect = Exception("Instance with ID x is gone")

    response = await _decide(client, {"approver": MANAGER, "decision": "approve"})

    assert response.status_code == 409


async def test_an_unexplained_raise_failure_is_a_500_without_details(client: Any) -> None:
    client.get_status.return_value = _status()
    client.raise_event.side_effect = Exception("webhook returned 503 secret-detail")

    response = await _decide(client, {"approver": MANAGER, "decision": "approve"})

    assert response.status_code == 500
    assert "secret-detail" not in response.get_body().decode()


# --- GET /api/approvals/{instanceId} ------------------------------------------------------


async def _get(client: Any, instance_id: str = INSTANCE) -> func.HttpResponse:
    handler = client_function(approvals.get_expense_approval)
    request = _request("GET", f"approvals/{instance_id}", route_params={"instanceId": instance_id})
    response: func.HttpResponse = await handler(request, client)
    return response


async def test_get_shows_the_waiting_stage(client: Any) -> None:
    client.get_status.return_value = _status()

    response = await _get(client)

    assert response.status_code == 200
    body = _json(response)
    assert body["runtimeStatus"] == "Running"
    assert body["status"]["eventName"] == "decision-stage-1"
    assert body["result"] is None
    assert (body["requester"], body["approvers"]) == (REQUESTER, [MANAGER, DIRECTOR])


async def test_an_approval_without_stored_parties_is_404(
    client: Any, parties: dict[str, ApprovalParties]
) -> None:
    del parties[INSTANCE]
    client.get_status.return_value = _status()

    assert (await _get(client)).status_code == 404
    assert (await _decide(client, {"approver": MANAGER, "decision": "approve"})).status_code == 404
    client.raise_event.assert_not_called()


async def test_get_shows_the_outcome(client: Any) -> None:
    output = {
        "outcome": "expired",
        "approvalId": INSTANCE,
        "amount": "420.50",
        "currency": "EUR",
        "description": "Conference ticket",
        "requesterSource": "request_body",
        "identityVerified": False,
        "stages": [],
        "requesterNotified": True,
        "completedAt": "2026-01-11T09:00:00Z",
    }
    client.get_status.return_value = _status(runtime="Completed", output=output)

    body = _json(await _get(client))

    assert body["result"]["outcome"] == "expired"
    assert body["result"]["identityVerified"] is False


@pytest.mark.parametrize("status", [DurableOrchestrationStatus(), _status(name="health_monitor")])
async def test_get_of_an_unknown_or_foreign_instance_is_404(
    client: Any, status: DurableOrchestrationStatus
) -> None:
    client.get_status.return_value = status

    assert (await _get(client)).status_code == 404
