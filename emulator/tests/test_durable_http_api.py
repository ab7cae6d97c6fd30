"""Status codes and bodies of the Durable HTTP API, as the SDK and webhook callers see them."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from durable_webhooks import Durable, StartApp

pytestmark = pytest.mark.emulator

START = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def durable(start_app: StartApp) -> Durable:
    return Durable(start_app("events", start_time=START, paused=True))


def test_unknown_instance_is_404_with_an_empty_body(durable: Durable) -> None:
    for response in (
        durable.status("missing"),
        durable.raise_event("missing", "decision", 1),
        durable.post("/instances/missing/terminate"),
        durable.post("/instances/missing/suspend"),
        durable.http.delete("/instances/missing"),
    ):
        assert response.status_code == 404
        assert response.content == b""


def test_wrong_methods_are_404_with_no_body_as_the_extension_answers(durable: Durable) -> None:
    for method, path in (
        ("PUT", "/instances"),
        ("POST", "/instances/x"),
        ("GET", "/instances/x/terminate"),
        ("GET", "/orchestrators/approval"),
        ("PATCH", "/entities/counter/one"),
        ("GET", "/no-such-route"),
    ):
        response = durable.http.request(method, path)
        assert (method, path, response.status_code, response.content) == (method, path, 404, b"")


def test_running_instance_is_202_with_location(durable: Durable) -> None:
    instance_id = durable.start("approval")
    durable.server.wait_idle()

    response = durable.status(instance_id)

    assert response.status_code == 202
    assert response.headers["Location"].endswith(
        f"/runtime/webhooks/durabletask/instances/{instance_id}?taskHub=TestHubName&connection=Storage"
    )
    assert response.headers["Retry-After"] == "5"
    assert response.json()["runtimeStatus"] == "Running"


def test_finished_instance_is_200_and_rejects_events_with_410(durable: Durable) -> None:
    instance_id = durable.start("approval")
    durable.server.clock.advance(timedelta(hours=72))

    assert durable.status(instance_id).status_code == 200
    gone = durable.raise_event(instance_id, "decision", True)
    assert gone.status_code == 410
    assert gone.content == b""
    assert durable.post(f"/instances/{instance_id}/terminate").status_code == 410


def test_raise_event_requires_json_content(durable: Durable) -> None:
    instance_id = durable.start("approval")

    response = durable.http.post(f"/instances/{instance_id}/raiseEvent/decision", content=b"yes")

    assert response.status_code == 400
    assert "application/json" in response.json()["ExceptionMessage"]


def test_start_with_explicit_id_and_status_flags(durable: Durable) -> None:
    instance_id = durable.start("approval", {"who": "ada"}, instance_id="fixed-id")
    durable.server.wait_idle()

    assert instance_id == "fixed-id"
    without_input = durable.body(instance_id, showInput="false")
    with_history = durable.body(instance_id, showHistory="True", showHistoryOutput="True")
    assert without_input["input"] is None
    assert with_history["input"] == {"who": "ada"}
    kinds = [e["EventType"] for e in with_history["historyEvents"]]
    assert kinds == ["ExecutionStarted", "TimerCreated"]


def test_suspended_instance_queues_events_until_resumed(durable: Durable) -> None:
    instance_id = durable.start("approval")
    durable.server.wait_idle()

    assert durable.post(f"/instances/{instance_id}/suspend", reason="hold").status_code == 202
    assert durable.raise_event(instance_id, "decision", "late yes").status_code == 202
    durable.server.wait_idle()
    suspended = durable.status(instance_id)
    assert suspended.status_code == 202
    assert suspended.json()["runtimeStatus"] == "Suspended"

    assert durable.post(f"/instances/{instance_id}/resume", reason="go").status_code == 202
    durable.server.wait_idle()
    assert durable.body(instance_id)["output"] == {
        "outcome": "decided",
        "decision": "late yes",
    }
    kinds = [e["EventType"] for e in durable.history(instance_id)]
    assert kinds.index(19) < kinds.index(20) < kinds.index(15)


def test_list_and_purge_by_filter(durable: Durable) -> None:
    first = durable.start("approval", instance_id="a-1")
    durable.start("approval", instance_id="a-2")
    durable.start("approval", instance_id="b-1")
    durable.post(f"/instances/{first}/terminate")
    durable.server.wait_idle()

    listed = durable.http.get("/instances/", params={"instanceIdPrefix": "a-"}).json()
    assert sorted(i["instanceId"] for i in listed) == ["a-1", "a-2"]
    paged = durable.http.get("/instances/", params={"top": "2"})
    assert len(paged.json()) == 2
    assert paged.headers["x-ms-continuation-token"] == "2"

    no_from = durable.http.delete("/instances/")
    assert (no_from.status_code, no_from.json()) == (
        400,
        "Please provide value for 'createdTimeFrom' parameter.",
    )
    since = {"createdTimeFrom": "2000-01-01T00:00:00Z", "runtimeStatus": "Terminated"}
    purged = durable.http.delete("/instances/", params=since)
    assert purged.json() == {"instancesDeleted": 1}
    assert durable.http.delete("/instances/", params=since).status_code == 404


def test_purging_a_running_instance_deletes_nothing(durable: Durable) -> None:
    instance_id = durable.start("approval", instance_id="live")
    durable.server.wait_idle()

    response = durable.http.delete(f"/instances/{instance_id}")

    assert response.status_code == 200
    assert response.json() == {"instancesDeleted": 0}
    assert durable.body(instance_id)["runtimeStatus"] == "Running"
    durable.post(f"/instances/{instance_id}/terminate")
    assert durable.http.delete(f"/instances/{instance_id}").json() == {"instancesDeleted": 1}


def test_start_with_a_body_that_is_not_json_is_400_invalid_json_content(durable: Durable) -> None:
    response = durable.http.post("/orchestrators/approval/plain", content=b"hello there")

    assert response.status_code == 400
    assert response.json()["Message"] == "Invalid JSON content"
    assert durable.status("plain").status_code == 404
    blank = durable.http.post("/orchestrators/approval/blank", content=b"  ")
    assert blank.status_code == 202
    durable.server.wait_idle()
    assert durable.body("blank")["input"] is None


def test_starting_over_a_running_instance_is_refused_as_the_host_does(durable: Durable) -> None:
    durable.start("approval", {"who": "ada"}, instance_id="once")
    durable.server.wait_idle()

    again = durable.http.post("/orchestrators/approval/once", json={"who": "bo"})

    assert again.status_code == 500
    assert again.json()["ExceptionMessage"] == (
        "An Orchestration instance with the status Running already exists."
    )
    assert durable.body("once")["input"] == {"who": "ada"}
    durable.post("/instances/once/terminate")
    assert durable.start("approval", {"who": "bo"}, instance_id="once") == "once"


def test_restart_keeps_the_input_and_can_reuse_the_id(durable: Durable) -> None:
    durable.start("approval", {"who": "bo"}, instance_id="r-1")
    durable.server.wait_idle()

    live = durable.post("/instances/r-1/restart", restartWithNewInstanceId="false")
    assert live.status_code == 500
    assert "already exists" in live.json()["ExceptionMessage"]
    durable.post("/instances/r-1/terminate")
    same = durable.post("/instances/r-1/restart", restartWithNewInstanceId="false")
    assert same.status_code == 202
    assert same.json()["id"] == "r-1"
    fresh = durable.post("/instances/r-1/restart")
    assert fresh.json()["id"] != "r-1"
    unknown = durable.post("/instances/none/restart")
    assert unknown.status_code == 400
    assert unknown.json()["ExceptionMessage"] == (
        "An orchestrastion with the instanceId none was not found."  # sic, the client's text
    )
    durable.server.wait_idle()
    assert durable.body(fresh.json()["id"])["input"] == {"who": "bo"}


@pytest.mark.parametrize(
    ("quoted_id", "message"),
    [
        ("@approval", "instanceId (Parameter 'Orchestration instance ids must not start with @.')"),
        *(
            (
                quoted,
                "instanceId (Parameter 'Orchestration instance ids must not contain /, \\, #, ?, "
                "or control characters.')",
            )
            for quoted in ("a%23b", "a%3Fb", "a%5Cb", "a%01b")
        ),
        ("x" * 257, "Instance ID lengths must not exceed 256 characters."),
    ],
)
def test_start_with_an_instance_id_the_host_refuses_is_400_naming_the_rule(
    durable: Durable, quoted_id: str, message: str
) -> None:
    response = durable.http.post(f"/orchestrators/approval/{quoted_id}", json={"who": "ada"})

    assert response.status_code == 400
    assert response.json() == {
        "Message": "One or more of the arguments submitted is incorrect",
        "ExceptionMessage": message,
        "ExceptionType": "System.ArgumentException",
    }
    assert durable.http.get("/instances").json() == []


def test_starting_an_unknown_orchestrator_over_a_running_id_names_the_function(
    durable: Durable,
) -> None:
    # StartNewAsync checks the function before it looks for an existing instance.
    durable.start("approval", {"who": "ada"}, instance_id="busy")
    durable.server.wait_idle()

    response = durable.http.post("/orchestrators/nope/busy")

    assert response.status_code == 400
    assert response.json()["ExceptionMessage"].startswith("The function 'nope' doesn't exist")


def test_any_state_lets_a_start_and_a_restart_replace_a_running_instance(
    start_app: StartApp,
) -> None:
    setting = "AzureFunctionsJobHost__extensions__durableTask__overridableExistingInstanceStates"
    durable = Durable(
        start_app("events", start_time=START, paused=True, settings={setting: "anyState"})
    )
    durable.start("approval", {"who": "ada"}, instance_id="once")
    durable.server.wait_idle()
    first_execution = durable.instance("once").execution_id

    again = durable.http.post("/orchestrators/approval/once", json={"who": "bo"})
    durable.server.wait_idle()

    assert again.status_code == 202
    assert durable.body("once")["input"] == {"who": "bo"}
    assert durable.instance("once").execution_id != first_execution
    restarted = durable.post("/instances/once/restart", restartWithNewInstanceId="false")
    assert restarted.status_code == 202


def test_replacing_an_instance_mid_episode_drops_the_terminate_queued_for_it(
    start_app: StartApp, tmp_path: Path
) -> None:
    # A terminate sent while an episode runs waits for the episode; if a start replaces the
    # instance meanwhile (AnyState), the terminate belonged to the replaced one.
    setting = "AzureFunctionsJobHost__extensions__durableTask__overridableExistingInstanceStates"
    durable = Durable(start_app("events", start_time=START, settings={setting: "AnyState"}))
    first_gate, second_gate = tmp_path / "first", tmp_path / "second"
    second_gate.touch()
    durable.start("gated", {"gate": str(first_gate)}, instance_id="g")
    for _ in range(1000):
        if durable.instance("g").running:
            break
        time.sleep(0.01)
    else:
        pytest.fail("the first episode never started")

    assert durable.post("/instances/g/terminate", reason="old one").status_code == 202
    durable.start("gated", {"gate": str(second_gate)}, instance_id="g")
    first_gate.touch()
    assert durable.server.wait_idle()

    status = durable.body("g", showHistory="true")
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == str(second_gate)
    assert [e["EventType"] for e in status["historyEvents"]].count("ExecutionStarted") == 1
    assert "ExecutionTerminated" not in [e["EventType"] for e in status["historyEvents"]]
