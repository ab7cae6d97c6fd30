"""External events: a decision racing a 72-hour deadline, and events raised before the wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from durable_webhooks import Durable, StartApp

pytestmark = pytest.mark.emulator

START = datetime(2030, 6, 1, tzinfo=UTC)


def test_decision_before_the_deadline_cancels_the_timer(start_app: StartApp) -> None:
    server = start_app("events", start_time=START, paused=True)
    durable = Durable(server)

    instance_id = durable.start("approval")
    server.wait_idle()
    assert durable.body(instance_id)["runtimeStatus"] == "Running"

    assert durable.raise_event(instance_id, "decision", {"approved": True}).status_code == 202
    server.wait_idle()

    status = durable.body(instance_id)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == {"outcome": "decided", "decision": {"approved": True}}
    # The canceled deadline no longer holds the clock or the instance.
    assert server.clock.info()["nextTimer"] is None
    assert server.clock.now() == START


def test_a_canceled_timer_still_fires_into_the_history_of_a_running_instance(
    start_app: StartApp,
) -> None:
    server = start_app("events", start_time=START, paused=True)
    durable = Durable(server)

    instance_id = durable.start("cancels_then_waits")
    durable.raise_event(instance_id, "first", 1)
    server.wait_idle()
    assert server.clock.info()["nextTimer"] is not None  # still armed, as in DTFx

    server.clock.advance(timedelta(hours=1))

    history = durable.history(instance_id)
    created = next(e for e in history if e["EventType"] == 10)
    fired = [e for e in history if e["EventType"] == 11]
    assert [e["TimerId"] for e in fired] == [created["EventId"]]
    assert durable.body(instance_id)["runtimeStatus"] == "Running"  # the SDK ignores it
    durable.raise_event(instance_id, "second", 2)
    server.wait_idle()
    assert durable.body(instance_id)["output"] == {"first": 1, "second": 2}


def test_deadline_expires_when_time_passes(start_app: StartApp) -> None:
    server = start_app("events", start_time=START, paused=True)
    durable = Durable(server)

    instance_id = durable.start("approval")
    server.clock.advance(timedelta(hours=71))
    assert durable.body(instance_id)["runtimeStatus"] == "Running"

    server.clock.advance(timedelta(hours=1))
    assert durable.body(instance_id)["output"] == {"outcome": "expired"}


def test_event_raised_before_the_wait_is_buffered(start_app: StartApp) -> None:
    server = start_app("events", paused=True)
    durable = Durable(server)

    instance_id = durable.start("late_waiter")
    server.wait_idle()  # now parked on the one-hour timer, not yet waiting for "early"
    durable.raise_event(instance_id, "early", "first")
    durable.raise_event(instance_id, "early", "second")
    server.wait_idle()
    assert durable.body(instance_id)["runtimeStatus"] == "Running"
    server.clock.advance(timedelta(hours=1))

    status = durable.body(instance_id)
    assert status["runtimeStatus"] == "Completed"
    # Pinned (protocol page 2.6): the SDK keeps only the last buffered event per name.
    assert status["output"] == "second"


def test_one_buffered_event_completes_every_later_wait_with_its_name(start_app: StartApp) -> None:
    """Pinned (SDK issue #507): apps that wait again on a name must consume the buffered event."""
    server = start_app("events", paused=True)
    durable = Durable(server)

    instance_id = durable.start("waits_twice")
    server.wait_idle()
    durable.raise_event(instance_id, "early", "only once")
    server.clock.advance(timedelta(hours=1))

    status = durable.body(instance_id)
    assert status["runtimeStatus"] == "Completed", "SDK issue #507 fixed? re-waits need no guard"
    assert status["output"] == ["only once", "only once"]


def test_sdk_client_raise_event_payload_arrives_as_a_string(start_app: StartApp) -> None:
    """Pinned (protocol page 3.4): the Python client double-encodes raise_event bodies."""
    import httpx

    server = start_app("client_ops")
    api = httpx.Client(base_url=server.api_url, timeout=30)

    started = api.post("/orchestrators/waiter", json={"order": 1}).json()
    server.wait_idle()
    api.post(f"/instances/{started['id']}/raise", params={"event": "go"}, json={"ok": True})
    server.wait_idle()

    output = Durable(server).body(started["id"])["output"]
    assert output == {"received": '{"ok": true}', "input": {"order": 1}}
