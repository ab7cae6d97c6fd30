"""Every DurableOrchestrationClient call the app uses, through the real SDK client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from durable_localhost.testing import EmulatorServer
from durable_webhooks import StartApp

pytestmark = pytest.mark.emulator


@pytest.fixture
def server(start_app: StartApp) -> EmulatorServer:
    return start_app("client_ops", paused=True)


@pytest.fixture
def api(server: EmulatorServer) -> httpx.Client:
    return httpx.Client(base_url=server.api_url, timeout=30)


def _start(api: httpx.Client, server: EmulatorServer, instance_id: str = "") -> str:
    response = api.post(f"/orchestrators/waiter/{instance_id}", json={"n": 1})
    assert response.status_code == 202
    server.wait_idle()
    return str(response.json()["id"])


def test_start_new_and_check_status_response(api: httpx.Client, server: EmulatorServer) -> None:
    response = api.post("/orchestrators/waiter/my-id", json={"n": 1})

    assert response.status_code == 202
    body = response.json()
    assert body["id"] == "my-id"
    assert response.headers["Location"] == body["statusQueryGetUri"]
    assert body["statusQueryGetUri"].startswith(f"{server.base_url}/runtime/webhooks/durabletask")
    assert set(body) >= {"sendEventPostUri", "terminatePostUri", "rewindPostUri", "restartPostUri"}


def test_get_status_with_history_and_custom_status(
    api: httpx.Client, server: EmulatorServer
) -> None:
    instance_id = _start(api, server)

    status = api.get(f"/instances/{instance_id}").json()

    assert status["found"] is True
    assert status["runtimeStatus"] == "Running"
    assert status["customStatus"] == {"stage": "waiting"}
    assert status["input"] == '{"n": 1}'
    assert [e["EventType"] for e in status["history"]] == ["ExecutionStarted"]


def test_get_status_of_unknown_instance_is_falsy(api: httpx.Client) -> None:
    assert api.get("/instances/nope").status_code == 404


def test_raise_event_completes_the_instance(api: httpx.Client, server: EmulatorServer) -> None:
    instance_id = _start(api, server)

    api.post(f"/instances/{instance_id}/raise", params={"event": "go"}, json=5)
    server.wait_idle()

    status = api.get(f"/instances/{instance_id}").json()
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == {"received": "5", "input": {"n": 1}}
    history = [e["EventType"] for e in status["history"]]
    assert history == ["ExecutionStarted", "EventRaised", "ExecutionCompleted"]


def test_get_status_by_filters(api: httpx.Client, server: EmulatorServer) -> None:
    running = _start(api, server, "filter-running")
    done = _start(api, server, "filter-done")
    api.post(f"/instances/{done}/terminate")
    server.wait_idle()

    everything = api.get("/instances").json()
    only_running = api.get("/instances", params={"status": "Running"}).json()
    since = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    none_yet = api.get("/instances", params={"from": since}).json()

    assert everything == ["filter-done", "filter-running"]
    assert only_running == [running]
    assert none_yet == []


def test_terminate_suspend_resume_purge_restart(api: httpx.Client, server: EmulatorServer) -> None:
    instance_id = _start(api, server)

    assert api.post(f"/instances/{instance_id}/suspend").status_code == 202
    assert api.get(f"/instances/{instance_id}").json()["runtimeStatus"] == "Suspended"
    assert api.post(f"/instances/{instance_id}/resume").status_code == 202
    assert api.get(f"/instances/{instance_id}").json()["runtimeStatus"] == "Running"

    assert api.post(f"/instances/{instance_id}/terminate").status_code == 202
    server.wait_idle()
    status = api.get(f"/instances/{instance_id}").json()
    assert status["runtimeStatus"] == "Terminated"
    assert status["output"] == "stopped by test"

    # Pinned SDK quirk: restart() returns the host's check-status dict, not the new id.
    restarted_payload = api.post(f"/instances/{instance_id}/restart").json()["restarted"]
    server.wait_idle()
    restarted = restarted_payload["id"]
    assert restarted != instance_id
    assert api.get(f"/instances/{restarted}").json()["runtimeStatus"] == "Running"

    assert api.post(f"/instances/{instance_id}/purge").json() == {"deleted": 1}
    assert api.post(f"/instances/{instance_id}/purge").json() == {"deleted": 0}
    assert api.get(f"/instances/{instance_id}").status_code == 404


def test_the_sdk_client_meets_the_extensions_defaults_for_a_live_instance(
    api: httpx.Client, server: EmulatorServer
) -> None:
    instance_id = _start(api, server, "live-one")

    assert api.post(f"/instances/{instance_id}/purge").json() == {"deleted": 0}
    # start_new over a running id and rewind of a live instance raise in the function.
    assert api.post(f"/orchestrators/waiter/{instance_id}", json={"n": 2}).status_code == 500
    assert api.post(f"/instances/{instance_id}/rewind").status_code == 500
    status = api.get(f"/instances/{instance_id}").json()
    assert (status["runtimeStatus"], status["input"]) == ("Running", '{"n": 1}')  # client-encoded
