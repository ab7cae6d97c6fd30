"""State survives a restart of the emulator: instances resume where they were."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from durable_localhost import EmulatorServer
from durable_webhooks import Durable, StartApp

pytestmark = pytest.mark.emulator

START = datetime(2030, 1, 1, tzinfo=UTC)


def test_restart_mid_orchestration_resumes_timers_and_events(
    start_app: StartApp, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite3"
    first = start_app("events", start_time=START, paused=True, state=state)
    durable = Durable(first)
    waiting = durable.start("approval", instance_id="waits-for-event")
    expiring = durable.start("approval", instance_id="waits-for-deadline")
    first.wait_idle()
    first.stop()

    second = start_app("events", start_time=START, paused=True, state=state)
    durable = Durable(second)
    assert durable.body(waiting)["runtimeStatus"] == "Running"
    assert second.clock.info()["nextTimer"] == "2030-01-04T00:00:00Z"

    durable.raise_event(waiting, "decision", "approved after restart")
    second.wait_idle()
    second.clock.advance(timedelta(hours=72))

    assert durable.body(waiting)["output"] == {
        "outcome": "decided",
        "decision": "approved after restart",
    }
    assert durable.body(expiring)["output"] == {"outcome": "expired"}


def test_finished_instances_keep_their_history_on_disk(start_app: StartApp, tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite3"
    first = start_app("chain", state=state, settings={"HUB": "HarnessHub"})
    durable = Durable(first)
    instance_id = durable.start("chain", '"Rome"')
    first.wait_idle()
    first.stop()

    second = start_app("chain", state=state, settings={"HUB": "HarnessHub"})
    status = Durable(second).body(instance_id, showHistory="true", showHistoryOutput="true")

    assert status["output"] == "Hello Hi Hello Rome"
    assert [e["EventType"] for e in status["historyEvents"]][-1] == "ExecutionCompleted"
    with sqlite3.connect(state) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"instances", "history", "inbox", "entities", "entity_queue"} <= tables


def test_pending_activity_is_dispatched_again_after_a_restart(
    start_app: StartApp, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite3"
    first = start_app("chain", state=state, settings={"HUB": "HarnessHub"})
    engine = first.host.engine
    # Simulate a crash after the episode scheduled the activity but before it ran.
    setattr(engine, "_dispatch_activity", lambda *args: None)  # noqa: B010
    instance_id = Durable(first).start("chain", '"Lima"')
    first.wait_idle()
    scheduled = [e for e in Durable(first).instance(instance_id).history if e["EventType"] == 4]
    assert len(scheduled) == 1
    first.stop()

    second = start_app("chain", state=state, settings={"HUB": "HarnessHub"})
    second.wait_idle()

    assert Durable(second).body(instance_id)["output"] == "Hello Hi Hello Lima"


def _busy_writer(server: EmulatorServer) -> None:
    """Hold the state's writer thread for a moment, as a burst of writes would."""
    server.host.engine.store.write(lambda _conn: time.sleep(0.5))


def _rows(state: Path, table: str) -> int:
    with sqlite3.connect(state) as disk:
        (count,) = disk.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(count)


def test_an_acknowledged_signal_is_on_disk_when_the_answer_arrives(
    start_app: StartApp, tmp_path: Path
) -> None:
    """As the real host queues its message before the 202: a crash after it loses nothing."""
    state = tmp_path / "state.sqlite3"
    server = start_app("entities", paused=True, state=state)
    _busy_writer(server)

    answer = Durable(server).http.post(
        "/entities/Account/a1", params={"op": "deposit"}, content=b'"1"'
    )

    assert answer.status_code == 202
    assert _rows(state, "entities") == 1


def test_an_acknowledged_start_is_on_disk_when_the_answer_arrives(
    start_app: StartApp, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite3"
    server = start_app("events", paused=True, state=state)
    _busy_writer(server)

    Durable(server).start("approval", instance_id="waits")

    assert _rows(state, "instances") == 1


def test_virtual_clock_resumes_at_the_time_the_state_reached(
    start_app: StartApp, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite3"
    first = start_app("events", paused=True, state=state)
    durable = Durable(first)
    expiring = durable.start("approval", instance_id="deadline-across-restart")
    first.wait_idle()
    first.clock.advance(timedelta(hours=48))
    reached = first.clock.now()
    first.stop()

    second = start_app("events", paused=True, state=state)
    durable = Durable(second)
    assert second.clock.now() >= reached
    assert durable.body(expiring)["runtimeStatus"] == "Running"
    later = durable.start("approval", instance_id="started-after-restart")
    # The status API shows whole seconds.
    assert _parsed(durable.body(later)["createdTime"]) >= reached.replace(microsecond=0)

    second.clock.advance(timedelta(hours=24))
    assert durable.body(expiring)["output"] == {"outcome": "expired"}


def test_an_earlier_start_time_on_a_later_state_starts_at_the_state_time(
    start_app: StartApp, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "state.sqlite3"
    first = start_app("events", start_time=START, paused=True, state=state)
    first.clock.advance(timedelta(days=30))
    first.stop()

    second = start_app("events", start_time=START, paused=True, state=state)

    assert second.clock.now() == START + timedelta(days=30)
    assert "not at the requested start 2030-01-01T00:00:00Z" in caplog.text


def _parsed(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_history_rows_and_replayed_context_are_the_events_own_encoding(
    start_app: StartApp, tmp_path: Path
) -> None:
    # Each event is encoded once and its text reused for the inbox row, the context and the
    # history row: every text must still be exactly its own event's encoding, in order.
    state = tmp_path / "state.sqlite3"
    server = start_app("events", start_time=START, paused=True, state=state)
    durable = Durable(server)
    instance_id = durable.start("cancels_then_waits", "entrée", instance_id="encoded-once")
    server.wait_idle()
    durable.raise_event(instance_id, "first", {"note": "déjà vu \u2603"})
    server.wait_idle()
    server.clock.advance(timedelta(hours=1))
    server.call(server.host.engine.committed())

    instance = server.host.engine.get(instance_id)
    assert instance is not None
    assert instance.status.value == "Running"
    history = instance.history
    assert [e["EventType"] for e in history].count(12) == 3  # three episodes so far
    with sqlite3.connect(state) as conn:
        rows = [
            text
            for (text,) in conn.execute(
                "SELECT event_json FROM history WHERE instance_id = ? ORDER BY seq",
                (instance_id,),
            )
        ]
    assert rows == [json.dumps(e) for e in history]
    assert instance.played_json == [
        json.dumps({**e, "IsPlayed": e["EventType"] != 12}) for e in history
    ]
