"""Approval routes in-process with a mocked durable client: every 2xx/400/403/404/409 path."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
import pytest
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus
from azure.durable_functions.models.OrchestrationRuntimeStatus import OrchestrationRuntimeStatus

from api import approvals
from tests.http.conftest import PUBLIC_ORIGIN
from tests.support.functions import client_function

BASE = "http://localhost:7071/api"
MANAGER = "manager@example.com"
INSTANCE = "approval-0123456789abcdef0123456789abcdef"


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
            "approver": MANAGER,
            "eventName": "decision-stage-1",
            "deadline": "2026-01-08T09:00:00Z",
            "ignoredDecisions": 0,
            "requester": "ada@example.com",
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
        "requester": "ada@example.com",
        "amount": 420.5,
        "description": "Conference ticket",
        "approvers": [MANAGER, "director@example.com"],
        **overrides,
    }


async def _start(client: Any, body: Any) -> func.HttpResponse:
    handler = client_function(approvals.start_expense_approval)
    response: func.HttpResponse = await handler(_request("POST", "approvals", body), client)
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
    assert fields == {"requester", "amount", "description", "approvers"}


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
        "approver": MANAGER,
        "decision": "approve",
        "comment": "ok",
        "identitySource": "request_body",
    }


@pytest.fixture
def platform_authentication(monkeypatch: pytest.MonkeyPatch) -> None:
    """App Service Authentication is on: the platform vouches for the principal header."""
    monkeypatch.setenv("WEBSITE_AUTH_ENABLED", "True")


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
    assert payload["approver"] == MANAGER
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
    assert payload["approver"] == MANAGER
    assert payload["identitySource"] == "principal"


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

    response = await _decide(client, {"approver": "director@example.com", "decision": "approve"})

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


async def test_get_shows_the_outcome(client: Any) -> None:
    output = {
        "outcome": "expired",
        "requester": "ada@example.com",
        "amount": "420.50",
        "currency": "EUR",
        "description": "Conference ticket",
        "stages": [],
        "requesterNotified": True,
        "completedAt": "2026-01-11T09:00:00Z",
    }
    client.get_status.return_value = _status(runtime="Completed", output=output)

    body = _json(await _get(client))

    assert body["result"]["outcome"] == "expired"


@pytest.mark.parametrize("status", [DurableOrchestrationStatus(), _status(name="health_monitor")])
async def test_get_of_an_unknown_or_foreign_instance_is_404(
    client: Any, status: DurableOrchestrationStatus
) -> None:
    client.get_status.return_value = status

    assert (await _get(client)).status_code == 404
