"""The EmulatorServer harness: sync and async use, clean stop, wall and scaled clocks."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from durable_localhost.clock import Clock, ClockMode
from durable_localhost.testing import EmulatorServer
from durable_webhooks import APPS, Durable, StartApp

pytestmark = pytest.mark.emulator


def _emulator_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("emulator")}


def test_stop_leaves_no_threads_and_is_idempotent() -> None:
    # Threads, not names: an earlier test's timed-out call may still be finishing on a thread
    # it abandoned (as documented for functionTimeout), named like this server's workers.
    before = _emulator_threads()
    server = EmulatorServer(APPS / "chain", settings={"HUB": "HarnessHub"}).start()
    assert httpx.get(f"{server.base_url}/admin/host/status").json()["state"] == "Running"
    started = _emulator_threads() - before
    assert started  # the check below looks at something

    server.stop()
    server.stop()

    left = sorted(t.name for t in _emulator_threads() - before)
    assert left == [], f"still running after stop: {left}; before it started: {before}"


async def test_async_context_manager() -> None:
    async with EmulatorServer(APPS / "timers", paused=True) as server:
        client = httpx.AsyncClient(base_url=server.webhook_url)
        started = await client.post("/orchestrators/nap", json={"seconds": 30})
        assert started.status_code == 202
        assert await server.async_wait_idle()
        server.clock.advance(timedelta(seconds=30))
        status = await client.get(f"/instances/{started.json()['id']}")
        await client.aclose()
        assert status.json()["output"] == "rested"


def test_each_server_gets_a_free_port_and_settings_are_undone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HUB", raising=False)
    with (
        EmulatorServer(APPS / "chain", settings={"HUB": "One"}) as one,
        EmulatorServer(APPS / "http_basics") as two,
    ):
        assert one.base_url != two.base_url
    import os

    assert "HUB" not in os.environ


def test_wall_clock_fires_a_short_timer(start_app: StartApp) -> None:
    server = start_app("timers", clock="wall")
    durable = Durable(server)

    instance_id = durable.start("nap", {"seconds": 0.2})
    for _ in range(100):
        server.wait_idle()
        if durable.body(instance_id)["runtimeStatus"] == "Completed":
            break
        threading.Event().wait(0.05)

    assert durable.body(instance_id)["output"] == "rested"


def test_call_http_performs_the_request_once(start_app: StartApp) -> None:
    server = start_app("timers", clock="wall")
    durable = Durable(server)

    instance_id = durable.start("fetch", {"url": f"{server.base_url}/admin/host/status"})
    server.wait_idle()
    output = durable.body(instance_id)["output"]

    assert output["status"] == 200
    assert '"state": "Running"' in output["content"]


def test_scaled_clock_runs_faster_than_wall_time() -> None:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    clock = Clock(ClockMode.SCALED, start=start, scale=3600)

    assert clock.now() >= start
    # An hour of scaled time is about a real second away.
    assert 0.5 < clock.real_seconds_until(clock.now() + timedelta(hours=1)) <= 1.0


def test_virtual_clock_never_moves_backwards() -> None:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    clock = Clock(ClockMode.VIRTUAL, start=start, paused=True)

    clock.set_virtual(start - timedelta(days=1))

    assert clock.now() == start
    assert clock.paused is True
