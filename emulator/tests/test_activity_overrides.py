"""Activity overrides: fakes answer chosen activities; the orchestrator runs in the real SDK."""

from __future__ import annotations

import json
from typing import Any

import pytest

from durable_localhost import EmulatorServer, UnknownActivity, fails_then
from durable_webhooks import Durable, StartApp

pytestmark = pytest.mark.emulator

TASK_SCHEDULED, TASK_FAILED = 4, 6
#: The chain app names its task hub after this setting.
CHAIN = {"HUB": "Overrides"}
FLAKY_FAILED = "Activity function 'flaky' failed:"


def _scheduled(history: list[dict[str, Any]], name: str) -> int:
    return sum(1 for e in history if e["EventType"] == TASK_SCHEDULED and e["Name"] == name)


def test_sync_and_async_fakes_answer_with_the_json_they_return(start_app: StartApp) -> None:
    async def hi(name: str) -> dict[str, str]:
        return {"hi": name}

    server = start_app(
        "chain",
        settings=CHAIN,
        activity_overrides={"hello": lambda value: f"fake({value})", "hello_async": hi},
    )
    durable = Durable(server)

    instance_id = durable.start("chain", {"city": "Tokyo"})
    server.wait_idle()

    first = "fake({'city': 'Tokyo'})"
    assert durable.body(instance_id)["output"] == f"fake({{'hi': {first!r}}})"
    assert server.activities.calls() == [
        ("hello", {"city": "Tokyo"}),
        ("hello_async", first),
        ("hello", {"hi": first}),
    ]
    assert server.activities.calls("hello_async") == [first]


def _first_failure(server: EmulatorServer) -> dict[str, Any]:
    durable = Durable(server)
    instance_id = durable.start("retrying", {"fail_times": 5})
    server.wait_idle()
    history = durable.history(instance_id)
    server.stop()  # one host per process at a time
    return next(e for e in history if e["EventType"] == TASK_FAILED)


def test_a_raising_fake_fails_the_task_with_the_texts_a_raising_activity_gives(
    start_app: StartApp,
) -> None:
    def refuse(value: Any) -> Any:
        raise ValueError("attempt 1 failed")

    faked = _first_failure(start_app("retries", activity_overrides={"flaky": refuse}))
    real = _first_failure(start_app("retries"))

    reason = f"{FLAKY_FAILED}  ValueError: attempt 1 failed"
    assert faked["Reason"] == real["Reason"] == reason
    assert json.loads(faked["Details"])["Message"] == json.loads(real["Details"])["Message"]


@pytest.mark.parametrize(
    ("failures", "result", "attempts"),
    [
        (1, "faked 0", 2),
        (2, "gave up: Activity function 'flaky' failed:  ConnectionError: busy", 2),
    ],
)
def test_a_fake_failing_n_times_drives_the_retry_policy(
    start_app: StartApp, failures: int, result: str, attempts: int
) -> None:
    flaky = fails_then(failures, ConnectionError("busy"), lambda value: f"faked {value}")
    server = start_app("retries", activity_overrides={"flaky": flaky})
    durable = Durable(server)

    instance_id = durable.start("retrying", {"fail_times": 0})
    server.wait_idle()

    output = durable.body(instance_id)["output"]
    assert (output["result"].strip(), output["after"]) == (result, "after")
    assert _scheduled(durable.history(instance_id), "flaky") == attempts
    assert server.activities.calls("flaky") == [0] * attempts


def test_fakes_are_set_and_cleared_while_the_host_runs(start_app: StartApp) -> None:
    server = start_app("chain", settings=CHAIN)
    durable = Durable(server)

    server.activities.set("hello", lambda value: "fake")
    first = durable.start("chain", {"city": "Oslo"})
    server.wait_idle()
    server.activities.clear("hello")
    second = durable.start("chain", {"city": "Oslo"})
    server.wait_idle()

    assert durable.body(first)["output"] == "fake"
    assert durable.body(second)["output"] == "Hello Hi Hello {'city': 'Oslo'}"


def test_a_fake_for_an_activity_the_app_lacks_is_refused(start_app: StartApp) -> None:
    with pytest.raises(UnknownActivity, match="helo"):
        start_app("chain", settings=CHAIN, activity_overrides={"helo": lambda value: None})
    server = start_app("chain", settings=CHAIN)
    with pytest.raises(UnknownActivity, match="hello_sync"):
        server.activities.set("hello_sync", lambda value: None)


def test_a_fake_returning_what_json_cannot_hold_fails_the_activity(start_app: StartApp) -> None:
    server = start_app("retries", activity_overrides={"flaky": lambda value: {1, 2}})
    durable = Durable(server)

    instance_id = durable.start("retrying", {"fail_times": 0})
    server.wait_idle()

    result = durable.body(instance_id)["output"]["result"]
    assert "failed:  TypeError: Object of type set is not JSON serializable" in result
