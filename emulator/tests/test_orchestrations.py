"""Activity chains, orchestrator and activity failures, unknown functions, name overrides."""

from __future__ import annotations

import httpx
import pytest

from durable_webhooks import Durable, StartApp

pytestmark = pytest.mark.emulator


def test_chain_of_sync_and_async_activities_through_the_sdk_client(start_app: StartApp) -> None:
    server = start_app("chain", settings={"HUB": "ChainHub"})

    started = httpx.post(f"{server.api_url}/start/chain", json={"city": "Tokyo"})
    assert started.status_code == 202
    assert server.wait_idle()
    status = httpx.get(started.json()["statusQueryGetUri"]).json()

    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == "Hello Hi Hello {'city': 'Tokyo'}"
    assert "taskHub=ChainHub" in started.json()["statusQueryGetUri"]


def test_orchestrator_exception_fails_the_instance_with_the_hosts_reason(
    start_app: StartApp,
) -> None:
    durable = Durable(start_app("failures"))

    instance_id = durable.start("explodes")
    durable.server.wait_idle()
    status = durable.body(instance_id)

    assert status["runtimeStatus"] == "Failed"
    assert status["output"] == "Orchestrator function 'explodes' failed: orchestrator boom"
    assert status["customStatus"] == {"phase": "before"}


def test_activity_failure_reaches_the_orchestrator_in_the_hosts_layout(start_app: StartApp) -> None:
    durable = Durable(start_app("failures"))

    instance_id = durable.start("catches")
    durable.server.wait_idle()
    output = durable.body(instance_id)["output"]

    reason, _, details = output.partition(" \n ")
    assert reason == "Activity function 'broken' failed:  KeyError: 'missing x'"
    assert '"ClassName": "System.Exception"' in details


def test_unknown_activity_fails_the_orchestration(start_app: StartApp) -> None:
    durable = Durable(start_app("failures"))

    instance_id = durable.start("calls_missing")
    durable.server.wait_idle()
    status = durable.body(instance_id)

    assert status["runtimeStatus"] == "Failed"
    assert status["output"].startswith(
        "Orchestrator function 'calls_missing' failed: The function 'does_not_exist' "
        "doesn't exist, is disabled, or is not an activity function."
    )


def test_unknown_orchestrator_is_a_400_with_the_hosts_message(start_app: StartApp) -> None:
    durable = Durable(start_app("failures"))

    response = durable.http.post("/orchestrators/nope", json=None)

    assert response.status_code == 400
    assert response.json()["ExceptionMessage"].startswith("The function 'nope' doesn't exist")


def test_non_generator_orchestrator_returns_its_value(start_app: StartApp) -> None:
    durable = Durable(start_app("failures"))

    # A double-encoded string, as the SDK client sends it.
    instance_id = durable.start("not_a_generator", '"x"')
    durable.server.wait_idle()

    assert durable.body(instance_id)["output"] == "plain x"


def test_webhook_start_with_a_plain_json_string_cannot_be_decoded_by_get_input(
    start_app: StartApp,
) -> None:
    """Pinned (protocol page 2.1): the context input is the parsed body; a bare string is not
    JSON text, so the SDK's ``get_input`` fails exactly as it would on the real host."""
    durable = Durable(start_app("failures"))

    instance_id = durable.start("not_a_generator", "x")
    durable.server.wait_idle()
    status = durable.body(instance_id)

    assert status["runtimeStatus"] == "Failed"
    assert "JSONDecodeError" in status["output"]


def test_orchestration_and_activity_name_overrides(start_app: StartApp) -> None:
    durable = Durable(start_app("failures"))

    instance_id = durable.start("Renamed")
    durable.server.wait_idle()

    assert durable.body(instance_id)["output"] == 42
    assert durable.http.post("/orchestrators/renamed_orchestrator").status_code == 400


def test_event_ids_and_history_shape(start_app: StartApp) -> None:
    durable = Durable(start_app("chain", settings={"HUB": "HarnessHub"}))

    instance_id = durable.start("chain", '"Oslo"')
    durable.server.wait_idle()
    history = durable.history(instance_id)

    scheduled = [e for e in history if e["EventType"] == 4]
    completed = [e for e in history if e["EventType"] == 5]
    assert [e["EventId"] for e in scheduled] == [0, 1, 2]
    assert [e["TaskScheduledId"] for e in completed] == [0, 1, 2]
    assert scheduled[0]["Input"] == '["\\"Oslo\\""]'
    assert history[0]["EventType"] == 12
    assert history[1]["EventType"] == 0
    assert history[-1]["EventType"] == 1
    assert history[-1]["Result"] == '"Hello Hi Hello Oslo"'
