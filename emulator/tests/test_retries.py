"""Retries are done by the host: retry timers, rescheduled attempts and the final dummy timer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from apps.retries import function_app as retries_app_module
from durable_localhost.timeutil import parse
from durable_webhooks import Durable, StartApp

pytestmark = pytest.mark.emulator

START = datetime(2030, 1, 1, tzinfo=UTC)


def _ids(history: list[dict[str, Any]], event_type: int, key: str = "EventId") -> list[int]:
    return [e[key] for e in history if e["EventType"] == event_type]


def _episode_start(history: list[dict[str, Any]], message: dict[str, Any]) -> datetime:
    """The OrchestratorStarted time of the episode that processed ``message``.

    DTFx's retry timers are set from the orchestration's current time, i.e. that episode's
    stamp (which the emulator keeps strictly increasing, so not the clock's time exactly).
    """
    before = history[: history.index(message)]
    started = [e for e in before if e["EventType"] == 12][-1]
    return parse(started["Timestamp"])


def test_retry_succeeds_on_the_second_attempt(start_app: StartApp) -> None:
    server = start_app("retries", start_time=START)
    durable = Durable(server)

    instance_id = durable.start("retrying", {"fail_times": 1})
    server.wait_idle()
    history = durable.history(instance_id)

    assert durable.body(instance_id)["output"] == {
        "result": "succeeded on attempt 2",
        "after": "after",
    }
    # attempt 1 = 0, retry timer = 1, attempt 2 = 2, then the next activity = 3
    assert _ids(history, 4) == [0, 2, 3]
    assert _ids(history, 10) == [1]
    timer = next(e for e in history if e["EventType"] == 10)
    failure = next(e for e in history if e["EventType"] == 6)
    assert parse(timer["FireAt"]) == _episode_start(history, failure) + timedelta(seconds=5)
    assert START + timedelta(seconds=5) <= parse(timer["FireAt"]) < START + timedelta(seconds=6)


def test_exhausted_retries_end_with_the_dummy_timer_before_the_failure(start_app: StartApp) -> None:
    server = start_app("retries", start_time=START)
    durable = Durable(server)

    instance_id = durable.start("retrying", {"fail_times": 5})
    server.wait_idle()
    history = durable.history(instance_id)

    output = durable.body(instance_id)["output"]
    # The SDK raises f"{Reason} \n {Details}", so the first line ends with a space.
    assert output["result"] == (
        "gave up: Activity function 'flaky' failed:  ValueError: attempt 2 failed "
    )
    assert output["after"] == "after"
    # attempt1=0, TaskFailed, timer=1, TimerFired, attempt2=2, TaskFailed, dummy timer=3,
    # TimerFired; only then the failure reaches user code, whose next activity gets 4.
    assert _ids(history, 4) == [0, 2, 4]
    assert _ids(history, 10) == [1, 3]
    assert _ids(history, 6, "TaskScheduledId") == [0, 2]
    assert _ids(history, 11, "TimerId") == [1, 3]
    dummy = [e for e in history if e["EventType"] == 10][1]
    failure = [e for e in history if e["EventType"] == 6][1]
    assert parse(dummy["FireAt"]) == _episode_start(history, failure)  # fires "now"


def test_fixture_module_is_isolated_from_the_emulators_import() -> None:
    # The emulator imports function_app.py under its own module name, so this test module's
    # import of the same file is a different module with separate state.
    assert retries_app_module.ATTEMPTS == {}
