"""Health monitor routes in-process with a mocked durable client: every 2xx/400/404/409 path."""

from __future__ import annotations

import json
import re
from typing import Any

import azure.functions as func
import pytest
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus
from azure.durable_functions.models.OrchestrationRuntimeStatus import OrchestrationRuntimeStatus

from api import health_monitors
from tests.http.samples import PUBLIC_ORIGIN
from tests.support.functions import client_function

BASE = "http://localhost:7071/api"
ALLOWLIST = json.dumps({"shop": "https://shop.example.com/health", "payments": "http://pay/h"})


@pytest.fixture(autouse=True)
def _allowlist(app_settings: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    app_settings.setenv("HEALTH_MONITOR_ALLOWLIST", ALLOWLIST)
    app_settings.setenv("HEALTH_CHECK_INTERVAL_SECONDS", "120")
    app_settings.setenv("HEALTH_ALERT_THRESHOLD", "4")
    app_settings.setenv("OPERATIONS_EMAIL", "oncall@example.com")
    return app_settings


def _status(runtime: str, name: str = "health_monitor", **extra: Any) -> DurableOrchestrationStatus:
    return DurableOrchestrationStatus(
        name=name,
        instanceId="health-monitor-shop",
        createdTime="2026-01-05T09:00:00Z",
        runtimeStatus=OrchestrationRuntimeStatus(runtime),
        **extra,
    )


def _request(method: str, path: str, body: Any = None, name: str | None = None) -> func.HttpRequest:
    return func.HttpRequest(
        method,
        f"{BASE}/{path}",
        headers={"content-type": "application/json"},
        body=b"" if body is None else json.dumps(body).encode(),
        route_params={"name": name} if name is not None else {},
    )


def _json(response: func.HttpResponse) -> Any:
    return json.loads(response.get_body())


async def _start(client: Any, body: Any) -> func.HttpResponse:
    handler = client_function(health_monitors.start_health_monitor)
    response: func.HttpResponse = await handler(_request("POST", "health-monitors", body), client)
    return response


# --- POST /api/health-monitors ------------------------------------------------------------


async def test_start_uses_the_singleton_id_and_the_settings_defaults(client: Any) -> None:
    response = await _start(client, {"name": "shop"})

    assert response.status_code == 202
    assert _json(response)["id"] == "health-monitor-shop"
    assert response.headers["Location"] == f"{PUBLIC_ORIGIN}/api/instances/health-monitor-shop"
    name, instance_id, state = client.start_new.call_args.args
    assert (name, instance_id) == ("health_monitor", "health-monitor-shop")
    run_id = state["runId"]  # minted per start: the business identity of this run's effects
    assert re.fullmatch(r"[0-9a-f]{12}", run_id)
    assert state == {
        "name": "shop",
        "generation": 1,
        "runId": run_id,
        "intervalSeconds": 120,
        "alertThreshold": 4,
        "consecutiveFailures": 0,
        "alertOpen": False,
        "alertOpenedAt": None,
        "checksTotal": 0,
        "lastCheck": None,
        "lastHealthyAt": None,
        "startedAt": None,
    }
    assert "https://" not in json.dumps(state), "the URL never enters the orchestration"


async def test_start_takes_interval_and_threshold_from_the_request(client: Any) -> None:
    await _start(client, {"name": "payments", "intervalSeconds": 5, "alertThreshold": 2})

    state = client.start_new.call_args.args[2]
    assert (state["intervalSeconds"], state["alertThreshold"]) == (5, 2)


async def test_a_name_outside_the_allow_list_is_400_naming_name(client: Any) -> None:
    response = await _start(client, {"name": "intranet"})

    assert response.status_code == 400
    [error] = _json(response)["errors"]
    assert error["field"] == "name"
    assert "payments, shop" in error["message"]
    client.start_new.assert_not_called()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "http://169.254.169.254/"}, "name"),
        ({"url": "http://169.254.169.254/", "name": "shop"}, "url"),
        ({}, "name"),
        ({"name": "shop", "intervalSeconds": 0}, "intervalSeconds"),
        ({"name": "shop", "intervalSeconds": 86_401}, "intervalSeconds"),
        ({"name": "shop", "alertThreshold": 0}, "alertThreshold"),
        ({"name": "shop", "alertThreshold": 101}, "alertThreshold"),
    ],
)
async def test_invalid_start_requests_are_400s(
    client: Any, body: dict[str, Any], field: str
) -> None:
    response = await _start(client, body)

    assert response.status_code == 400
    assert field in {e["field"] for e in _json(response)["errors"]}
    client.start_new.assert_not_called()


@pytest.mark.parametrize("runtime", ["Running", "Pending", "ContinuedAsNew", "Suspended"])
async def test_a_running_monitor_is_409(client: Any, runtime: str) -> None:
    client.get_status.return_value = _status(runtime)

    response = await _start(client, {"name": "shop"})

    assert response.status_code == 409
    assert response.headers["Location"] == f"{PUBLIC_ORIGIN}/api/instances/health-monitor-shop"
    client.start_new.assert_not_called()


@pytest.mark.parametrize("runtime", ["Completed", "Failed", "Terminated"])
async def test_a_finished_monitor_is_replaced(client: Any, runtime: str) -> None:
    client.get_status.return_value = _status(runtime)

    response = await _start(client, {"name": "shop"})

    assert response.status_code == 202
    client.start_new.assert_awaited_once()


async def test_a_start_that_loses_a_race_is_409(client: Any) -> None:
    client.get_status.side_effect = [DurableOrchestrationStatus(), _status("Running")]
    client.start_new.side_effect = Exception("An Orchestration instance already exists")

    response = await _start(client, {"name": "shop"})

    assert response.status_code == 409


# --- DELETE /api/health-monitors/{name} ---------------------------------------------------


async def _stop(client: Any, name: str = "shop") -> func.HttpResponse:
    handler = client_function(health_monitors.stop_health_monitor)
    request = _request("DELETE", f"health-monitors/{name}", name=name)
    response: func.HttpResponse = await handler(request, client)
    return response


async def test_stop_raises_the_stop_event(client: Any) -> None:
    client.get_status.return_value = _status("Running")

    response = await _stop(client)

    assert response.status_code == 202
    instance_id, event_name, payload = client.raise_event.call_args.args
    assert (instance_id, event_name) == ("health-monitor-shop", "stop")
    assert "requestedAt" in payload


@pytest.mark.parametrize(
    "status",
    [
        DurableOrchestrationStatus(),
        _status("Completed"),
        _status("Terminated"),
        _status("Running", name="expense_approval"),
    ],
)
async def test_stopping_a_monitor_that_does_not_run_is_404(
    client: Any, status: DurableOrchestrationStatus
) -> None:
    client.get_status.return_value = status

    response = await _stop(client)

    assert response.status_code == 404
    client.raise_event.assert_not_called()


async def test_stop_of_a_monitor_that_ends_meanwhile_is_404(client: Any) -> None:
    client.get_status.side_effect = [_status("Running"), _status("Completed")]
    client.raise_event.side_effect = Exception("gone")

    assert (await _stop(client)).status_code == 404


async def test_stop_with_a_malformed_name_is_400(client: Any) -> None:
    response = await _stop(client, name="Bad/Name")

    assert response.status_code == 400
    client.get_status.assert_not_called()


# --- GET /api/health-monitors/{name} ------------------------------------------------------


async def _get(client: Any, name: str = "shop") -> func.HttpResponse:
    handler = client_function(health_monitors.get_health_monitor)
    request = _request("GET", f"health-monitors/{name}", name=name)
    response: func.HttpResponse = await handler(request, client)
    return response


async def test_get_shows_the_monitor_state(client: Any) -> None:
    custom = {
        "phase": "waiting",
        "name": "shop",
        "generation": 7,
        "intervalSeconds": 60,
        "alertThreshold": 3,
        "consecutiveFailures": 3,
        "alertOpen": True,
        "checksTotal": 7,
        "nextCheckAt": "2026-01-05T09:07:00Z",
    }
    client.get_status.return_value = _status("Running", customStatus=custom)

    response = await _get(client)

    assert response.status_code == 200
    body = _json(response)
    assert body["runtimeStatus"] == "Running"
    assert body["status"]["generation"] == 7
    assert body["status"]["alertOpen"] is True
    assert body["result"] is None


async def test_get_of_an_unknown_monitor_is_404(client: Any) -> None:
    assert (await _get(client)).status_code == 404


async def test_get_with_a_malformed_name_is_400(client: Any) -> None:
    assert (await _get(client, "UPPER")).status_code == 400
