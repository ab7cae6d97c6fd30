"""Durable timers, long timers split at the configured interval, and virtual-time control."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from durable_webhooks import Durable, StartApp

pytestmark = pytest.mark.emulator

START = datetime(2030, 1, 1, tzinfo=UTC)


def test_auto_advance_fires_a_72_hour_timer_at_once(start_app: StartApp) -> None:
    durable = Durable(start_app("timers", start_time=START))

    instance_id = durable.start("sleeper", {"hours": 72})
    assert durable.server.wait_idle()

    status = durable.body(instance_id)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == 72 * 3600
    assert durable.server.clock.now() == START + timedelta(hours=72)


def test_paused_clock_only_moves_on_advance(start_app: StartApp) -> None:
    server = start_app("timers", start_time=START, paused=True)
    durable = Durable(server)

    instance_id = durable.start("ticker", {"count": 3})
    server.wait_idle()
    assert durable.status(instance_id).status_code == 202
    assert server.clock.info()["nextTimer"] == "2030-01-01T01:00:00Z"

    server.clock.advance(timedelta(minutes=90))
    assert server.clock.now() == START + timedelta(minutes=90)
    assert durable.body(instance_id)["runtimeStatus"] == "Running"

    server.clock.advance(timedelta(hours=2))
    status = durable.body(instance_id)
    assert status["runtimeStatus"] == "Completed"
    # Each timer fires at its own due time, so the next one is an hour later, not at the target.
    assert status["output"] == [
        "2030-01-01T01:00:00+00:00",
        "2030-01-01T02:00:00+00:00",
        "2030-01-01T03:00:00+00:00",
    ]
    assert server.clock.now() == START + timedelta(hours=3, minutes=30)


def test_fire_next_timer_jumps_to_the_due_time(start_app: StartApp) -> None:
    server = start_app("timers", start_time=START, paused=True)
    durable = Durable(server)

    instance_id = durable.start("ticker", {"count": 1})
    server.wait_idle()

    assert server.clock.fire_next_timer() == START + timedelta(hours=1)
    assert durable.body(instance_id)["runtimeStatus"] == "Completed"
    assert server.clock.fire_next_timer() is None


def test_long_timer_is_split_by_the_sdk_at_the_configured_interval(start_app: StartApp) -> None:
    server = start_app("timers", start_time=START, paused=True)
    durable = Durable(server)

    instance_id = durable.start("sleeper", {"hours": 240})
    server.clock.advance(timedelta(days=11))

    created = [e["FireAt"] for e in durable.history(instance_id) if e["EventType"] == 10]
    assert created == [
        "2030-01-04T00:00:00Z",
        "2030-01-07T00:00:00Z",
        "2030-01-11T00:00:00Z",
    ]
    assert durable.body(instance_id)["output"] == 240 * 3600


def test_control_api_drives_time_over_http(start_app: StartApp) -> None:
    server = start_app("timers", start_time=START)
    durable = Durable(server)
    control = httpx.Client(base_url=f"{server.base_url}/runtime/emulator", timeout=30)

    assert control.post("/clock/pause").json()["paused"] is True
    instance_id = durable.start("sleeper", {"hours": 5})
    idle = control.post("/idle").json()
    assert idle["idle"] is True
    assert idle["nextTimer"] == "2030-01-01T05:00:00Z"

    moved = control.post("/clock/advance", params={"seconds": 3 * 3600}).json()
    assert moved["now"] == "2030-01-01T03:00:00Z"
    assert durable.body(instance_id)["runtimeStatus"] == "Running"

    fired = control.post("/clock/next-timer").json()
    assert fired["now"] == "2030-01-01T05:00:00Z"
    assert durable.body(instance_id)["runtimeStatus"] == "Completed"

    resumed = control.post("/clock/resume").json()
    assert resumed["paused"] is False
    assert control.get("/clock").json()["mode"] == "virtual"


def test_control_api_is_absent_with_the_wall_clock(start_app: StartApp) -> None:
    server = start_app("timers", clock="wall")

    assert httpx.get(f"{server.base_url}/runtime/emulator/clock").status_code == 404
