"""Sub-orchestrations: results, fan-out, default ids and failure propagation."""

from __future__ import annotations

import pytest

from durable_webhooks import Durable, StartApp

pytestmark = pytest.mark.emulator


def test_sub_orchestrations_complete_and_fail_like_the_host(start_app: StartApp) -> None:
    server = start_app("suborchestrations")
    durable = Durable(server)

    instance_id = durable.start("parent")
    server.wait_idle()
    status = durable.body(instance_id)

    assert status["runtimeStatus"] == "Completed"
    assert status["output"]["ok"] == 4
    assert status["output"]["many"] == [0, 2, 4]
    assert status["output"]["failure"].startswith(
        "Orchestrator function 'child' failed: child exploded"
    )
    execution_id = durable.instance(instance_id).execution_id
    created = [e for e in durable.history(instance_id) if e["EventType"] == 7]
    assert [e["InstanceId"] for e in created] == [
        f"{execution_id}:0",
        f"{execution_id}:1",
        f"{execution_id}:2",
        f"{execution_id}:3",
        "explicit-child",
    ]
    child = durable.body("explicit-child")
    assert child["runtimeStatus"] == "Failed"
    assert child["input"] == '{"fail": true, "n": 0}'


def test_sub_orchestration_with_retry_reschedules_a_new_child(start_app: StartApp) -> None:
    server = start_app("suborchestrations")
    durable = Durable(server)

    instance_id = durable.start("retrying_parent")
    server.wait_idle()
    history = durable.history(instance_id)

    assert durable.body(instance_id)["output"] == "child succeeded on attempt 2"
    execution_id = durable.instance(instance_id).execution_id
    created = [(e["EventId"], e["InstanceId"]) for e in history if e["EventType"] == 7]
    # attempt 1 = 0, retry timer = 1, attempt 2 = 2 (a new child instance)
    assert created == [(0, f"{execution_id}:0"), (2, f"{execution_id}:2")]
    assert [e["EventId"] for e in history if e["EventType"] == 10] == [1]
    assert durable.body(f"{execution_id}:0")["runtimeStatus"] == "Failed"


def test_falsy_custom_status_keeps_the_previous_value(start_app: StartApp) -> None:
    """Pinned (protocol page 2.3): the SDK drops a falsy customStatus from its answer, and the
    host only updates the custom status when the field is present."""
    server = start_app("suborchestrations")
    durable = Durable(server)

    instance_id = durable.start("status_setter")
    server.wait_idle()

    assert durable.body(instance_id)["customStatus"] == {"step": 1}


def test_terminating_a_sub_orchestration_fails_the_parents_call_with_the_reason(
    start_app: StartApp,
) -> None:
    # DTFx completes a terminated orchestration with its reason as the result and sends its
    # parent SubOrchestrationInstanceFailed for Terminated as for Failed (no details).
    server = start_app("suborchestrations")
    durable = Durable(server)
    instance_id = durable.start("waits_for_child")
    assert server.wait_idle()

    response = durable.post("/instances/waiting-child/terminate", reason="stopped by operator")
    assert response.status_code == 202
    assert server.wait_idle()

    assert durable.body("waiting-child")["runtimeStatus"] == "Terminated"
    status = durable.body(instance_id)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"]["failure"].startswith("stopped by operator")
    [failed] = [e for e in durable.history(instance_id) if e["EventType"] == 9]
    assert (failed["Reason"], failed["Details"]) == ("stopped by operator", None)
