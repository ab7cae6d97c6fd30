"""Timer-triggered functions run at their occurrences, as under ``func start``.

The fixture app (``apps/schedules``) has several timer functions; each test disables the ones it
is not about with the host's ``AzureWebJobs.<name>.Disabled`` setting, and runs on a paused
virtual clock, so no test waits in real time.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from durable_localhost import EmulatorServer
from durable_localhost.startup_errors import StartupError
from durable_webhooks import APPS, Durable, StartApp

pytestmark = pytest.mark.emulator

START = datetime(2026, 3, 2, 0, 0, 0, tzinfo=UTC)
TIMERS = ("every_five_minutes", "hourly", "nightly", "failing", "slow")


def schedules(
    start_app: StartApp, *running: str, hourly: str | None = "0 30 * * * *", **options: Any
) -> EmulatorServer:
    """The fixture app with only ``running`` timer functions enabled, on a paused clock;
    ``hourly`` is the app setting the ``hourly`` function's schedule names (None: unset)."""
    settings = {f"AzureWebJobs.{name}.Disabled": "true" for name in TIMERS if name not in running}
    if hourly is not None:
        settings["HOURLY_SCHEDULE"] = hourly
    options.setdefault("start_time", START)
    options.setdefault("paused", True)
    return start_app("schedules", settings=settings, **options)


def calls(
    server: EmulatorServer, name: str | None = None
) -> list[tuple[str, bool, dict[str, Any]]]:
    made: list[tuple[str, bool, dict[str, Any]]] = server.host.app.module.calls
    return [c for c in made if name is None or c[0] == name]


def occurrences(server: EmulatorServer, name: str) -> list[str]:
    """The occurrence each run was for (``Next`` of the status the function received)."""
    return [status["Next"] for _, _, status in calls(server, name)]


def test_occurrences_fire_in_order_as_virtual_time_advances(start_app: StartApp) -> None:
    server = schedules(start_app, "every_five_minutes", "hourly")

    server.clock.advance(timedelta(hours=1))

    assert occurrences(server, "every_five_minutes") == [
        (START + timedelta(minutes=5 * n)).isoformat() for n in range(1, 13)
    ]
    assert occurrences(server, "hourly") == [(START + timedelta(minutes=30)).isoformat()]
    names = [name for name, _, _ in calls(server)]
    assert names.index("hourly") == 6  # after 00:05 ... 00:30 of the five-minute schedule
    assert not any(past_due for _, past_due, _ in calls(server))


def test_the_function_sees_the_previous_run_as_last(start_app: StartApp) -> None:
    server = schedules(start_app, "every_five_minutes")

    server.clock.advance(timedelta(minutes=10))

    first, second = (status for _, _, status in calls(server))
    assert first["Last"] == "0001-01-01T00:00:00+00:00"  # never ran before
    assert second["Last"] == (START + timedelta(minutes=5)).isoformat()
    assert second["Next"] == (START + timedelta(minutes=10)).isoformat()


def test_timer_occurrences_do_not_move_an_idle_virtual_clock(start_app: StartApp) -> None:
    server = schedules(start_app, "every_five_minutes", paused=False)

    assert server.wait_idle(timeout=30)

    assert calls(server) == []
    assert server.clock.now() == START
    # ... and they are not the "next timer" that fire_next_timer jumps to.
    assert server.clock.info()["nextTimer"] is None


def test_occurrences_interleave_with_durable_timers(start_app: StartApp) -> None:
    server = schedules(start_app, "every_five_minutes")
    durable = Durable(server)
    instance_id = durable.start("sleeper")
    assert server.wait_idle(timeout=30)

    assert server.clock.fire_next_timer() == START + timedelta(minutes=12)

    assert durable.body(instance_id)["output"] == "woke"
    assert len(calls(server, "every_five_minutes")) == 2  # 00:05 and 00:10 passed on the way


def test_an_auto_advance_jump_over_occurrences_runs_the_function_once(
    start_app: StartApp,
) -> None:
    server = schedules(start_app, "every_five_minutes", paused=False)
    durable = Durable(server)

    instance_id = durable.start("sleeper")  # auto-advance jumps straight to its 00:12 timer
    assert server.wait_idle(timeout=30)

    assert durable.body(instance_id)["output"] == "woke"
    assert occurrences(server, "every_five_minutes") == [(START + timedelta(minutes=5)).isoformat()]
    assert server.host.timers.next_due() == START + timedelta(minutes=15)


def test_a_run_is_never_overlapped_by_the_next_occurrence(start_app: StartApp) -> None:
    server = schedules(start_app, "slow")
    module: Any = server.host.app.module
    module.release.clear()
    timers = server.host.timers

    async def move_to(instant: datetime) -> int:
        server.host.clock.set_virtual(instant)
        return timers.fire_due()

    try:
        assert server.call(move_to(START + timedelta(minutes=1))) == 1
        # Four more occurrences pass while the first run still runs: none starts beside it.
        assert server.call(move_to(START + timedelta(minutes=5))) == 0
    finally:
        module.release.set()
    assert server.wait_idle(timeout=30)

    assert module.overlap["peak"] == 1
    # One catch-up run for the occurrences it missed, then the schedule goes on from there.
    assert len(calls(server, "slow")) == 2
    assert timers.next_due() == START + timedelta(minutes=6)


def test_run_on_startup_runs_the_function_once_at_start(
    start_app: StartApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="durable_localhost")
    server = schedules(start_app, "nightly")

    assert server.wait_idle(timeout=30)

    assert [(name, past_due) for name, past_due, _ in calls(server)] == [("nightly", False)]
    assert "Function 'nightly' is configured to run on startup. Executing now." in caplog.text
    assert "Trigger Details: UnscheduledInvocationReason: RunOnStartup" in caplog.text
    assert "The next 5 occurrences of the 'nightly' schedule (Cron: '0 0 3 * * *')" in caplog.text
    server.clock.advance(timedelta(hours=3))
    assert len(calls(server, "nightly")) == 2  # and then on its schedule


def test_an_occurrence_missed_while_the_host_was_down_runs_once_past_due(
    start_app: StartApp, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="durable_localhost")
    state = str(tmp_path / "state.sqlite3")
    first = schedules(start_app, "every_five_minutes", state=state)
    first.clock.advance(timedelta(minutes=5))
    assert len(calls(first, "every_five_minutes")) == 1
    first.stop()

    # Down from 00:05 to 00:42: seven occurrences missed, one past-due run.
    second = schedules(
        start_app, "every_five_minutes", state=state, start_time=START + timedelta(minutes=42)
    )
    assert second.wait_idle(timeout=30)

    assert [(past_due, status["Next"]) for _, past_due, status in calls(second)] == [
        (True, (START + timedelta(minutes=10)).isoformat())
    ]
    assert "Function 'every_five_minutes' is past due on startup. Executing now." in caplog.text
    assert (
        "UnscheduledInvocationReason: IsPastDue, OriginalSchedule: 2026-03-02T00:10:00+00:00"
        in caplog.text
    )
    second.clock.advance(timedelta(minutes=3))  # the schedule goes on from now: 00:45
    assert [past_due for _, past_due, _ in calls(second)] == [True, False]


def test_a_restart_before_the_next_occurrence_is_not_past_due(
    start_app: StartApp, tmp_path: Path
) -> None:
    state = str(tmp_path / "state.sqlite3")
    schedules(start_app, "every_five_minutes", state=state).stop()

    second = schedules(
        start_app, "every_five_minutes", state=state, start_time=START + timedelta(minutes=4)
    )
    assert second.wait_idle(timeout=30)

    assert calls(second) == []


def test_a_schedule_from_an_app_setting_is_used(start_app: StartApp) -> None:
    server = schedules(start_app, "hourly", hourly="0 15 */2 * * *")

    server.clock.advance(timedelta(hours=4))

    assert occurrences(server, "hourly") == [
        (START + timedelta(minutes=15)).isoformat(),
        (START + timedelta(hours=2, minutes=15)).isoformat(),
    ]


def test_a_schedule_setting_nobody_defines_refuses_the_start(start_app: StartApp) -> None:
    with pytest.raises(StartupError) as refused:
        schedules(start_app, hourly=None)

    assert refused.value.message == (
        "The 'hourly' function is in error: '%HOURLY_SCHEDULE%' does not resolve to a value."
    )
    assert refused.value.path == APPS / "schedules" / "function_app.py"


def test_a_failing_timer_function_is_logged_and_the_host_goes_on(
    start_app: StartApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="durable_localhost")
    server = schedules(start_app, "failing", "every_five_minutes")

    server.clock.advance(timedelta(minutes=20))

    assert len(calls(server, "failing")) == 2  # every ten minutes, failure or not
    assert len(calls(server, "every_five_minutes")) == 4
    assert "Executed 'Functions.failing' (Failed, Id=" in caplog.text
    assert "RuntimeError: the cleanup store is unavailable" in caplog.text
    assert httpx.get(f"{server.api_url}/ping", timeout=30).text == "pong"


def test_a_disabled_timer_function_never_runs(start_app: StartApp) -> None:
    server = schedules(start_app)  # every timer function disabled, nightly's runOnStartup too

    server.clock.advance(timedelta(days=1))

    assert calls(server) == []


def test_the_dashboard_lists_timer_functions_with_their_next_occurrence(
    start_app: StartApp,
) -> None:
    server = schedules(start_app, "every_five_minutes")

    rows = httpx.get(f"{server.base_url}/runtime/emulator/functions", timeout=30).json()

    timer_rows = {r["name"]: r for r in rows if r["trigger"] == "timerTrigger"}
    assert set(timer_rows) == set(TIMERS)
    row = timer_rows["every_five_minutes"]
    assert (row["schedule"], row["next"], row["disabled"]) == (
        "0 */5 * * * *",
        "2026-03-02T00:05:00Z",
        False,
    )
    assert timer_rows["hourly"]["schedule"] == "0 30 * * * *"  # the setting, resolved
    assert "every_five_minutes: timerTrigger" in server.host.describe_routes()


def test_the_admin_api_runs_a_timer_function_now_without_moving_its_schedule(
    start_app: StartApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="durable_localhost")
    server = schedules(start_app, "every_five_minutes")
    admin = f"{server.base_url}/admin/functions"

    response = httpx.post(f"{admin}/Every_Five_Minutes", json={"input": ""}, timeout=30)
    assert server.wait_idle(timeout=30)

    assert response.status_code == 202
    assert [(past_due, status["Next"]) for _, past_due, status in calls(server)] == [
        (False, (START + timedelta(minutes=5)).isoformat())
    ]
    assert "This function was programmatically called via the host APIs." in caplog.text
    assert server.host.timers.next_due() == START + timedelta(minutes=5)
    assert httpx.post(f"{admin}/nowhere", json={}, timeout=30).status_code == 404
    other_kind = httpx.post(f"{admin}/ping", json={}, timeout=30)
    assert other_kind.status_code == 400
    assert "only timer-triggered functions" in other_kind.json()["detail"]


def test_the_admin_api_needs_the_master_key_when_keys_are_enforced(start_app: StartApp) -> None:
    server = schedules(start_app, "every_five_minutes", keys=True)
    url = f"{server.base_url}/admin/functions/every_five_minutes"

    refused = httpx.post(url, json={}, headers={"x-functions-key": server.function_key})
    accepted = httpx.post(url, json={}, headers={"x-functions-key": server.master_key})

    assert (refused.status_code, accepted.status_code) == (401, 202)


BAD_SCHEDULE_APP = """\
import azure.functions as func

app = func.FunctionApp()


@app.timer_trigger(schedule="0 61 * * * *", arg_name="timer")
def cleanup(timer: func.TimerRequest) -> None:
    pass
"""


def test_a_bad_schedule_refuses_the_start_naming_the_function_and_value(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "function_app.py").write_text(BAD_SCHEDULE_APP)
    command = [sys.executable, "-m", "durable_localhost", "--app", str(app), "--port", "0"]

    result = subprocess.run(
        [*command, "--state", ":memory:"],
        env={**_clean_env(), "AzureWebJobsStorage": "UseDevelopmentStorage=true"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1, result.stderr
    assert f"{app / 'function_app.py'}:6: The 'cleanup' function is in error: " in result.stderr
    assert (
        "The schedule expression '0 61 * * * *' was not recognized as a valid cron expression "
        "or timespan string. (61 is higher than the maximum allowable value for the [Minute] "
        "field." in result.stderr
    )
    assert "Traceback" not in result.stderr


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("AzureWebJobs")}
